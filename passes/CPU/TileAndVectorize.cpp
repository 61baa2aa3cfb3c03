//===- TileAndVectorize.cpp - kiln-cpu-tile-and-vectorize -----------------===//
//
// Two-level tiling of a kernel function followed by vectorization. The root
// (last linalg op feeding the return) is tiled into an scf.forall with its
// producers fused (TilingInterface), so each task computes a large block of
// the result end to end. Every linalg op is then tiled with scf.for to a
// register block, 2-D convolutions/poolings are decomposed to 1-D ones (the
// form upstream's convolution vectorizer handles), and each op with static
// shapes is vectorized. Whatever does not vectorize stays as tiled loops.
//
//===----------------------------------------------------------------------===//

#include "passes/CPU/TileAndVectorize.h"
#include "passes/CPU/Microkernels.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNCPUTILEANDVECTORIZE
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

//===----------------------------------------------------------------------===//
// Tile-size heuristics
//===----------------------------------------------------------------------===//

/// The largest divisor of `size` that is at most `want` (so tiles stay
/// static and vectorizable); 0 (= whole loop) when the loop already fits.
/// With `allowPartial`, when the best divisor is under half of `want` (197
/// tokens is prime) the tile is `want` itself: the register-tiled loop is then
/// peeled, and the last, partial tile has a static size of its own.
static int64_t pickTile(int64_t size, int64_t want, bool allowPartial) {
  if (ShapedType::isDynamic(size))
    return want;
  if (size <= want)
    return 0;
  int64_t t = want;
  while (t > 1 && size % t != 0)
    --t;
  return allowPartial && 2 * t < want ? want : t;
}

SmallVector<int64_t>
kiln::getDefaultCPURegisterTileSizes(linalg::LinalgOp op,
                                     const CPUTileAndVectorizeOptions &options) {
  int64_t vw = options.vectorWidth;
  int64_t rows = options.registerRows;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  // Convolutions and poolings keep dividing tiles: upstream's decomposition
  // to 1-D does not take the peeled partial tiles.
  bool allowPartial = !isa<linalg::ConvolutionOpInterface>(op.getOperation());
  auto fit = [&](ArrayRef<int64_t> want) {
    SmallVector<int64_t> tiles;
    for (auto [size, w] : llvm::zip_equal(ranges, want))
      tiles.push_back(w == 0 ? 0 : pickTile(size, w, allowPartial));
    return tiles;
  };
  // Accumulators of `rows` rows x 2 vectors live in registers; k is stepped
  // by 1
  // so the contraction becomes broadcast-FMAs.
  if (isa<linalg::MatmulOp>(op) && ranges.size() == 3)
    return fit({rows, 2 * vw, 1});
  if (isa<linalg::BatchMatmulOp>(op) && ranges.size() == 4)
    return fit({1, rows, 2 * vw, 1});
  // (n, f, oh, ow, c, kh, kw): oh = kh = 1 lets the conv decompose to 1-D;
  // the vectorizer then computes a [w x f] block with f along the lanes.
  if (isa<linalg::Conv2DNchwFchwOp>(op))
    return fit({1, vw, 1, 8, 8, 1, 0});
  // (n, c, oh, ow, kh, kw) for poolings and depthwise convolutions.
  if (isa<linalg::PoolingNchwMaxOp, linalg::PoolingNchwSumOp,
          linalg::DepthwiseConv2DNchwChwOp>(op))
    return fit({1, 8, 1, vw, 1, 0});
  // Anything else: vectorize the innermost loop, step the others by one.
  SmallVector<int64_t> want(ranges.size(), 1);
  if (!want.empty()) {
    bool innerIsReduction = linalg::isReductionIterator(
        op.getIteratorTypesArray().back());
    // A whole static reduction is one vector op; a symbolic one is stepped
    // by 4 vectors (the full steps vectorize once peeled).
    want.back() = innerIsReduction && !ShapedType::isDynamic(ranges.back())
                      ? 1024
                      : 4 * vw;
  }
  return fit(want);
}

SmallVector<int64_t> kiln::getDefaultCPUDistributionTileSizes(
    linalg::LinalgOp root, const CPUTileAndVectorizeOptions &options) {
  SmallVector<int64_t> ranges = root.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iters = root.getIteratorTypesArray();
  SmallVector<int64_t> reg = getDefaultCPURegisterTileSizes(root, options);
  if (options.tileSizeControlFn)
    if (auto custom = options.tileSizeControlFn(root, CPUTilingLevel::Register))
      reg = *custom;
  reg.resize(ranges.size(), 0);

  SmallVector<int64_t> tiles(ranges.size(), 0);
  for (auto [i, size] : llvm::enumerate(ranges))
    if (linalg::isParallelIterator(iters[i]) && !ShapedType::isDynamic(size))
      tiles[i] = size;
  auto numTiles = [&] {
    int64_t n = 1;
    for (auto [i, t] : llvm::enumerate(tiles))
      if (t)
        n *= llvm::divideCeil(ranges[i], t);
    return n;
  };
  // Halve (to a divisor that is a multiple of the register tile) the loop
  // with the most register blocks left, until there are enough tasks.
  while (numTiles() < options.targetTiles) {
    int64_t best = -1, bestBlocks = 1;
    for (auto [i, t] : llvm::enumerate(tiles)) {
      int64_t step = std::max<int64_t>(reg[i], 1);
      if (t == 0 || t % step != 0 || t / step <= bestBlocks)
        continue;
      best = i;
      bestBlocks = t / step;
    }
    if (best < 0)
      break;
    int64_t step = std::max<int64_t>(reg[best], 1);
    int64_t next = 0;
    for (int64_t t = tiles[best] / 2 / step * step; t >= step; t -= step)
      if (ranges[best] % t == 0) {
        next = t;
        break;
      }
    if (next == 0)
      break;
    tiles[best] = next;
  }
  if (numTiles() <= 1)
    return SmallVector<int64_t>(ranges.size(), 0);
  // An untiled loop is written as 0.
  for (auto [i, t] : llvm::enumerate(tiles))
    if (t == ranges[i])
      t = 0;
  return tiles;
}

//===----------------------------------------------------------------------===//
// The transformation
//===----------------------------------------------------------------------===//

static SmallVector<int64_t> tileSizesFor(linalg::LinalgOp op,
                                         CPUTilingLevel level,
                                         const CPUTileAndVectorizeOptions &o) {
  if (o.tileSizeControlFn)
    if (auto custom = o.tileSizeControlFn(op, level))
      return *custom;
  return level == CPUTilingLevel::Register
             ? getDefaultCPURegisterTileSizes(op, o)
             : getDefaultCPUDistributionTileSizes(op, o);
}

/// The last linalg op (in block order) whose result reaches the return,
/// looking through reshapes and casts.
static linalg::LinalgOp findRoot(func::FuncOp func) {
  linalg::LinalgOp root;
  func.walk([&](func::ReturnOp ret) {
    for (Value v : ret.getOperands()) {
      while (Operation *def = v.getDefiningOp()) {
        if (!isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::CastOp>(def))
          break;
        v = def->getOperand(0);
      }
      auto op = v.getDefiningOp<linalg::LinalgOp>();
      if (!op || !op.hasPureTensorSemantics() || op->getBlock() != &func.front())
        continue;
      if (!root || root->isBeforeInBlock(op))
        root = op;
    }
  });
  return root;
}

static void replaceTiled(RewriterBase &rewriter, Operation *op,
                         ValueRange replacements) {
  if (op->getNumResults() == 0)
    rewriter.eraseOp(op);
  else
    rewriter.replaceOp(op, replacements);
}

/// ceil(size / parts) rounded up to a multiple of `step`: `parts` chunks at
/// most, none of them a sliver (197 rows in 2 parts: 104 + 93, not
/// 96 + 96 + 5).
static int64_t chunk(int64_t size, int64_t parts, int64_t step) {
  int64_t want = llvm::divideCeil(size, std::max<int64_t>(parts, 1));
  return llvm::divideCeil(want, step) * step;
}

/// Distribution tiles for a kernel whose work is one microkernel op `mk`
/// (the root itself, or the root's elementwise epilogue over the same
/// iteration space). The runtime's packed GEMM re-packs an operand for every
/// task, so tasks split the dims that keep each task a large GEMM: spatial
/// rows of a convolution and columns of a matmul first, output channels and
/// rows only when there are too few tasks. Empty when `mk` and `root` do
/// not line up.
static SmallVector<int64_t>
microkernelDistributionTiles(linalg::LinalgOp root, linalg::LinalgOp mk,
                             const MicrokernelMatch &match,
                             const CPUTileAndVectorizeOptions &options) {
  auto outType = dyn_cast<RankedTensorType>(mk.getDpsInits()[0].getType());
  if (!outType)
    return {};
  // A symbolic dim is never split here (distributeRoot may split it).
  SmallVector<int64_t> out(outType.getShape());
  for (int64_t &size : out)
    if (ShapedType::isDynamic(size))
      size = 1;
  if (root != mk) {
    if (root.getNumLoops() != root.getNumParallelLoops() ||
        root.getNumDpsInits() != 1 ||
        !root.getIndexingMapMatchingResult(root->getResult(0)).isIdentity() ||
        root.getStaticLoopRanges() != SmallVector<int64_t>(outType.getShape()))
      return {};
  }
  int64_t tasks = std::max<int64_t>(options.targetTiles / 2, 2);
  SmallVector<int64_t> t(out); // per output dim; = size means untiled
  auto count = [&] {
    int64_t n = 1;
    for (auto [size, tile] : llvm::zip_equal(out, t))
      n *= llvm::divideCeil(size, tile);
    return n;
  };
  // Splits dim `d` (in steps of `step`, never below `minTile`) towards
  // `tasks` tasks in all.
  auto split = [&](int64_t d, int64_t step, int64_t minTile) {
    int64_t have = count() / llvm::divideCeil(out[d], t[d]);
    if (have >= tasks)
      return;
    int64_t tile = std::max(chunk(out[d], llvm::divideCeil(tasks, have), step),
                            std::min(minTile, out[d]));
    t[d] = std::min(t[d], tile);
  };
  switch (match.kind) {
  case MicrokernelKind::Conv2DNchw: { // (n, f, oh, ow)
    // Each task's GEMM has N = rows x OW columns: at least 128 of them (4
    // AVX-512 register tiles, 8 AVX2 ones).
    t[0] = 1;
    split(2, 1, llvm::divideCeil(128, out[3]));
    split(1, 16, 32);
    break;
  }
  case MicrokernelKind::DepthwiseConv2DNchw: // (n, c, oh, ow)
    t[0] = 1;
    split(1, 1, 1);
    split(2, 1, 1);
    break;
  case MicrokernelKind::Matmul: // (m, n)
    // Each task packs its rows of A (the activations) once per column
    // block: at least 128 columns keep that a small share of its work.
    split(1, 32, 128);
    split(0, 8, 16);
    break;
  case MicrokernelKind::BatchMatmul: // (b, m, n)
    split(0, 1, 1);
    split(1, 8, 16);
    split(2, 32, 64);
    break;
  }
  if (count() <= 1)
    return SmallVector<int64_t>(out.size(), 0);
  SmallVector<int64_t> tiles;
  for (auto [size, tile, real] : llvm::zip_equal(out, t, outType.getShape()))
    tiles.push_back(tile >= size || ShapedType::isDynamic(real) ? 0 : tile);
  // The matched op's reduction loops (a root that is the op itself).
  tiles.resize(root.getNumLoops(), 0);
  return tiles;
}

/// The one microkernel op of `func`, if it has exactly one.
static std::optional<std::pair<linalg::LinalgOp, MicrokernelMatch>>
soleMicrokernelOp(func::FuncOp func) {
  std::optional<std::pair<linalg::LinalgOp, MicrokernelMatch>> found;
  int count = 0;
  func.walk([&](linalg::LinalgOp op) {
    if (std::optional<MicrokernelMatch> match = matchMicrokernel(op)) {
      found = {op, *match};
      ++count;
    }
  });
  if (count != 1)
    return std::nullopt;
  return found;
}

/// With fewer than targetTiles / 4 tasks from the static dims (a symbolic
/// sequence length leaves a LayerNorm or a softmax none), splits the
/// outermost symbolic parallel loop of `root` into that many chunks of
/// ceil(size / chunks) iterations, a size known at run time.
static void splitSymbolicDim(RewriterBase &rewriter, linalg::LinalgOp root,
                             ArrayRef<int64_t> tiles,
                             SmallVectorImpl<OpFoldResult> &sizes,
                             const CPUTileAndVectorizeOptions &options) {
  if (options.tileSizeControlFn)
    return;
  SmallVector<int64_t> ranges = root.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iters = root.getIteratorTypesArray();
  int64_t tasks = 1;
  for (auto [size, tile] : llvm::zip_equal(ranges, tiles))
    if (tile > 0 && !ShapedType::isDynamic(size))
      tasks *= llvm::divideCeil(size, tile);
  int64_t want = std::max<int64_t>(options.targetTiles / 4, 2);
  if (tasks >= want)
    return;
  for (auto [d, size] : llvm::enumerate(ranges)) {
    if (!ShapedType::isDynamic(size) || !linalg::isParallelIterator(iters[d]))
      continue;
    rewriter.setInsertionPoint(root);
    Location loc = root.getLoc();
    SmallVector<Range> loopRanges = root.createLoopRanges(rewriter, loc);
    Value extent = getValueOrCreateConstantIndexOp(rewriter, loc,
                                                   loopRanges[d].size);
    int64_t chunks = llvm::divideCeil(want, tasks);
    AffineExpr e = rewriter.getAffineDimExpr(0);
    Value tile = affine::AffineApplyOp::create(
        rewriter, loc, AffineMap::get(1, 0, e.ceilDiv(chunks)), extent);
    // At least 1: a zero tile size means "not tiled".
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    sizes[d] = arith::MaxSIOp::create(rewriter, loc, tile, one).getResult();
    return;
  }
}

/// Tiles `root`'s parallel loops into an scf.forall and fuses its linalg
/// producers into it.
static LogicalResult distributeRoot(RewriterBase &rewriter, linalg::LinalgOp root,
                                    const CPUTileAndVectorizeOptions &options) {
  SmallVector<int64_t> tiles;
  if (options.microkernels && !options.tileSizeControlFn)
    if (auto mk = soleMicrokernelOp(root->getParentOfType<func::FuncOp>()))
      tiles = microkernelDistributionTiles(root, mk->first, mk->second, options);
  if (tiles.empty())
    tiles = tileSizesFor(root, CPUTilingLevel::Distribution, options);
  SmallVector<OpFoldResult> sizes =
      getAsIndexOpFoldResult(root->getContext(), tiles);
  splitSymbolicDim(rewriter, root, tiles, sizes, options);
  if (llvm::all_of(sizes, isZeroInteger))
    return success();
  scf::SCFTilingOptions tiling;
  tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp)
      .setTileSizes(sizes);
  scf::SCFTileAndFuseOptions fuse;
  fuse.setTilingOptions(tiling);
  // Only linalg producers: a fused tensor.pad turns into scf.if + dynamic
  // shapes that defeat the vectorizer.
  fuse.setFusionControlFn(
      [](tensor::ExtractSliceOp, OpResult producer,
         bool) -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
        if (!isa<linalg::LinalgOp>(producer.getOwner()))
          return std::nullopt;
        return scf::SCFTileAndFuseOptions::ControlFnResult{};
      });
  rewriter.setInsertionPoint(root);
  FailureOr<scf::SCFTileAndFuseResult> result =
      scf::tileConsumerAndFuseProducersUsingSCF(
          rewriter, cast<TilingInterface>(root.getOperation()), fuse);
  if (failed(result))
    return success(); // leave the root untiled; the next level still runs
  for (OpResult res : root->getResults())
    if (Value repl = result->replacements.lookup(res))
      rewriter.replaceAllUsesWith(res, repl);
  return success();
}

/// Splits each loop whose step does not divide its static trip range (or
/// whose range is symbolic) into a loop of full tiles and a last iteration
/// (static once canonicalized, for a static range), so that the full tiles
/// vectorize.
static void peelPartialTiles(RewriterBase &rewriter,
                             ArrayRef<LoopLikeOpInterface> loops) {
  for (LoopLikeOpInterface loopLike : loops) {
    auto loop = dyn_cast<scf::ForOp>(loopLike.getOperation());
    if (!loop)
      continue;
    std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
    std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound());
    std::optional<int64_t> step = getConstantIntValue(loop.getStep());
    if (!lb || !step || *step == 1)
      continue;
    // A symbolic bound is peeled too: full tiles vectorize, the rest not.
    if (ub && ((*ub - *lb) % *step == 0 || *ub - *lb < *step))
      continue;
    scf::ForOp partial;
    (void)scf::peelForLoopAndSimplifyBounds(rewriter, loop, partial);
  }
}

/// Tiles every linalg op of `func` to its register block with scf.for.
static void tileToRegisters(RewriterBase &rewriter, func::FuncOp func,
                            const CPUTileAndVectorizeOptions &options) {
  SmallVector<linalg::LinalgOp> ops;
  func.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
  for (linalg::LinalgOp op : ops) {
    if (options.microkernels && matchMicrokernel(op))
      continue;
    SmallVector<int64_t> tiles =
        tileSizesFor(op, CPUTilingLevel::Register, options);
    if (llvm::all_of(tiles, [](int64_t t) { return t == 0; }))
      continue;
    scf::SCFTilingOptions tiling;
    tiling.setTileSizes(getAsIndexOpFoldResult(op->getContext(), tiles));
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTilingResult> result = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), tiling);
    if (failed(result))
      continue;
    replaceTiled(rewriter, op, result->replacements);
    peelPartialTiles(rewriter, result->loops);
  }
}

/// Vectorizes every linalg op of `func` whose loop ranges are static.
static void vectorizeOps(RewriterBase &rewriter, func::FuncOp func,
                         const CPUTileAndVectorizeOptions &options) {
  SmallVector<linalg::LinalgOp> ops;
  func.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
  for (linalg::LinalgOp op : ops) {
    if (op.hasDynamicShape() || !linalg::hasVectorizationImpl(op))
      continue;
    if (options.microkernels && matchMicrokernel(op))
      continue;
    // Bool tensors are one byte per element in memory, but LLVM loads and
    // stores vector<N x i1> bit-packed: such ops stay scalar loops.
    if (llvm::any_of(op->getOperands(), [](Value v) {
          return getElementTypeOrSelf(v.getType()).isInteger(1);
        }))
      continue;
    rewriter.setInsertionPoint(op);
    FailureOr<linalg::VectorizationResult> result =
        linalg::vectorize(rewriter, op, /*inputVectorSizes=*/{},
                          /*inputScalableVecDims=*/{},
                          /*vectorizeNDExtract=*/false,
                          /*flatten1DDepthwiseConv=*/false,
                          /*assumeDynamicDimsMatchVecSizes=*/false,
                          /*createNamedContraction=*/true);
    if (failed(result))
      continue;
    replaceTiled(rewriter, op, result->replacements);
  }
}

static void addCanonicalizations(RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  for (Dialect *dialect : ctx->getLoadedDialects())
    dialect->getCanonicalizationPatterns(patterns);
  for (RegisteredOperationName op : ctx->getRegisteredOperations())
    op.getCanonicalizationPatterns(patterns, ctx);
}

namespace {
/// vector.contract(lhs: f16/bf16, rhs: f16/bf16, acc: f32) →
/// vector.contract(extf lhs, extf rhs, acc): the outer-product lowering only
/// takes operands of the accumulator's type, and mixed-precision contractions
/// (f16 MatMuls with an f32 accumulator) otherwise survive to LLVM.
struct ExtendContractionOperands : OpRewritePattern<vector::ContractionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::ContractionOp op,
                                PatternRewriter &rewriter) const override {
    auto accType = dyn_cast<FloatType>(getElementTypeOrSelf(op.getAccType()));
    if (!accType)
      return rewriter.notifyMatchFailure(op, "not a float accumulator");
    auto extend = [&](Value v) -> Value {
      auto vecType = cast<VectorType>(v.getType());
      auto elemType = dyn_cast<FloatType>(vecType.getElementType());
      if (!elemType || elemType.getWidth() >= accType.getWidth())
        return v;
      return arith::ExtFOp::create(rewriter, op.getLoc(),
                                   vecType.clone(accType), v);
    };
    Value lhs = extend(op.getLhs()), rhs = extend(op.getRhs());
    if (lhs == op.getLhs() && rhs == op.getRhs())
      return rewriter.notifyMatchFailure(op, "operands already as wide");
    rewriter.modifyOpInPlace(op, [&] {
      op.getLhsMutable().assign(lhs);
      op.getRhsMutable().assign(rhs);
    });
    return success();
  }
};
} // namespace

void kiln::populateCPUVectorCleanupPatterns(RewritePatternSet &patterns) {
  patterns.add<ExtendContractionOperands>(patterns.getContext());
  tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(patterns);
  vector::populateVectorReductionToContractPatterns(patterns);
  vector::populateVectorContractLoweringPatterns(
      patterns, vector::VectorContractLowering::OuterProduct);
  vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
}

/// Moves loop-invariant transfer_read/transfer_write pairs on iter_args (the
/// accumulators) out of scf.for loops, innermost first.
static void hoistAccumulators(RewriterBase &rewriter, func::FuncOp func) {
  SmallVector<scf::ForOp> loops;
  func.walk([&](scf::ForOp loop) { loops.push_back(loop); });
  for (scf::ForOp loop : loops)
    hoistLoopInvariantSubsets(rewriter, cast<LoopLikeOpInterface>(*loop));
}

/// Rewrites an elementwise generic that reads the expand_shape of a
/// contraction's result to run on the collapsed shape (its other operands are
/// collapsed, its result expanded back), so that the contraction becomes the
/// generic's direct producer and is fused into the root's scf.forall. Without
/// this, a 3-D MatMul (folded into a 2-D linalg.matmul) followed by a bias or
/// a cast stayed outside the forall and ran on one thread.
static void collapseEpiloguesOntoContractions(func::FuncOp func) {
  linalg::ControlFusionFn control = [](OpOperand *fused) {
    auto consumer = dyn_cast<linalg::LinalgOp>(fused->getOwner());
    auto reshape = fused->get().getDefiningOp<tensor::ExpandShapeOp>();
    if (!consumer || !reshape ||
        consumer.getNumLoops() != consumer.getNumParallelLoops())
      return false;
    auto producer = reshape.getSrc().getDefiningOp<linalg::LinalgOp>();
    return producer && producer.getNumReductionLoops() > 0;
  };
  RewritePatternSet patterns(func.getContext());
  linalg::populateFoldReshapeOpsByCollapsingPatterns(patterns, control);
  (void)applyPatternsGreedily(func, std::move(patterns));
}

LogicalResult
kiln::tileAndVectorizeKernel(RewriterBase &rewriter, func::FuncOp func,
                             const CPUTileAndVectorizeOptions &options) {
  collapseEpiloguesOntoContractions(func);
  if (linalg::LinalgOp root = findRoot(func))
    if (failed(distributeRoot(rewriter, root, options)))
      return failure();
  {
    // A symbolic size read from an untiled op's result (tensor.dim) would
    // keep that op alive outside the forall, computed whole on one thread:
    // read it from the op's operands instead, and let the op die.
    RewritePatternSet patterns(func.getContext());
    memref::populateResolveRankedShapedTypeResultDimsPatterns(patterns);
    memref::populateResolveShapedTypeResultDimsPatterns(patterns);
    addCanonicalizations(patterns);
    (void)applyPatternsGreedily(func, std::move(patterns));
  }
  tileToRegisters(rewriter, func, options);

  MLIRContext *ctx = func.getContext();
  {
    // 2-D convolutions with a unit window and output dim become 1-D ones,
    // except the microkernels' (a call takes them whole).
    SmallVector<Operation *> convs;
    func.walk([&](linalg::LinalgOp op) {
      if (isa<linalg::ConvolutionOpInterface>(op.getOperation()) &&
          !(options.microkernels && matchMicrokernel(op)))
        convs.push_back(op);
    });
    RewritePatternSet decompose(ctx);
    linalg::populateDecomposeConvolutionPatterns(decompose);
    (void)applyOpPatternsGreedily(convs, std::move(decompose));
    RewritePatternSet patterns(ctx);
    addCanonicalizations(patterns);
    (void)applyPatternsGreedily(func, std::move(patterns));
  }
  vectorizeOps(rewriter, func, options);
  {
    RewritePatternSet patterns(ctx);
    populateCPUVectorCleanupPatterns(patterns);
    addCanonicalizations(patterns);
    (void)applyPatternsGreedily(func, std::move(patterns));
  }
  hoistAccumulators(rewriter, func);
  {
    RewritePatternSet patterns(ctx);
    addCanonicalizations(patterns);
    (void)applyPatternsGreedily(func, std::move(patterns));
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

namespace {
struct TileAndVectorizePass
    : kiln::impl::KilnCPUTileAndVectorizeBase<TileAndVectorizePass> {
  using Base::Base;
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // Kernels only: the entry function just calls them.
    if (func.isExternal() || func->hasAttr("kiln.entry"))
      return;
    CPUTileAndVectorizeOptions options;
    options.vectorWidth = vectorWidth;
    options.registerRows = registerRows;
    options.targetTiles = targetTiles;
    options.microkernels = microkernels;
    IRRewriter rewriter(func.getContext());
    if (failed(tileAndVectorizeKernel(rewriter, func, options)))
      signalPassFailure();
  }
};
} // namespace
