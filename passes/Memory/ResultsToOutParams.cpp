//===- ResultsToOutParams.cpp - kiln-results-to-out-params ----------------===//
//
// Upstream buffer-results-to-out-params cannot turn a dynamically shaped
// result into an out-param (the caller cannot know its size before the
// call). This pass applies it to every function whose results are all
// statically shaped and leaves the others returning their buffers, which
// the caller then owns (kiln-plan-memory frees them, or hands the entry
// function's to the runtime).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Bufferization/Transforms/Passes.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNRESULTSTOOUTPARAMS
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {
struct ResultsToOutParamsPass
    : kiln::impl::KilnResultsToOutParamsBase<ResultsToOutParamsPass> {
  using Base::Base;
  void runOnOperation() override;
};
} // namespace

/// Whether some result of `func` is a memref with a dynamic dim.
static bool hasDynamicResult(func::FuncOp func) {
  return llvm::any_of(func.getResultTypes(), [](Type type) {
    auto memref = dyn_cast<MemRefType>(type);
    return memref && !memref.hasStaticShape();
  });
}

void ResultsToOutParamsPass::runOnOperation() {
  bufferization::BufferResultsToOutParamsOpts options;
  options.hoistStaticAllocs = true;
  options.modifyPublicFunctions = true; // @main's results become its outputs
  options.filterFn = [](func::FuncOp *func) { return !hasDynamicResult(*func); };
  if (failed(bufferization::promoteBufferResultsToOutParams(getOperation(), options)))
    return signalPassFailure();
}
