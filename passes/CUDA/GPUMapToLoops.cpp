//===- GPUMapToLoops.cpp - Bufferized linalg to GPU-mappable loops --------===//
//
// The first, naive GPU mapping: every linalg op becomes one scf.parallel
// over its parallel dims (reductions stay sequential scf.for inside), the
// parallel dims are collapsed into one and tiled by the block size, and
// `gpu-map-parallel-loops` then puts the tile loop on blocks and the inner
// loop on threads: one thread per output element. Everything that reads or
// writes a buffer ends up inside a parallel loop, because on the GPU target
// every buffer lives in device memory and host code may only pass pointers.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <numeric>

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNGPUMAPTOLOOPS
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// memref.copy(%src, %dst) → linalg.copy ins(%src) outs(%dst), so the copy
/// runs as a kernel instead of a host memcpy of device pointers.
struct CopyToLinalgCopy : OpRewritePattern<memref::CopyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(memref::CopyOp op,
                                PatternRewriter &rewriter) const override {
    auto source = dyn_cast<MemRefType>(op.getSource().getType());
    auto target = dyn_cast<MemRefType>(op.getTarget().getType());
    if (!source || !target)
      return rewriter.notifyMatchFailure(op, "copy of unranked memrefs");
    rewriter.replaceOpWithNewOp<linalg::CopyOp>(op, op.getSource(),
                                                op.getTarget());
    return success();
  }
};

struct KilnGPUMapToLoops
    : kiln::impl::KilnGPUMapToLoopsBase<KilnGPUMapToLoops> {
  using Base::Base;
  void runOnOperation() override;
};

} // namespace

/// Wraps `op` in `scf.parallel (%i) = (0) to (1) step (1)`.
static void wrapInSingleIteration(RewriterBase &rewriter, Operation *op) {
  Location loc = op->getLoc();
  rewriter.setInsertionPoint(op);
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  auto loop = scf::ParallelOp::create(rewriter, loc, ValueRange{zero},
                                      ValueRange{one}, ValueRange{one});
  op->moveBefore(loop.getBody()->getTerminator());
}

/// The scf.parallel ops of `func` not nested in another one.
static SmallVector<scf::ParallelOp> outermostParallelLoops(func::FuncOp func) {
  SmallVector<scf::ParallelOp> loops;
  func.walk([&](scf::ParallelOp loop) {
    if (!loop->getParentOfType<scf::ParallelOp>())
      loops.push_back(loop);
  });
  return loops;
}

void KilnGPUMapToLoops::runOnOperation() {
  func::FuncOp func = getOperation();
  MLIRContext *ctx = &getContext();
  {
    RewritePatternSet patterns(ctx);
    patterns.add<CopyToLinalgCopy>(ctx);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return signalPassFailure();
  }

  IRRewriter rewriter(ctx);
  SmallVector<linalg::LinalgOp> linalgOps;
  func.walk([&](linalg::LinalgOp op) { linalgOps.push_back(op); });
  for (linalg::LinalgOp op : linalgOps) {
    if (!op.hasPureBufferSemantics()) {
      op->emitError("GPU mapping expects bufferized linalg ops");
      return signalPassFailure();
    }
    // No parallel dim (a full reduction, a rank-0 fill): one thread.
    if (op.getNumParallelLoops() == 0 &&
        !op->getParentOfType<scf::ParallelOp>())
      wrapInSingleIteration(rewriter, op);
    rewriter.setInsertionPoint(op);
    if (failed(linalg::linalgOpToParallelLoops(rewriter, op))) {
      op->emitError("cannot lower this linalg op to loops for the GPU");
      return signalPassFailure();
    }
    rewriter.eraseOp(op);
  }

  // Host code must not touch device memory: every access has to sit in a
  // loop that becomes a kernel, and every buffer must come from the arena.
  WalkResult hostAccess = func.walk([&](Operation *op) {
    if (isa<memref::AllocOp>(op) && !op->getParentOfType<scf::ParallelOp>()) {
      op->emitError("a buffer allocated outside the arena cannot live on the "
                    "GPU target");
      return WalkResult::interrupt();
    }
    if (!isa<memref::LoadOp, memref::StoreOp, memref::AtomicRMWOp>(op) ||
        op->getParentOfType<scf::ParallelOp>() ||
        op->getParentOfType<gpu::LaunchOp>()) // kiln-gpu-tile-contractions'
      return WalkResult::advance();
    op->emitError("buffer access outside any kernel loop cannot run on the "
                  "GPU target");
    return WalkResult::interrupt();
  });
  if (hostAccess.wasInterrupted())
    return signalPassFailure();

  // A constant global read by a kernel must be read on the device: clone
  // its get_global into each loop that uses it, so kernel outlining copies
  // the global into the GPU module instead of passing a host pointer.
  SmallVector<memref::GetGlobalOp> globals;
  func.walk([&](memref::GetGlobalOp op) {
    if (!op->getParentOfType<scf::ParallelOp>())
      globals.push_back(op);
  });
  for (memref::GetGlobalOp global : globals) {
    for (OpOperand &use : llvm::make_early_inc_range(global->getUses())) {
      Operation *user = use.getOwner();
      auto loop = isa<scf::ParallelOp>(user)
                      ? cast<scf::ParallelOp>(user)
                      : user->getParentOfType<scf::ParallelOp>();
      while (loop && loop->getParentOfType<scf::ParallelOp>())
        loop = loop->getParentOfType<scf::ParallelOp>();
      if (!loop || loop.getOperation() == user)
        continue;
      rewriter.setInsertionPointToStart(loop.getBody());
      use.set(rewriter.clone(*global)->getResult(0));
    }
    if (global->use_empty())
      rewriter.eraseOp(global);
  }

  for (scf::ParallelOp loop : outermostParallelLoops(func)) {
    if (loop.getNumLoops() < 2)
      continue;
    std::vector<unsigned> all(loop.getNumLoops());
    std::iota(all.begin(), all.end(), 0u);
    rewriter.setInsertionPoint(loop);
    collapseParallelLoops(rewriter, loop, {all});
  }
  for (scf::ParallelOp loop : outermostParallelLoops(func)) {
    int64_t tile = blockSize;
    std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound()[0]);
    std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound()[0]);
    std::optional<int64_t> step = getConstantIntValue(loop.getStep()[0]);
    if (lb && ub && step && *step > 0)
      tile = std::max<int64_t>(
          1, std::min<int64_t>(tile, (*ub - *lb + *step - 1) / *step));
    scf::tileParallelLoop(loop, {tile}, /*noMinMaxBounds=*/true);
  }
}
