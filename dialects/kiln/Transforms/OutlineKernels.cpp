//===- OutlineKernels.cpp - kiln-outline-kernels ---------------------------------------===//
//
// Placeholder: fails until implemented.
//
//===----------------------------------------------------------------------===//

#include "dialects/kiln/Transforms/Passes.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNOUTLINEKERNELS
#include "dialects/kiln/Transforms/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;

namespace {
struct OutlineKernelsPass : kiln::impl::KilnOutlineKernelsBase<OutlineKernelsPass> {
  using Base::Base;
  void runOnOperation() override {
    getOperation()->emitError("kiln-outline-kernels is not implemented yet");
    signalPassFailure();
  }
};
} // namespace
