//===- ExternalizeWeights.cpp - kiln-externalize-weights ---------------------------------------===//
//
// Placeholder: fails until implemented.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNEXTERNALIZEWEIGHTS
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;

namespace {
struct ExternalizeWeightsPass : kiln::impl::KilnExternalizeWeightsBase<ExternalizeWeightsPass> {
  using Base::Base;
  void runOnOperation() override {
    getOperation()->emitError("kiln-externalize-weights is not implemented yet");
    signalPassFailure();
  }
};
} // namespace
