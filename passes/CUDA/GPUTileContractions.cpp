//===- GPUTileContractions.cpp - Shared-memory tiled GPU contractions -----===//
//
// Every bufferized linalg op that reads two operands and reduces over some
// loops (matmul, batch_matmul, convolutions, einsum contractions) becomes one
// GPU kernel of the classic shape:
//
//   block (b, m-tile, n-tile), 256 threads, each owning TM x TN outputs:
//     acc = fill value, or C
//     for k0 in K step BK:
//       all threads copy an A tile (BM x BK) and a B tile (BK x BN) to
//       shared memory, consecutive threads reading consecutive addresses,
//       up to 16 aligned bytes each (vector loads) where the layout allows
//       barrier
//       for kk < BK: acc[i][j] = body(As[kk][i], Bs[kk][j], acc[i][j])
//       barrier
//     C = epilogue(acc)   (the elementwise ops that consumed C, fused)
//
// The iteration dims are classified against the two inputs: parallel dims
// of both are batch, of the first only are M, of the second only are N,
// reductions are K. So a convolution is an implicit GEMM (M = n, oh, ow;
// N = f; K = c, kh, kw) with its operands read through their indexing maps.
// The op's own body is applied per (m, n, k), so the reduction order is that
// of the naive loops and any combiner works.
//
// float16 and bfloat16 multiply-adds run on tensor cores instead: four warps
// per 64x64 block, each owning 32x32 outputs as 2x4 `nvgpu.mma.sync`
// m16n8k16 tiles accumulated in f32, operands read from shared memory in
// the PTX fragment layouts (sm_80 code, which sm_90 runs too).
//
// With `host-emulation` the same phases are emitted as sequential loops
// (one per phase and thread, accumulators in a per-thread buffer) inside an
// scf.parallel over blocks, so `--target cuda:host` checks the tiling's
// index math, guards and fusion on the CPU. A tensor-core step is emulated
// per warp: the lanes' A and B fragments are gathered with the loads the
// device code uses, and each element of the product is formed through
// independently written inverse layouts and put where the inverse C layout
// says, so an A, B or C layout that disagreed with the PTX definition would
// show as a wrong result.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/CUDA/KernelBuilding.h"
#include "passes/Memory/EntryAbi.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNGPUTILECONTRACTIONS
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::gpu_kernels;

namespace {

/// Block and thread tile sizes. SIMT: each thread owns tm x tn outputs.
/// Tensor cores (`mma`): each warp owns a 32x32 square.
struct TileConfig {
  int64_t bm, bn, bk, tm, tn;
  bool mma = false;
  int64_t warpsN() const { return bn / 32; }
  int64_t threads() const {
    return mma ? 32 * (bm / 32) * (bn / 32) : (bm / tm) * (bn / tn);
  }
  /// Accumulators per thread: 2x4 m16n8 tiles of 4 floats per lane (mma).
  int64_t accumulators() const { return mma ? 2 * 4 * 4 : tm * tn; }
};

constexpr TileConfig kLargeTiles{64, 64, 16, 4, 4};
constexpr TileConfig kSmallTiles{32, 32, 16, 2, 2};
constexpr TileConfig kMmaTiles{64, 64, 32, 0, 0, /*mma=*/true};
/// m16n8k16 fragments are read from shared rows padded by 8 halves.
constexpr int64_t kMmaSharedPad = 8;
/// Enough blocks to fill an H100's 132 SMs with large tiles; below that the
/// small tiles trade register reuse for parallelism.
constexpr int64_t kBlocksForLargeTiles = 132;
/// Shared-memory rows are padded so a column walk does not hit one bank.
constexpr int64_t kSharedPad = 4;
/// The widest load a thread issues (ld.global.v4.f32, ld.shared.v4.f32).
/// Every buffer a kernel sees starts on a kBufferAlignment boundary (the
/// arena plan, the weights blob and the runtime's allocations), so a vector
/// is aligned when its element offset is a multiple of its width.
constexpr int64_t kMaxVectorBytes = 16;
static_assert(kBufferAlignment % kMaxVectorBytes == 0);

/// The loop dims of a contraction by role, outer to inner, with sizes.
struct GemmDims {
  SmallVector<unsigned> batch, m, n, k;
  SmallVector<int64_t> ranges;
  int64_t size(ArrayRef<unsigned> dims) const {
    int64_t s = 1;
    for (unsigned d : dims)
      s *= ranges[d];
    return s;
  }
  /// Blocks of the grid: one per batch and output tile.
  int64_t blocks(const TileConfig &tiles) const {
    return size(batch) * llvm::divideCeil(size(m), tiles.bm) *
           llvm::divideCeil(size(n), tiles.bn);
  }
};

struct KilnGPUTileContractions
    : kiln::impl::KilnGPUTileContractionsBase<KilnGPUTileContractions> {
  using Base::Base;
  void runOnOperation() override;
};

/// Builds the kernel of one contraction; see the file comment.
class ContractionKernel {
public:
  ContractionKernel(linalg::LinalgOp op, GemmDims dims, TileConfig tiles,
                    std::optional<Value> fill,
                    SmallVector<linalg::LinalgOp> epilogues)
      : op(op), dims(std::move(dims)), tiles(tiles), fill(fill),
        epilogues(std::move(epilogues)) {
    x = op.getDpsInputOperand(0)->get();
    y = op.getDpsInputOperand(1)->get();
    c = op.getDpsInitOperand(0)->get();
    maps = op.getIndexingMapsArray();
    sizeM = this->dims.size(this->dims.m);
    sizeN = this->dims.size(this->dims.n);
    sizeK = this->dims.size(this->dims.k);
    tilesM = llvm::divideCeil(sizeM, tiles.bm);
    tilesN = llvm::divideCeil(sizeN, tiles.bn);
  }

  int64_t numBlocks() const { return dims.blocks(tiles); }
  /// Device kernels state the alignment of their vector accesses (so they
  /// become ld.v2/ld.v4); the host emulation's buffers make no such promise.
  void emitDevice(OpBuilder &b);
  void emitHostEmulation(OpBuilder &b);

private:
  Location loc() { return op.getLoc(); }
  Value index(OpBuilder &b, int64_t v) {
    return arith::ConstantIndexOp::create(b, loc(), v);
  }
  /// SIMT tiles are [k][col]; tensor-core tiles [col][k], so that the k
  /// pairs of a fragment register are adjacent.
  MemRefType sharedType(Value operand, int64_t cols, Attribute space) {
    Type element = getElementTypeOrSelf(operand.getType());
    SmallVector<int64_t> shape =
        tiles.mma ? SmallVector<int64_t>{cols, tiles.bk + kMmaSharedPad}
                  : SmallVector<int64_t>{tiles.bk, cols + kSharedPad};
    return MemRefType::get(shape, element, MemRefLayoutAttrInterface(), space);
  }
  Type accType() {
    Type element = getElementTypeOrSelf(c.getType());
    return tiles.mma ? Float32Type::get(element.getContext()) : element;
  }
  /// Between the accumulator type and C's element type (tensor cores
  /// accumulate f16/bf16 results in f32).
  Value toAcc(OpBuilder &b, Value v) {
    return v.getType() == accType() ? v
                                    : arith::ExtFOp::create(b, loc(), accType(), v);
  }
  Value fromAcc(OpBuilder &b, Value v) {
    Type element = getElementTypeOrSelf(c.getType());
    return v.getType() == element ? v
                                  : arith::TruncFOp::create(b, loc(), element, v);
  }

  /// Splits a linear index over `group` into one value per dim of it, and
  /// writes them into `loopIvs` (the last dim varies fastest).
  void delinearize(OpBuilder &b, Value linear, ArrayRef<unsigned> group,
                   SmallVectorImpl<Value> &loopIvs);
  /// Loads `operand` at the element that loop ivs `loopIvs` address.
  Value loadAt(OpBuilder &b, Value operand, AffineMap map,
               ArrayRef<Value> loopIvs);
  /// The element `loopIvs` address (a vector of `width` elements along the
  /// last dim when `width` > 1), or zero when `inBounds` is false.
  Value loadOrZero(OpBuilder &b, Value inBounds, Value operand, AffineMap map,
                   ArrayRef<Value> loopIvs, int64_t width = 1);
  /// Elements per copy when an operand tile whose fast dims are `fastDims`
  /// (a tile `fastTile` long along them) is copied.
  int64_t copyWidth(Value operand, AffineMap map, ArrayRef<unsigned> fastDims,
                    int64_t fastTile, int64_t tileElements);
  /// The alignment a vector access of `type` states: its size on the device,
  /// none in the host emulation.
  llvm::MaybeAlign vectorAlignment(VectorType type) const;
  /// A vector.load / vector.store of `type` at `indices` of `memref`.
  Value loadVector(OpBuilder &b, VectorType type, Value memref,
                   ValueRange indices);
  void storeVector(OpBuilder &b, Value vector, Value memref, ValueRange indices);
  /// `count` adjacent values of a shared row from (`row`, `col`): one vector
  /// load when it is aligned (a thread's 4 A or B values per k step).
  SmallVector<Value> loadRun(OpBuilder &b, Value shared, Value row, Value col,
                             int64_t count);

  struct BlockCoords {
    Value batch, m0, n0;
    Value ty, tx;         // SIMT: the thread's row and column of tiles
    Value wm, wn, g, t;   // mma: warp row/col; lane / 4 and lane % 4
  };
  /// The (row, col) within the block tile of accumulator `idx` of a thread.
  std::pair<Value, Value> accPosition(OpBuilder &b, const BlockCoords &at,
                                      int64_t idx);
  /// The output (m, n) of accumulator `idx`, and whether it is in bounds.
  struct OutputAt {
    Value m, n, inBounds;
  };
  OutputAt outputAt(OpBuilder &b, const BlockCoords &at, int64_t idx);
  /// The `regs` values of one lane's fragment, loaded from `shared` at the
  /// (row or col, k) that `positionOf(reg)` gives.
  SmallVector<Value>
  loadFragment(OpBuilder &b, Value shared, int64_t regs,
               function_ref<std::pair<Value, Value>(int64_t)> positionOf);
  SmallVector<Value> mmaStep(OpBuilder &b, const BlockCoords &at, Value ks,
                             Value aShared, Value bShared, ValueRange acc);
  void emulateWarpMma(OpBuilder &b, const BlockCoords &at, Value warp,
                      Value aShared, Value bShared, Value accBuf,
                      Value aScratch, Value bScratch);
  BlockCoords coords(OpBuilder &b, Value block, Value tid);
  SmallVector<Value> loopIvsFor(OpBuilder &b, const BlockCoords &at, Value m,
                                Value n, Value k);

  SmallVector<Value> initAccumulators(OpBuilder &b, const BlockCoords &at);
  void copyTiles(OpBuilder &b, const BlockCoords &at, Value tid, Value k0,
                 Value aShared, Value bShared);
  SmallVector<Value> accumulate(OpBuilder &b, const BlockCoords &at, Value k0,
                                Value aShared, Value bShared,
                                ValueRange acc);
  void storeResults(OpBuilder &b, const BlockCoords &at, ValueRange acc);

  linalg::LinalgOp op;
  GemmDims dims;
  TileConfig tiles;
  std::optional<Value> fill;
  /// Elementwise ops fused after the contraction: each reads C (identity
  /// map) and writes it in place.
  SmallVector<linalg::LinalgOp> epilogues;
  Value x, y, c;
  SmallVector<AffineMap> maps;
  int64_t sizeM, sizeN, sizeK, tilesM, tilesN;
  bool device = false;
};

} // namespace

//===----------------------------------------------------------------------===//
// Index math shared by the device kernel and its host emulation
//===----------------------------------------------------------------------===//

void ContractionKernel::delinearize(OpBuilder &b, Value linear,
                                    ArrayRef<unsigned> group,
                                    SmallVectorImpl<Value> &loopIvs) {
  gpu_kernels::delinearize(b, loc(), linear, group, dims.ranges, loopIvs);
}

Value ContractionKernel::loadAt(OpBuilder &b, Value operand, AffineMap map,
                                ArrayRef<Value> loopIvs) {
  return gpu_kernels::loadAt(b, loc(), operand, map, loopIvs);
}

llvm::MaybeAlign ContractionKernel::vectorAlignment(VectorType type) const {
  if (!device)
    return llvm::MaybeAlign();
  return llvm::Align(type.getNumElements() * type.getElementTypeBitWidth() / 8);
}

Value ContractionKernel::loadVector(OpBuilder &b, VectorType type, Value memref,
                                    ValueRange indices) {
  return vector::LoadOp::create(b, loc(), type, memref, indices,
                                /*nontemporal=*/false, vectorAlignment(type));
}

void ContractionKernel::storeVector(OpBuilder &b, Value vector, Value memref,
                                    ValueRange indices) {
  auto type = cast<VectorType>(vector.getType());
  vector::StoreOp::create(b, loc(), vector, memref, indices,
                          /*nontemporal=*/false, vectorAlignment(type));
}

SmallVector<Value> ContractionKernel::loadRun(OpBuilder &b, Value shared,
                                              Value row, Value col,
                                              int64_t count) {
  auto type = cast<MemRefType>(shared.getType());
  int64_t bytes = count * type.getElementTypeBitWidth() / 8;
  SmallVector<Value> values;
  // Runs start at multiples of `count` (the thread's tile), and rows are
  // padded to keep them aligned; otherwise load element by element.
  if (count == 1 || !llvm::isPowerOf2_64(bytes) || bytes > kMaxVectorBytes ||
      type.getDimSize(1) % count != 0) {
    for (int64_t i = 0; i < count; ++i)
      values.push_back(memref::LoadOp::create(
          b, loc(), shared, ValueRange{row, mulAdd(b, loc(), col, 1, i)}));
    return values;
  }
  Value run = loadVector(b, VectorType::get({count}, type.getElementType()),
                         shared, ValueRange{row, col});
  for (int64_t i = 0; i < count; ++i)
    values.push_back(vector::ExtractOp::create(b, loc(), run, ArrayRef<int64_t>{i}));
  return values;
}

int64_t ContractionKernel::copyWidth(Value operand, AffineMap map,
                                     ArrayRef<unsigned> fastDims,
                                     int64_t fastTile, int64_t tileElements) {
  auto type = cast<MemRefType>(operand.getType());
  unsigned bits = type.getElementTypeBitWidth();
  // A global constant's alignment is the module's business, not the ABI's.
  if (bits < 8 || !llvm::isPowerOf2_32(bits) || fastDims.empty() ||
      operand.getDefiningOp<memref::GetGlobalOp>())
    return 1;
  // The last index must be the fast dim itself (unit stride), so that
  // `width` consecutive values of it are `width` adjacent elements.
  if (map.getResults().back() !=
      getAffineDimExpr(fastDims.back(), operand.getContext()))
    return 1;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)) ||
      strides.back() != 1 || ShapedType::isDynamic(offset))
    return 1;
  for (int64_t width = kMaxVectorBytes / (bits / 8); width > 1; width /= 2) {
    // Vectors start at multiples of `width` of the fast dim (tiles start at
    // multiples of the tile size), stay inside one run of it, and are
    // aligned when every stride and the offset are multiples of `width`.
    bool fits = dims.ranges[fastDims.back()] % width == 0 &&
                fastTile % width == 0 &&
                tileElements % (tiles.threads() * width) == 0 &&
                offset % width == 0 &&
                llvm::all_of(ArrayRef(strides).drop_back(), [&](int64_t s) {
                  return !ShapedType::isDynamic(s) && s % width == 0;
                });
    if (fits)
      return width;
  }
  return 1;
}

Value ContractionKernel::loadOrZero(OpBuilder &b, Value inBounds, Value operand,
                                    AffineMap map, ArrayRef<Value> loopIvs,
                                    int64_t width) {
  Type element = getElementTypeOrSelf(operand.getType());
  Type type = width == 1 ? element : VectorType::get({width}, element);
  return ifElse(
      b, loc(), inBounds, type,
      [&](OpBuilder &nb) -> Value {
        if (width == 1)
          return loadAt(nb, operand, map, loopIvs);
        return loadVector(nb, cast<VectorType>(type), operand,
                          indicesAt(nb, loc(), map, loopIvs));
      },
      [&](OpBuilder &nb) -> Value {
        return arith::ConstantOp::create(nb, loc(), nb.getZeroAttr(type));
      });
}

ContractionKernel::BlockCoords
ContractionKernel::coords(OpBuilder &b, Value block, Value tid) {
  BlockCoords at;
  Value perBatch = index(b, tilesM * tilesN);
  at.batch = arith::DivUIOp::create(b, loc(), block, perBatch);
  Value rest = arith::RemUIOp::create(b, loc(), block, perBatch);
  Value nTiles = index(b, tilesN);
  Value mTile = arith::DivUIOp::create(b, loc(), rest, nTiles);
  Value nTile = arith::RemUIOp::create(b, loc(), rest, nTiles);
  at.m0 = arith::MulIOp::create(b, loc(), mTile, index(b, tiles.bm));
  at.n0 = arith::MulIOp::create(b, loc(), nTile, index(b, tiles.bn));
  if (tiles.mma) {
    Value warp = arith::DivUIOp::create(b, loc(), tid, index(b, 32));
    Value lane = arith::RemUIOp::create(b, loc(), tid, index(b, 32));
    at.wm = arith::DivUIOp::create(b, loc(), warp, index(b, tiles.warpsN()));
    at.wn = arith::RemUIOp::create(b, loc(), warp, index(b, tiles.warpsN()));
    at.g = arith::DivUIOp::create(b, loc(), lane, index(b, 4));
    at.t = arith::RemUIOp::create(b, loc(), lane, index(b, 4));
    return at;
  }
  Value threadsN = index(b, tiles.bn / tiles.tn);
  at.ty = arith::DivUIOp::create(b, loc(), tid, threadsN);
  at.tx = arith::RemUIOp::create(b, loc(), tid, threadsN);
  return at;
}

/// Register `r` (0..3) of a lane's C/D fragment holds the m16n8 tile's row
/// g + 8 * (r / 2), col 2t + r % 2 (PTX ISA, mma.m16n8k16 fragment layout;
/// g = lane / 4, t = lane % 4).
static std::pair<Value, Value> cFragmentAt(OpBuilder &b, Location loc, Value g,
                                           Value t, int64_t r) {
  return {mulAdd(b, loc, g, 1, 8 * (r / 2)), mulAdd(b, loc, t, 2, r % 2)};
}

std::pair<Value, Value>
ContractionKernel::accPosition(OpBuilder &b, const BlockCoords &at,
                               int64_t idx) {
  if (!tiles.mma)
    return {mulAdd(b, loc(), at.ty, tiles.tm, idx / tiles.tn),
            mulAdd(b, loc(), at.tx, tiles.tn, idx % tiles.tn)};
  // Accumulator idx = (i * 4 + j) * 4 + r: register r of the lane in m16n8
  // tile (i, j) of the warp.
  int64_t tile = idx / 4, r = idx % 4, i = tile / 4, j = tile % 4;
  auto [row, col] = cFragmentAt(b, loc(), at.g, at.t, r);
  Value warpRow = mulAdd(b, loc(), at.wm, 32, i * 16);
  Value warpCol = mulAdd(b, loc(), at.wn, 32, j * 8);
  return {arith::AddIOp::create(b, loc(), warpRow, row),
          arith::AddIOp::create(b, loc(), warpCol, col)};
}

ContractionKernel::OutputAt
ContractionKernel::outputAt(OpBuilder &b, const BlockCoords &at, int64_t idx) {
  auto [row, col] = accPosition(b, at, idx);
  Value m = arith::AddIOp::create(b, loc(), at.m0, row);
  Value n = arith::AddIOp::create(b, loc(), at.n0, col);
  Value ok = arith::AndIOp::create(b, loc(), inRange(b, loc(), m, sizeM),
                                   inRange(b, loc(), n, sizeN));
  return {m, n, ok};
}

SmallVector<Value> ContractionKernel::loopIvsFor(OpBuilder &b,
                                                 const BlockCoords &at, Value m,
                                                 Value n, Value k) {
  Value zero = index(b, 0);
  SmallVector<Value> loopIvs(dims.ranges.size(), zero);
  if (!dims.batch.empty())
    delinearize(b, at.batch, dims.batch, loopIvs);
  if (m)
    delinearize(b, m, dims.m, loopIvs);
  if (n)
    delinearize(b, n, dims.n, loopIvs);
  if (k)
    delinearize(b, k, dims.k, loopIvs);
  return loopIvs;
}

//===----------------------------------------------------------------------===//
// The phases
//===----------------------------------------------------------------------===//

SmallVector<Value> ContractionKernel::initAccumulators(OpBuilder &b,
                                                       const BlockCoords &at) {
  SmallVector<Value> acc;
  for (int64_t idx = 0; idx < tiles.accumulators(); ++idx) {
    if (fill) {
      acc.push_back(toAcc(b, *fill));
      continue;
    }
    OutputAt out = outputAt(b, at, idx);
    SmallVector<Value> ivs = loopIvsFor(b, at, out.m, out.n, Value());
    acc.push_back(toAcc(b, loadOrZero(b, out.inBounds, c, maps[2], ivs)));
  }
  return acc;
}

/// Whether consecutive values of the `inner` dims are adjacent in memory
/// for `map` (its last result is an expression of the innermost one).
static bool innerDimIsContiguous(AffineMap map, ArrayRef<unsigned> inner) {
  if (map.getNumResults() == 0 || inner.empty())
    return false;
  return map.getResults().back().isFunctionOfDim(inner.back());
}

void ContractionKernel::copyTiles(OpBuilder &b, const BlockCoords &at, Value tid,
                                  Value k0, Value aShared, Value bShared) {
  // One operand tile: BK x `cols` (m or n), written to shared memory as
  // [k][col] (SIMT) or [col][k] (tensor cores). Consecutive threads walk it
  // along col when the operand is contiguous in col (row-major B, a conv
  // input along ow), else along k when it is contiguous in k (row-major A,
  // a conv filter); each thread copies `width` adjacent elements at once
  // when they are aligned (ld.global.v4.f32, ld.global.v4.b32 for 8 halves).
  auto copyOne = [&](Value operand, AffineMap map, ArrayRef<unsigned> colDims,
                     Value col0, int64_t cols, int64_t colSize, bool isM,
                     Value shared) {
    bool colFastest = innerDimIsContiguous(map, colDims);
    bool kFastest = !colFastest && innerDimIsContiguous(map, dims.k);
    int64_t elements = tiles.bk * cols;
    int64_t width = 1;
    if (colFastest || kFastest)
      width = kFastest ? copyWidth(operand, map, dims.k, tiles.bk, elements)
                       : copyWidth(operand, map, colDims, cols, elements);
    // The shared row runs along k for tensor cores, along col otherwise; a
    // vector along it is stored whole when it stays aligned there.
    int64_t rowElements = cast<MemRefType>(shared.getType()).getDimSize(1);
    bool storeWhole = width > 1 && (tiles.mma == kFastest) &&
                      rowElements % width == 0;
    int64_t perPass = tiles.threads() * width;
    for (int64_t it = 0; it < elements / perPass; ++it) {
      Value e = mulAdd(b, loc(), tid, width, it * perPass);
      Value kk, cc;
      if (kFastest) {
        kk = arith::RemUIOp::create(b, loc(), e, index(b, tiles.bk));
        cc = arith::DivUIOp::create(b, loc(), e, index(b, tiles.bk));
      } else {
        cc = arith::RemUIOp::create(b, loc(), e, index(b, cols));
        kk = arith::DivUIOp::create(b, loc(), e, index(b, cols));
      }
      Value k = arith::AddIOp::create(b, loc(), k0, kk);
      Value col = arith::AddIOp::create(b, loc(), col0, cc);
      // A vector's first element decides for all of it: the fast dim's
      // extent is a multiple of `width` (copyWidth).
      Value ok = arith::AndIOp::create(b, loc(), inRange(b, loc(), k, sizeK),
                                       inRange(b, loc(), col, colSize));
      SmallVector<Value> ivs = isM ? loopIvsFor(b, at, col, Value(), k)
                                   : loopIvsFor(b, at, Value(), col, k);
      auto sharedAt = [&](Value kIdx, Value colIdx) {
        return tiles.mma ? SmallVector<Value>{colIdx, kIdx}
                         : SmallVector<Value>{kIdx, colIdx};
      };
      Value v = loadOrZero(b, ok, operand, map, ivs, width);
      if (width == 1) {
        memref::StoreOp::create(b, loc(), v, shared, sharedAt(kk, cc));
        continue;
      }
      if (storeWhole) {
        storeVector(b, v, shared, sharedAt(kk, cc));
        continue;
      }
      for (int64_t i = 0; i < width; ++i) {
        Value element = vector::ExtractOp::create(b, loc(), v, ArrayRef<int64_t>{i});
        Value kIdx = kFastest ? mulAdd(b, loc(), kk, 1, i) : kk;
        Value colIdx = kFastest ? cc : mulAdd(b, loc(), cc, 1, i);
        memref::StoreOp::create(b, loc(), element, shared, sharedAt(kIdx, colIdx));
      }
    }
  };
  copyOne(x, maps[0], dims.m, at.m0, tiles.bm, sizeM, /*isM=*/true, aShared);
  copyOne(y, maps[1], dims.n, at.n0, tiles.bn, sizeN, /*isM=*/false, bShared);
}

SmallVector<Value> ContractionKernel::accumulate(OpBuilder &b,
                                                 const BlockCoords &at, Value k0,
                                                 Value aShared, Value bShared,
                                                 ValueRange acc) {
  if (tiles.mma) {
    // A multiply-add: the zero padding of a partial k tile adds nothing.
    SmallVector<Value> next(acc);
    for (int64_t ks = 0; ks < tiles.bk; ks += 16)
      next = mmaStep(b, at, index(b, ks), aShared, bShared, next);
    return next;
  }
  // The last k tile may be partial: its zero padding is only neutral for a
  // multiply-add, so the loop stops at K instead.
  Value upper = index(b, tiles.bk);
  if (sizeK % tiles.bk != 0) {
    Value left = arith::SubIOp::create(b, loc(), index(b, sizeK), k0);
    upper = arith::MinUIOp::create(b, loc(), left, upper);
  }
  Block &body = *op.getBlock();
  auto loop = scf::ForOp::create(
      b, loc(), index(b, 0), upper, index(b, 1), acc,
      [&](OpBuilder &nb, Location l, Value kk, ValueRange iter) {
        Value rowBase = arith::MulIOp::create(nb, l, at.ty, index(nb, tiles.tm));
        Value colBase = arith::MulIOp::create(nb, l, at.tx, index(nb, tiles.tn));
        SmallVector<Value> as = loadRun(nb, aShared, kk, rowBase, tiles.tm);
        SmallVector<Value> bs = loadRun(nb, bShared, kk, colBase, tiles.tn);
        SmallVector<Value> next;
        for (int64_t i = 0; i < tiles.tm; ++i)
          for (int64_t j = 0; j < tiles.tn; ++j)
            next.push_back(
                applyBody(nb, body, {as[i], bs[j], iter[i * tiles.tn + j]}));
        scf::YieldOp::create(nb, l, next);
      });
  return loop.getResults();
}

void ContractionKernel::storeResults(OpBuilder &b, const BlockCoords &at,
                                     ValueRange acc) {
  for (int64_t idx = 0; idx < tiles.accumulators(); ++idx) {
    OutputAt out = outputAt(b, at, idx);
    auto ifOp = scf::IfOp::create(b, loc(), out.inBounds, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    SmallVector<Value> ivs = loopIvsFor(b, at, out.m, out.n, Value());
    // The C element's indices, which are the epilogues' loop ivs.
    SmallVector<Value> cIndices;
    for (AffineExpr expr : maps[2].getResults())
      cIndices.push_back(ivs[cast<AffineDimExpr>(expr).getPosition()]);
    Value value = fromAcc(b, acc[idx]);
    for (linalg::LinalgOp epilogue : epilogues) {
      SmallVector<Value> args;
      for (OpOperand &operand : epilogue->getOpOperands()) {
        if (operand.get() == c) {
          args.push_back(value);
          continue;
        }
        AffineMap map = epilogue.getMatchingIndexingMap(&operand);
        args.push_back(loadAt(b, operand.get(), map, cIndices));
      }
      value = applyBody(b, *epilogue.getBlock(), args);
    }
    memref::StoreOp::create(b, loc(), value, c, cIndices);
  }
}

//===----------------------------------------------------------------------===//
// Tensor cores: mma.sync m16n8k16 fragments (PTX ISA, "Matrix Fragments for
// mma.m16n8k16 with floating point type"); g = lane / 4, t = lane % 4
//===----------------------------------------------------------------------===//

/// Register `reg` (0..7) of a lane's A fragment of m16 tile `i` holds A at
/// row g + 8 * ((reg / 2) % 2), k 2t + reg % 2 + 8 * (reg / 4).
static std::pair<Value, Value> aFragmentAt(OpBuilder &b, Location loc, Value wm,
                                           Value g, Value t, Value ks,
                                           int64_t i, int64_t reg) {
  Value row = arith::AddIOp::create(
      b, loc, mulAdd(b, loc, wm, 32, 0),
      mulAdd(b, loc, g, 1, i * 16 + 8 * ((reg / 2) % 2)));
  Value k = arith::AddIOp::create(
      b, loc, ks, mulAdd(b, loc, t, 2, reg % 2 + 8 * (reg / 4)));
  return {row, k};
}

/// Register `reg` (0..3) of a lane's B fragment of n8 tile `j` holds B at
/// k 2t + reg % 2 + 8 * (reg / 2), n g.
static std::pair<Value, Value> bFragmentAt(OpBuilder &b, Location loc, Value wn,
                                           Value g, Value t, Value ks,
                                           int64_t j, int64_t reg) {
  Value col = arith::AddIOp::create(b, loc, mulAdd(b, loc, wn, 32, 0),
                                    mulAdd(b, loc, g, 1, j * 8));
  Value k = arith::AddIOp::create(
      b, loc, ks, mulAdd(b, loc, t, 2, reg % 2 + 8 * (reg / 2)));
  return {col, k};
}

SmallVector<Value> ContractionKernel::loadFragment(
    OpBuilder &b, Value shared, int64_t regs,
    function_ref<std::pair<Value, Value>(int64_t)> positionOf) {
  // Registers 2r and 2r + 1 hold adjacent k of one row: one 4-byte load.
  SmallVector<Value> values;
  for (int64_t reg = 0; reg < regs; reg += 2) {
    auto [outer, k] = positionOf(reg);
    llvm::append_range(values, loadRun(b, shared, outer, k, 2));
  }
  return values;
}

SmallVector<Value> ContractionKernel::mmaStep(OpBuilder &b,
                                              const BlockCoords &at, Value ks,
                                              Value aShared, Value bShared,
                                              ValueRange acc) {
  Type aType = getElementTypeOrSelf(x.getType());
  Type bType = getElementTypeOrSelf(y.getType());
  SmallVector<Value> aFrags, bFrags;
  for (int64_t i = 0; i < 2; ++i) {
    SmallVector<Value> regs = loadFragment(b, aShared, 8, [&](int64_t reg) {
      return aFragmentAt(b, loc(), at.wm, at.g, at.t, ks, i, reg);
    });
    aFrags.push_back(vector::FromElementsOp::create(
        b, loc(), VectorType::get({4, 2}, aType), regs));
  }
  for (int64_t j = 0; j < 4; ++j) {
    SmallVector<Value> regs = loadFragment(b, bShared, 4, [&](int64_t reg) {
      return bFragmentAt(b, loc(), at.wn, at.g, at.t, ks, j, reg);
    });
    bFrags.push_back(vector::FromElementsOp::create(
        b, loc(), VectorType::get({2, 2}, bType), regs));
  }
  SmallVector<Value> next(acc);
  auto cType = VectorType::get({2, 2}, b.getF32Type());
  for (int64_t i = 0; i < 2; ++i) {
    for (int64_t j = 0; j < 4; ++j) {
      int64_t base = (i * 4 + j) * 4;
      Value cFrag = vector::FromElementsOp::create(
          b, loc(), cType, ValueRange(acc).slice(base, 4));
      Value d = nvgpu::MmaSyncOp::create(b, loc(), aFrags[i], bFrags[j], cFrag,
                                         ArrayRef<int64_t>{16, 8, 16});
      for (int64_t r = 0; r < 4; ++r)
        next[base + r] = vector::ExtractOp::create(b, loc(), d,
                                                   ArrayRef<int64_t>{r / 2, r % 2});
    }
  }
  return next;
}

void ContractionKernel::emulateWarpMma(OpBuilder &b, const BlockCoords &at,
                                       Value warp, Value aShared, Value bShared,
                                       Value accBuf, Value aScratch,
                                       Value bScratch) {
  Location l = loc();
  Type f32 = b.getF32Type();
  auto forLanes = [&](function_ref<void(OpBuilder &, Value, Value, Value)> fn) {
    scf::ForOp::create(b, l, index(b, 0), index(b, 32), index(b, 1), {},
                       [&](OpBuilder &nb, Location, Value lane, ValueRange) {
                         Value g = arith::DivUIOp::create(nb, l, lane, index(nb, 4));
                         Value t = arith::RemUIOp::create(nb, l, lane, index(nb, 4));
                         fn(nb, lane, g, t);
                         scf::YieldOp::create(nb, l);
                       });
  };
  for (int64_t ks = 0; ks < tiles.bk; ks += 16) {
    for (int64_t i = 0; i < 2; ++i) {
      for (int64_t j = 0; j < 4; ++j) {
        // Each lane's fragments, as the device code loads them.
        forLanes([&](OpBuilder &nb, Value lane, Value g, Value t) {
          Value ksv = index(nb, ks);
          SmallVector<Value> aRegs =
              loadFragment(nb, aShared, 8, [&](int64_t reg) {
                return aFragmentAt(nb, l, at.wm, g, t, ksv, i, reg);
              });
          SmallVector<Value> bRegs =
              loadFragment(nb, bShared, 4, [&](int64_t reg) {
                return bFragmentAt(nb, l, at.wn, g, t, ksv, j, reg);
              });
          for (auto [reg, v] : llvm::enumerate(aRegs))
            memref::StoreOp::create(nb, l, v, aScratch,
                                    ValueRange{lane, index(nb, reg)});
          for (auto [reg, v] : llvm::enumerate(bRegs))
            memref::StoreOp::create(nb, l, v, bScratch,
                                    ValueRange{lane, index(nb, reg)});
        });
        // The product, one element (row, col) of the m16n8 tile at a time,
        // through the inverse layouts: A(row, k) from lane (row % 8) * 4 +
        // (k % 8) / 2 register k % 2 + 2 * (row / 8) + 4 * (k / 8); B(k, col)
        // from lane col * 4 + (k % 8) / 2 register k % 2 + 2 * (k / 8); the
        // result into lane (row % 8) * 4 + col / 2 register col % 2 +
        // 2 * (row / 8), where the store phase finds it through accPosition.
        scf::ForOp::create(
            b, l, index(b, 0), index(b, 16 * 8), index(b, 1), {},
            [&](OpBuilder &nb, Location, Value e, ValueRange) {
              auto rem = [&](Value v, int64_t d) {
                return arith::RemUIOp::create(nb, l, v, index(nb, d));
              };
              auto div = [&](Value v, int64_t d) {
                return arith::DivUIOp::create(nb, l, v, index(nb, d));
              };
              auto add = [&](Value a, Value c) {
                return arith::AddIOp::create(nb, l, a, c);
              };
              auto mul = [&](Value a, int64_t c) {
                return arith::MulIOp::create(nb, l, a, index(nb, c));
              };
              Value row = div(e, 8), col = rem(e, 8);
              Value cLane = add(mul(rem(row, 8), 4), div(col, 2));
              Value cReg = add(rem(col, 2), mul(div(row, 8), 2));
              Value tid = add(mul(warp, 32), cLane);
              Value slot = add(index(nb, (i * 4 + j) * 4), cReg);
              Value start =
                  memref::LoadOp::create(nb, l, accBuf, ValueRange{tid, slot});
              auto sum = scf::ForOp::create(
                  nb, l, index(nb, 0), index(nb, 16), index(nb, 1),
                  ValueRange{start},
                  [&](OpBuilder &kb, Location, Value k, ValueRange iter) {
                    OpBuilder::InsertionGuard kGuard(nb);
                    nb.setInsertionPoint(kb.getInsertionBlock(),
                                         kb.getInsertionPoint());
                    Value kPair = div(rem(k, 8), 2);
                    Value aLane = add(mul(rem(row, 8), 4), kPair);
                    Value aReg = add(add(rem(k, 2), mul(div(row, 8), 2)),
                                     mul(div(k, 8), 4));
                    Value bLane = add(mul(col, 4), kPair);
                    Value bReg = add(rem(k, 2), mul(div(k, 8), 2));
                    Value av = memref::LoadOp::create(nb, l, aScratch,
                                                      ValueRange{aLane, aReg});
                    Value bv = memref::LoadOp::create(nb, l, bScratch,
                                                      ValueRange{bLane, bReg});
                    Value p = arith::MulFOp::create(
                        nb, l, arith::ExtFOp::create(nb, l, f32, av),
                        arith::ExtFOp::create(nb, l, f32, bv));
                    scf::YieldOp::create(
                        nb, l, ValueRange{arith::AddFOp::create(nb, l, iter[0], p)});
                  });
              memref::StoreOp::create(nb, l, sum.getResult(0), accBuf,
                                      ValueRange{tid, slot});
              scf::YieldOp::create(nb, l);
            });
      }
    }
  }
}

//===----------------------------------------------------------------------===//
// The two forms
//===----------------------------------------------------------------------===//

void ContractionKernel::emitDevice(OpBuilder &b) {
  device = true;
  MLIRContext *ctx = b.getContext();
  auto space = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  Value one = index(b, 1);
  auto launch = gpu::LaunchOp::create(
      b, loc(), index(b, numBlocks()), one, one, index(b, tiles.threads()), one,
      one, /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
      /*asyncDependencies=*/{},
      TypeRange{sharedType(x, tiles.bm, space), sharedType(y, tiles.bn, space)});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&launch.getBody().front());
  Value aShared = launch.getWorkgroupAttributions()[0];
  Value bShared = launch.getWorkgroupAttributions()[1];
  Value tid = launch.getThreadIds().x;
  BlockCoords at = coords(b, launch.getBlockIds().x, tid);
  SmallVector<Value> init = initAccumulators(b, at);
  auto kLoop = scf::ForOp::create(
      b, loc(), index(b, 0), index(b, sizeK), index(b, tiles.bk), init,
      [&](OpBuilder &nb, Location l, Value k0, ValueRange acc) {
        copyTiles(nb, at, tid, k0, aShared, bShared);
        gpu::BarrierOp::create(nb, l);
        SmallVector<Value> next = accumulate(nb, at, k0, aShared, bShared, acc);
        gpu::BarrierOp::create(nb, l);
        scf::YieldOp::create(nb, l, next);
      });
  storeResults(b, at, kLoop.getResults());
  gpu::TerminatorOp::create(b, loc());
}

void ContractionKernel::emitHostEmulation(OpBuilder &b) {
  // Blocks in an scf.parallel (mapped like any loop), threads one after
  // another per phase; a barrier is the end of a phase.
  int64_t accs = tiles.accumulators();
  auto blocks = scf::ParallelOp::create(b, loc(), ValueRange{index(b, 0)},
                                        ValueRange{index(b, numBlocks())},
                                        ValueRange{index(b, 1)});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(blocks.getBody());
  Value block = blocks.getInductionVars()[0];
  // Heap buffers per block: an alloca_scope would not survive scf-to-cf, and
  // allocas in the loop would grow the stack block after block.
  Value aShared = memref::AllocOp::create(b, loc(), sharedType(x, tiles.bm, {}));
  Value bShared = memref::AllocOp::create(b, loc(), sharedType(y, tiles.bn, {}));
  Value accBuf = memref::AllocOp::create(
      b, loc(), MemRefType::get({tiles.threads(), accs}, accType()));
  Value aScratch, bScratch;
  if (tiles.mma) {
    aScratch = memref::AllocOp::create(
        b, loc(), MemRefType::get({32, 8}, getElementTypeOrSelf(x.getType())));
    bScratch = memref::AllocOp::create(
        b, loc(), MemRefType::get({32, 4}, getElementTypeOrSelf(y.getType())));
  }
  auto forThreads = [&](function_ref<void(OpBuilder &, Value tid)> fn) {
    scf::ForOp::create(b, loc(), index(b, 0), index(b, tiles.threads()),
                       index(b, 1), {},
                       [&](OpBuilder &nb, Location l, Value tid, ValueRange) {
                         fn(nb, tid);
                         scf::YieldOp::create(nb, l);
                       });
  };
  auto loadAcc = [&](OpBuilder &nb, Value tid) {
    SmallVector<Value> acc;
    for (int64_t i = 0; i < accs; ++i)
      acc.push_back(memref::LoadOp::create(nb, loc(), accBuf,
                                           ValueRange{tid, index(nb, i)}));
    return acc;
  };
  auto storeAcc = [&](OpBuilder &nb, Value tid, ValueRange acc) {
    for (int64_t i = 0; i < accs; ++i)
      memref::StoreOp::create(nb, loc(), acc[i], accBuf,
                              ValueRange{tid, index(nb, i)});
  };
  forThreads([&](OpBuilder &nb, Value tid) {
    storeAcc(nb, tid, initAccumulators(nb, coords(nb, block, tid)));
  });
  scf::ForOp::create(
      b, loc(), index(b, 0), index(b, sizeK), index(b, tiles.bk), {},
      [&](OpBuilder &kb, Location l, Value k0, ValueRange) {
        OpBuilder::InsertionGuard kGuard(b);
        b.setInsertionPoint(kb.getInsertionBlock(), kb.getInsertionPoint());
        forThreads([&](OpBuilder &nb, Value tid) {
          copyTiles(nb, coords(nb, block, tid), tid, k0, aShared, bShared);
        });
        if (!tiles.mma) {
          forThreads([&](OpBuilder &nb, Value tid) {
            BlockCoords at = coords(nb, block, tid);
            storeAcc(nb, tid,
                     accumulate(nb, at, k0, aShared, bShared, loadAcc(nb, tid)));
          });
        } else {
          scf::ForOp::create(
              b, l, index(b, 0), index(b, tiles.threads() / 32), index(b, 1), {},
              [&](OpBuilder &nb, Location, Value warp, ValueRange) {
                Value lane0 = arith::MulIOp::create(nb, l, warp, index(nb, 32));
                BlockCoords at = coords(nb, block, lane0);
                OpBuilder::InsertionGuard wGuard(b);
                b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
                emulateWarpMma(b, at, warp, aShared, bShared, accBuf, aScratch,
                               bScratch);
                scf::YieldOp::create(b, l);
              });
        }
        scf::YieldOp::create(b, l);
      });
  forThreads([&](OpBuilder &nb, Value tid) {
    storeResults(nb, coords(nb, block, tid), loadAcc(nb, tid));
  });
  for (Value buffer : {aShared, bShared, accBuf, aScratch, bScratch})
    if (buffer)
      memref::DeallocOp::create(b, loc(), buffer);
}

//===----------------------------------------------------------------------===//
// Matching
//===----------------------------------------------------------------------===//

/// The dims of `op` by role, or nullopt when it is not a two-input
/// contraction this kernel handles.
static std::optional<GemmDims> classifyContraction(linalg::LinalgOp op) {
  if (op.getNumDpsInputs() != 2 || !isStaticBufferReduction(op))
    return std::nullopt;
  Type acc = getElementTypeOrSelf(op.getDpsInitOperand(0)->get().getType());
  for (OpOperand &operand : op->getOpOperands()) {
    Type element = getElementTypeOrSelf(operand.get().getType());
    if (!element.isIntOrFloat())
      return std::nullopt;
  }
  if (!acc.isIntOrFloat())
    return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (!maps[2].isProjectedPermutation())
    return std::nullopt;

  GemmDims dims;
  dims.ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned d = 0; d < iterators.size(); ++d) {
    if (dims.ranges[d] <= 0)
      return std::nullopt;
    bool inX = maps[0].isFunctionOfDim(d), inY = maps[1].isFunctionOfDim(d);
    bool inC = maps[2].isFunctionOfDim(d);
    if (iterators[d] == utils::IteratorType::reduction) {
      if (inC)
        return std::nullopt;
      dims.k.push_back(d);
    } else if (!inC) {
      return std::nullopt;
    } else if (inX && !inY) {
      dims.m.push_back(d);
    } else if (inY && !inX) {
      dims.n.push_back(d);
    } else {
      dims.batch.push_back(d);
    }
  }
  // A matrix-vector product or a depthwise convolution leaves one side
  // without dims: there is nothing to share, the naive mapping serves it.
  if (dims.m.empty() || dims.n.empty() || dims.size(dims.m) < 8 ||
      dims.size(dims.n) < 8)
    return std::nullopt;
  return dims;
}

/// Whether `v` is block argument `n`, possibly through an arith.extf.
static bool isArgument(Value v, Block *body, unsigned n) {
  if (auto ext = v.getDefiningOp<arith::ExtFOp>())
    v = ext.getIn();
  return v == body->getArgument(n);
}

/// Whether tensor cores can run `op`: f16 x f16 or bf16 x bf16 operands,
/// a float result, and a body that is out + a * b (extensions allowed).
static bool isTensorCoreContraction(linalg::LinalgOp op) {
  Type a = getElementTypeOrSelf(op.getDpsInputOperand(0)->get().getType());
  Type b = getElementTypeOrSelf(op.getDpsInputOperand(1)->get().getType());
  Type c = getElementTypeOrSelf(op.getDpsInitOperand(0)->get().getType());
  if (a != b || !(a.isF16() || a.isBF16()) ||
      !(c.isF16() || c.isBF16() || c.isF32()))
    return false;
  Block *body = op.getBlock();
  auto add = body->getTerminator()->getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value lhs = add.getLhs(), rhs = add.getRhs();
  if (rhs == body->getArgument(2))
    std::swap(lhs, rhs);
  auto mul = rhs.getDefiningOp<arith::MulFOp>();
  if (lhs != body->getArgument(2) || !mul)
    return false;
  return (isArgument(mul.getLhs(), body, 0) && isArgument(mul.getRhs(), body, 1)) ||
         (isArgument(mul.getLhs(), body, 1) && isArgument(mul.getRhs(), body, 0));
}

/// The value of a `linalg.fill` of `c` right before `op` (erased by the
/// caller once the kernel starts from it).
static linalg::FillOp fillBefore(linalg::LinalgOp op, Value c) {
  auto fill = dyn_cast_or_null<linalg::FillOp>(op->getPrevNode());
  if (!fill || fill.getDpsInitOperand(0)->get() != c ||
      !fill.hasPureBufferSemantics())
    return nullptr;
  Value value = fill.getDpsInputOperand(0)->get();
  if (value.getType() != getElementTypeOrSelf(c.getType()))
    return nullptr;
  return fill;
}

/// Whether `next` is an elementwise op that reads `c` element for element
/// and writes it in place: it can run on each result as it is stored.
static bool isFusableEpilogue(Operation *next, Value c) {
  auto linalgOp = dyn_cast_or_null<linalg::LinalgOp>(next);
  if (!linalgOp || !linalgOp.hasPureBufferSemantics() ||
      linalgOp.getNumDpsInits() != 1 ||
      linalgOp.getDpsInitOperand(0)->get() != c ||
      linalgOp.getNumLoops() != linalgOp.getNumParallelLoops() ||
      linalgOp->getNumRegions() != 1 || !linalgOp.getBlock())
    return false;
  Type element = getElementTypeOrSelf(c.getType());
  if (linalgOp.getBlock()->getTerminator()->getNumOperands() != 1 ||
      linalgOp.getBlock()->getTerminator()->getOperand(0).getType() != element)
    return false;
  for (OpOperand &operand : linalgOp->getOpOperands()) {
    AffineMap map = linalgOp.getMatchingIndexingMap(&operand);
    if (operand.get() == c && !map.isIdentity())
      return false;
    if (!isa<MemRefType>(operand.get().getType()))
      return false;
    // Another view of C would read elements not yet (or already) stored.
    if (operand.get() != c && (!map.isProjectedPermutation(true) ||
                               viewRoot(operand.get()) == viewRoot(c)))
      return false;
  }
  return isPureScalarBody(*linalgOp.getBlock());
}

void KilnGPUTileContractions::runOnOperation() {
  IRRewriter rewriter(&getContext());
  for (linalg::LinalgOp op : linalgOpsOutsideKernels(getOperation())) {
    std::optional<GemmDims> dims = classifyContraction(op);
    if (!dims)
      continue;
    Value c = op.getDpsInitOperand(0)->get();
    // The fill sits right before the op, so its value dominates the kernel.
    linalg::FillOp fill = fillBefore(op, c);
    SmallVector<linalg::LinalgOp> epilogues;
    for (Operation *next = op->getNextNode(); isFusableEpilogue(next, c);
         next = next->getNextNode())
      epilogues.push_back(cast<linalg::LinalgOp>(next));

    TileConfig tiles = dims->blocks(kLargeTiles) >= kBlocksForLargeTiles
                           ? kLargeTiles
                           : kSmallTiles;
    if (isTensorCoreContraction(op))
      tiles = kMmaTiles;
    rewriter.setInsertionPoint(op);
    std::optional<Value> fillValue;
    if (fill)
      fillValue = fill.getDpsInputOperand(0)->get();
    ContractionKernel kernel(op, *dims, tiles, fillValue, epilogues);
    if (hostEmulation)
      kernel.emitHostEmulation(rewriter);
    else
      kernel.emitDevice(rewriter);
    for (linalg::LinalgOp epilogue : epilogues)
      rewriter.eraseOp(epilogue);
    rewriter.eraseOp(op);
    if (fill)
      rewriter.eraseOp(fill);
  }
}
