//===- Bufferize.cpp - Tensors to buffers, weights and arena ---------------===//
//
// Upstream one-shot bufferization does the heavy lifting; kiln's passes then
// move constants out of the code and turn the remaining allocations of the
// entry function into one statically planned arena.
//
//===----------------------------------------------------------------------===//

#include "compiler/Pipelines/Bufferize.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void kiln::buildKilnBufferizePipeline(OpPassManager &pm, int64_t minWeightBytes) {
  // tensor.empty feeding a destination becomes the destination itself, so
  // fewer buffers reach the planner.
  pm.addPass(bufferization::createEmptyTensorEliminationPass());

  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion = bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));

  // buffer-results-to-out-params, except for functions returning a
  // dynamically shaped buffer (they keep returning it; runtime/ABI.md).
  pm.addPass(createKilnResultsToOutParams());

  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  KilnExternalizeWeightsOptions weights;
  weights.minBytes = minWeightBytes;
  pm.addPass(createKilnExternalizeWeights(weights));
  pm.addPass(createKilnPlanMemory());
  pm.addPass(createCanonicalizerPass());
}

void kiln::registerKilnBufferizePipeline() {
  PassPipelineRegistration<>("kiln-bufferize",
                             "Bufferize, externalize weights and plan the arena (ABI form)",
                             [](OpPassManager &pm) { buildKilnBufferizePipeline(pm); });
}
