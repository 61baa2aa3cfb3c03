//===- ZeroFills.cpp - kiln-cpu-zero-fills --------------------------------===//
//
// A whole buffer filled with zero outside any parallel loop (the padded copy
// that a bufferized tensor.pad starts with: `linalg.map { yield 0 }`) would
// be lowered to a scalar loop on one thread. This makes it a call to the
// runtime's kiln_zero_fill(pointer, bytes), a memset.
//
//===----------------------------------------------------------------------===//

#include "passes/CPU/RuntimeFunctions.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNCPUZEROFILLS
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;

/// The memref a zero fill writes, if `op` is one: linalg.fill of a zero or a
/// linalg.map without inputs whose body yields a zero defined outside it.
static Value zeroFillTarget(Operation *op) {
  Value value, target;
  if (auto fill = dyn_cast<linalg::FillOp>(op)) {
    value = fill.getInputs()[0];
    target = fill.getOutputs()[0];
  } else if (auto map = dyn_cast<linalg::MapOp>(op)) {
    if (!map.getInputs().empty())
      return nullptr;
    Block &body = map.getMapper().front();
    auto yield = dyn_cast<linalg::YieldOp>(body.getTerminator());
    if (!yield || yield->getNumOperands() != 1 || &body.front() != yield)
      return nullptr;
    value = yield->getOperand(0);
    target = map.getInit();
  } else {
    return nullptr;
  }
  if (!isa<MemRefType>(target.getType()) ||
      !(matchPattern(value, m_AnyZeroFloat()) || matchPattern(value, m_Zero())))
    return nullptr;
  // +0.0 only: -0.0 is not all zero bytes.
  FloatAttr f;
  if (matchPattern(value, m_Constant(&f)) && f.getValue().isNegative())
    return nullptr;
  return target;
}

namespace {
struct ZeroFillsPass : kiln::impl::KilnCPUZeroFillsBase<ZeroFillsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<std::pair<Operation *, Value>> fills;
    module.walk([&](Operation *op) {
      if (op->getParentOfType<scf::ForallOp>() ||
          op->getParentOfType<scf::ParallelOp>())
        return;
      Value target = zeroFillTarget(op);
      if (!target)
        return;
      auto type = cast<MemRefType>(target.getType());
      unsigned bits = type.getElementTypeBitWidth();
      if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
          bits % 8 != 0 || type.getNumElements() < 4096)
        return;
      fills.push_back({op, target});
    });
    if (fills.empty())
      return;
    MLIRContext *ctx = &getContext();
    auto index = IndexType::get(ctx);
    kiln::declareRuntimeFunction(module, "kiln_zero_fill",
                                 FunctionType::get(ctx, {index, index}, {}));
    for (auto [op, target] : fills) {
      OpBuilder b(op);
      auto type = cast<MemRefType>(target.getType());
      Value pointer = memref::ExtractAlignedPointerAsIndexOp::create(
          b, op->getLoc(), target);
      Value bytes = arith::ConstantIndexOp::create(
          b, op->getLoc(),
          type.getNumElements() * (type.getElementTypeBitWidth() / 8));
      func::CallOp::create(b, op->getLoc(), "kiln_zero_fill", TypeRange{},
                           ValueRange{pointer, bytes});
      op->erase();
    }
  }
};
} // namespace
