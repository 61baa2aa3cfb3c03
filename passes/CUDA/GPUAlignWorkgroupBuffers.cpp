//===- GPUAlignWorkgroupBuffers.cpp - 16-byte aligned shared memory -------===//
//
// A workgroup attribution lowers to an addrspace(3) global aligned only to
// its element type unless it carries `llvm.align` (GPUOpsLowering), and the
// NVPTX backend splits a vector access it cannot prove aligned into
// scalars. The tiled kernels lay out their shared tiles so that every
// vector access is aligned relative to the buffer; this pass makes the
// buffer itself 16-byte aligned, which turns that into ld.shared.v4.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNGPUALIGNWORKGROUPBUFFERS
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;

namespace {

/// The widest shared-memory access the kernels issue (ld.shared.v4.b32).
constexpr int64_t kWorkgroupAlignment = 16;

struct KilnGPUAlignWorkgroupBuffers
    : kiln::impl::KilnGPUAlignWorkgroupBuffersBase<KilnGPUAlignWorkgroupBuffers> {
  void runOnOperation() override {
    Builder b(&getContext());
    StringRef name = LLVM::LLVMDialect::getAlignAttrName();
    getOperation().walk([&](gpu::GPUFuncOp func) {
      for (unsigned i = 0; i < func.getNumWorkgroupAttributions(); ++i) {
        auto current = dyn_cast_or_null<IntegerAttr>(
            func.getWorkgroupAttributionAttr(i, name));
        if (current && current.getInt() >= kWorkgroupAlignment)
          continue;
        func.setWorkgroupAttributionAttr(
            i, b.getStringAttr(name), b.getI64IntegerAttr(kWorkgroupAlignment));
      }
    });
  }
};

} // namespace
