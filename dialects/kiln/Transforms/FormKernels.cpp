//===- FormKernels.cpp - kiln-form-kernels ---------------------------------------===//
//
// Placeholder: fails until implemented.
//
//===----------------------------------------------------------------------===//

#include "dialects/kiln/Transforms/Passes.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNFORMKERNELS
#include "dialects/kiln/Transforms/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;

namespace {
struct FormKernelsPass : kiln::impl::KilnFormKernelsBase<FormKernelsPass> {
  using Base::Base;
  void runOnOperation() override {
    getOperation()->emitError("kiln-form-kernels is not implemented yet");
    signalPassFailure();
  }
};
} // namespace
