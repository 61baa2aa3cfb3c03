//===- TileAndVectorize.h - CPU tiling/vectorization API ---------*- C++ -*-===//
//
// The steerable core of kiln-cpu-tile-and-vectorize: a kernel function's root
// op is tiled into an scf.forall (producers fused), every linalg op is then
// tiled to register blocks and vectorized. Tile sizes come from a default
// heuristic that a caller can override per op and level.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CPU_TILEANDVECTORIZE_H
#define KILN_PASSES_CPU_TILEANDVECTORIZE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

#include <functional>
#include <optional>

namespace mlir::kiln {

/// The two tiling levels: `Distribution` tiles the root's parallel loops into
/// an scf.forall (one task per tile); `Register` tiles every op to the block
/// that is vectorized (scf.for loops).
enum class CPUTilingLevel { Distribution, Register };

/// Returns tile sizes for `op` at `level` (one per loop, 0 = not tiled), or
/// std::nullopt to use the default heuristic.
using CPUTileSizeControlFn = std::function<std::optional<SmallVector<int64_t>>(
    linalg::LinalgOp op, CPUTilingLevel level)>;

struct CPUTileAndVectorizeOptions {
  /// f32 lanes per vector register (16 for AVX-512, 8 for AVX2).
  int64_t vectorWidth = 16;
  /// Rows of a matmul's register tile (2 vectors of accumulators each): the
  /// accumulators and the operands of one k step must fit the ISA's vector
  /// registers (8 with AVX-512's 32, 4 with AVX2's or SSE's 16).
  int64_t registerRows = 8;
  /// The distribution level aims for at least this many tiles (it stops at
  /// the first split that reaches it, so at most ~2x).
  int64_t targetTiles = 32;
  /// Leave the ops that runtime microkernels compute (Microkernels.h) at the
  /// distribution level: no register tiling or vectorization; tasks are
  /// shaped for the packed GEMM.
  bool microkernels = false;
  /// Overrides the default tile sizes.
  CPUTileSizeControlFn tileSizeControlFn = nullptr;
};

/// Default register-level tile sizes for `op` (one per loop, 0 = whole loop).
SmallVector<int64_t> getDefaultCPURegisterTileSizes(
    linalg::LinalgOp op, const CPUTileAndVectorizeOptions &options);

/// Default distribution tile sizes for `root`: splits its parallel loops
/// (largest remaining blocks first, into divisors that are multiples of the
/// register tile) until `targetTiles` tiles exist. All zeros = no forall.
SmallVector<int64_t> getDefaultCPUDistributionTileSizes(
    linalg::LinalgOp root, const CPUTileAndVectorizeOptions &options);

/// Patterns that tidy vectorized code on tensors: fold subset ops into
/// transfers, lower vector.contract to outer products (FMAs) and fold
/// permutation maps.
void populateCPUVectorCleanupPatterns(RewritePatternSet &patterns);

/// Tiles, fuses and vectorizes one kernel function. Ops that cannot be
/// tiled or vectorized are left as they are; this only fails on IR that
/// the rewriters broke (never for a missing vectorization).
LogicalResult tileAndVectorizeKernel(RewriterBase &rewriter, func::FuncOp func,
                                     const CPUTileAndVectorizeOptions &options);

} // namespace mlir::kiln

#endif // KILN_PASSES_CPU_TILEANDVECTORIZE_H
