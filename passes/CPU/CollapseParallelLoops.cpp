//===- CollapseParallelLoops.cpp - kiln-collapse-parallel-loops -----------===//
//
// Collapses every multi-dimensional scf.parallel into a one-dimensional one
// before async-parallel-for, which mis-splits multi-dimensional loops (see
// the pass description in passes/Passes.td: a task can recompute the whole
// iteration space concurrently with the others).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"

#include <numeric>

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNCOLLAPSEPARALLELLOOPS
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;

namespace {
struct CollapseParallelLoopsPass
    : kiln::impl::KilnCollapseParallelLoopsBase<CollapseParallelLoopsPass> {
  void runOnOperation() override {
    SmallVector<scf::ParallelOp> loops;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (loop.getNumLoops() > 1)
        loops.push_back(loop);
    });
    IRRewriter rewriter(&getContext());
    for (scf::ParallelOp loop : loops) {
      std::vector<unsigned> all(loop.getNumLoops());
      std::iota(all.begin(), all.end(), 0u);
      rewriter.setInsertionPoint(loop);
      collapseParallelLoops(rewriter, loop, {all});
    }
  }
};
} // namespace
