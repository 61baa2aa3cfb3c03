//===- PlanMemory.cpp - kiln-plan-memory ---------------------------------------===//
//
// Placeholder: fails until implemented.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNPLANMEMORY
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;

namespace {
struct PlanMemoryPass : kiln::impl::KilnPlanMemoryBase<PlanMemoryPass> {
  using Base::Base;
  void runOnOperation() override {
    getOperation()->emitError("kiln-plan-memory is not implemented yet");
    signalPassFailure();
  }
};
} // namespace
