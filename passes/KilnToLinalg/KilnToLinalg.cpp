//===- KilnToLinalg.cpp - convert-kiln-to-linalg ---------------------------------------===//
//
// Placeholder: fails until implemented.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_CONVERTKILNTOLINALG
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;

namespace {
struct ConvertKilnToLinalgPass : kiln::impl::ConvertKilnToLinalgBase<ConvertKilnToLinalgPass> {
  using Base::Base;
  void runOnOperation() override {
    getOperation()->emitError("convert-kiln-to-linalg is not implemented yet");
    signalPassFailure();
  }
};
} // namespace
