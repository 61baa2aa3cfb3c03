//===- Indexing.cpp - kiln gathers, slices, padding → tensor / linalg -----===//
//
// Index-driven data movement: each result element reads one computed input
// position. Gathers, one_hot, non-constant padding and negative-stride slices
// become an all-parallel linalg.generic whose body takes `linalg.index`,
// computes the source position (negative indices wrap, then clamp so that a
// bad index cannot read out of bounds) and `tensor.extract`s it; the source
// stays where it is, so an embedding lookup reads the weight in place.
// Positive-stride slices are tensor.extract_slice, constant padding
// tensor.pad, expand a broadcasting generic, cumsum a masked reduction.
//
//===----------------------------------------------------------------------===//

#include "passes/KilnToLinalg/KilnToLinalg.h"
#include "passes/KilnToLinalg/RuntimeAxes.h"

#include "dialects/kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::kiln;

/// `linalg.index` of every loop dim up to `rank`.
static SmallVector<Value> loopIndices(OpBuilder &b, Location loc,
                                      int64_t rank) {
  SmallVector<Value> ivs;
  for (int64_t d = 0; d < rank; ++d)
    ivs.push_back(linalg::IndexOp::create(b, loc, d));
  return ivs;
}

/// An ONNX index (any integer or float scalar) as an index in [0, extent):
/// negative values count from the end, the rest is clamped.
static Value wrapIndex(OpBuilder &b, Location loc, Value raw, Value extent) {
  Type t = raw.getType();
  if (isa<FloatType>(t))
    raw = arith::FPToSIOp::create(b, loc, b.getI64Type(), raw);
  Value i = arith::IndexCastOp::create(b, loc, b.getIndexType(), raw);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value negative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, i, zero);
  Value wrapped = arith::AddIOp::create(b, loc, i, extent);
  i = arith::SelectOp::create(b, loc, negative, wrapped, i);
  i = arith::MaxSIOp::create(b, loc, i, zero);
  Value last = arith::SubIOp::create(b, loc, extent, one);
  return arith::MinSIOp::create(b, loc, i, last);
}

/// Dynamic sizes of `type` taken from `source` dims (`sourceDim[d]` is the
/// source dim of result dim d, or -1 when that dim must be static).
static SmallVector<Value> sizesFrom(OpBuilder &b, Location loc,
                                    RankedTensorType type,
                                    ArrayRef<std::pair<Value, int64_t>> from) {
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      sizes.push_back(tensor::DimOp::create(b, loc, from[d].first,
                                            from[d].second));
  return sizes;
}

/// arith computes only on signless integers, and kiln has no bufferizable
/// way to reinterpret unsigned tensors; ops that compute on elements reject
/// them.
static bool isUnsignedTensor(Type type) {
  return cast<RankedTensorType>(type).getElementType().isUnsignedInteger();
}
/// Map from the result's loop dims to `count` consecutive dims at `first`.
static AffineMap dimsMap(MLIRContext *ctx, int64_t rank, int64_t first,
                         int64_t count) {
  SmallVector<AffineExpr> exprs;
  for (int64_t d = first; d < first + count; ++d)
    exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

namespace {

/// kiln.gather(data, idx){axis} → generic(idx) { extract data[.., wrap(idx), ..] }
struct GatherLowering : OpConversionPattern<GatherOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    auto outType = cast<RankedTensorType>(op.getType());
    int64_t axis = op.getAxis(), dataRank = op.getData().getType().getRank();
    int64_t idxRank = op.getIndices().getType().getRank();
    SmallVector<std::pair<Value, int64_t>> from;
    for (int64_t d = 0; d < outType.getRank(); ++d) {
      if (d < axis)
        from.push_back({data, d});
      else if (d < axis + idxRank)
        from.push_back({indices, d - axis});
      else
        from.push_back({data, d - idxRank + 1});
    }
    Value extent = getDimValue(rewriter, loc, data, axis);
    AffineMap idxMap =
        dimsMap(rewriter.getContext(), outType.getRank(), axis, idxRank);
    Value result = createElementwiseGeneric(
        rewriter, loc, outType, sizesFrom(rewriter, loc, outType, from),
        {indices}, {idxMap}, [&](OpBuilder &b, Location l, ValueRange args) {
          SmallVector<Value> ivs = loopIndices(b, l, outType.getRank());
          SmallVector<Value> at(ivs.begin(), ivs.begin() + axis);
          at.push_back(wrapIndex(b, l, args[0], extent));
          for (int64_t d = axis + 1; d < dataRank; ++d)
            at.push_back(ivs[d - 1 + idxRank]);
          return tensor::ExtractOp::create(b, l, data, at).getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// kiln.gather_elements(data, idx){axis} → generic(idx) { extract data[i with
/// i[axis] = wrap(idx)] }
struct GatherElementsLowering : OpConversionPattern<GatherElementsOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(GatherElementsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    auto outType = cast<RankedTensorType>(op.getType());
    int64_t axis = op.getAxis(), rank = outType.getRank();
    Value extent = getDimValue(rewriter, loc, data, axis);
    Value result = createElementwiseGeneric(
        rewriter, loc, outType, getDynamicSizes(rewriter, loc, indices),
        {indices}, {rewriter.getMultiDimIdentityMap(rank)},
        [&](OpBuilder &b, Location l, ValueRange args) {
          SmallVector<Value> at = loopIndices(b, l, rank);
          at[axis] = wrapIndex(b, l, args[0], extent);
          return tensor::ExtractOp::create(b, l, data, at).getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// kiln.gather_nd(data, idx){batch_dims} → generic { extract data[batch,
/// idx[..., 0..k), rest] }
struct GatherNDLowering : OpConversionPattern<GatherNDOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(GatherNDOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    auto outType = cast<RankedTensorType>(op.getType());
    int64_t batch = op.getBatchDims();
    int64_t idxRank = op.getIndices().getType().getRank();
    int64_t k = op.getIndices().getType().getShape().back();
    int64_t dataRank = op.getData().getType().getRank();
    SmallVector<std::pair<Value, int64_t>> from;
    for (int64_t d = 0; d < outType.getRank(); ++d)
      from.push_back(d < idxRank - 1
                         ? std::make_pair(indices, d)
                         : std::make_pair(data, d - (idxRank - 1) + batch + k));
    SmallVector<Value> extents;
    for (int64_t j = 0; j < k; ++j)
      extents.push_back(getDimValue(rewriter, loc, data, batch + j));
    Value result = createElementwiseGeneric(
        rewriter, loc, outType, sizesFrom(rewriter, loc, outType, from), {},
        {}, [&](OpBuilder &b, Location l, ValueRange) {
          SmallVector<Value> ivs = loopIndices(b, l, outType.getRank());
          SmallVector<Value> at(ivs.begin(), ivs.begin() + batch);
          SmallVector<Value> tuple(ivs.begin(), ivs.begin() + idxRank - 1);
          tuple.push_back(Value());
          for (int64_t j = 0; j < k; ++j) {
            tuple.back() = arith::ConstantIndexOp::create(b, l, j);
            Value raw = tensor::ExtractOp::create(b, l, indices, tuple);
            at.push_back(wrapIndex(b, l, raw, extents[j]));
          }
          for (int64_t d = batch + k; d < dataRank; ++d)
            at.push_back(ivs[d - batch - k + idxRank - 1]);
          return tensor::ExtractOp::create(b, l, data, at).getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// kiln.slice → tensor.extract_slice (positive strides) | generic { extract
/// x[offset + i * stride] }
struct SliceLowering : OpConversionPattern<SliceOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto outType = cast<RankedTensorType>(op.getType());
    SmallVector<OpFoldResult> offsets = op.getMixedOffsets(),
                              sizes = op.getMixedSizes(),
                              strides = op.getMixedStrides();
    SmallVector<Value> dynSizes;
    for (auto [d, size] : llvm::enumerate(sizes))
      if (outType.isDynamicDim(d))
        dynSizes.push_back(
            getValueOrCreateConstantIndexOp(rewriter, loc, size));
    // A view whose inner dims are dynamic bufferizes to a strided memref
    // that function boundaries cast (not copy) to the identity layout, whose
    // strides then are wrong: such slices are copied out by the generic.
    bool innerDynamic = llvm::any_of(
        llvm::seq<int64_t>(1, outType.getRank()),
        [&](int64_t d) { return outType.isDynamicDim(d); });
    if (!innerDynamic && llvm::all_of(op.getStrides(), [](int64_t s) {
          return s > 0 && s != ShapedType::kDynamic;
        })) {
      rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
          op, outType, input, offsets, sizes, strides);
      return success();
    }
    Value result = createElementwiseGeneric(
        rewriter, loc, outType, dynSizes, {}, {},
        [&](OpBuilder &b, Location l, ValueRange) {
          SmallVector<Value> at = loopIndices(b, l, outType.getRank());
          for (auto [d, iv] : llvm::enumerate(at)) {
            Value scaled = arith::MulIOp::create(
                b, l, iv, getValueOrCreateConstantIndexOp(b, l, strides[d]));
            iv = arith::AddIOp::create(
                b, l, scaled, getValueOrCreateConstantIndexOp(b, l, offsets[d]));
          }
          return tensor::ExtractOp::create(b, l, input, at).getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Whether `size` is `tensor.dim` of `source` at `dim`.
static bool isDimOf(Value size, Value source, int64_t dim) {
  auto dimOp = size.getDefiningOp<tensor::DimOp>();
  std::optional<int64_t> index =
      dimOp ? getConstantIntValue(dimOp.getDimension()) : std::nullopt;
  return dimOp && dimOp.getSource() == source && index && *index == dim;
}

/// kiln.expand(x) → generic(x through a broadcast map) | generic { extract
/// x[dim == 1 ? 0 : i] } when a dynamic dim may broadcast at run time
struct ExpandLowering : OpConversionPattern<ExpandOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ExpandOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inType = cast<RankedTensorType>(input.getType());
    auto outType = cast<RankedTensorType>(op.getType());
    int64_t lead = outType.getRank() - inType.getRank();
    ValueRange sizes = adaptor.getSizes();
    if (sizes.empty()) {
      for (int64_t d = 0; d < outType.getRank(); ++d) {
        int64_t inDim = d - lead;
        if (outType.isDynamicDim(d) &&
            (inDim < 0 || !inType.isDynamicDim(inDim)))
          return unsupported(rewriter, op,
                             "expand to a dynamic dim the input does not have");
      }
      Value result = createElementwiseGeneric(
          rewriter, loc, outType,
          getBroadcastDynamicSizes(rewriter, loc, outType, {input}), {input},
          {getBroadcastMap(inType, outType)},
          [](OpBuilder &, Location, ValueRange args) { return args[0]; });
      rewriter.replaceOp(op, result);
      return success();
    }
    // Dynamic input dims that are not provably the result's size broadcast
    // when they are 1 at run time.
    SmallVector<bool> runtimeBroadcast(inType.getRank(), false);
    unsigned next = 0;
    for (int64_t d = 0; d < outType.getRank(); ++d) {
      Value size = outType.isDynamicDim(d) ? sizes[next++] : Value();
      int64_t i = d - lead;
      if (i >= 0 && inType.isDynamicDim(i) &&
          !(size && isDimOf(size, op.getInput(), i)))
        runtimeBroadcast[i] = true;
    }
    if (llvm::none_of(runtimeBroadcast, [](bool b) { return b; })) {
      Value result = createElementwiseGeneric(
          rewriter, loc, outType, sizes, {input},
          {getBroadcastMap(inType, outType)},
          [](OpBuilder &, Location, ValueRange args) { return args[0]; });
      rewriter.replaceOp(op, result);
      return success();
    }
    SmallVector<Value> inDims;
    for (int64_t i = 0; i < inType.getRank(); ++i)
      inDims.push_back(getDimValue(rewriter, loc, input, i));
    Value result = createElementwiseGeneric(
        rewriter, loc, outType, sizes, {}, {},
        [&](OpBuilder &b, Location l, ValueRange) {
          SmallVector<Value> ivs = loopIndices(b, l, outType.getRank());
          Value zero = arith::ConstantIndexOp::create(b, l, 0);
          Value one = arith::ConstantIndexOp::create(b, l, 1);
          SmallVector<Value> at;
          for (int64_t i = 0; i < inType.getRank(); ++i) {
            Value iv = ivs[i + lead];
            if (runtimeBroadcast[i]) {
              Value isOne = arith::CmpIOp::create(
                  b, l, arith::CmpIPredicate::eq, inDims[i], one);
              iv = arith::SelectOp::create(b, l, isOne, zero, iv);
            } else if (inType.getDimSize(i) == 1) {
              iv = zero;
            }
            at.push_back(iv);
          }
          return tensor::ExtractOp::create(b, l, input, at).getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Source position along one padded dim for reflect/edge/wrap; `i` is the
/// result position, `lo` the begin pad, `n` the input extent.
static Value padSource(OpBuilder &b, Location loc, StringRef mode, Value i,
                       Value lo, Value n) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value src = arith::SubIOp::create(b, loc, i, lo);
  Value last = arith::SubIOp::create(b, loc, n, one);
  if (mode == "edge")
    return arith::MinSIOp::create(b, loc,
                                  arith::MaxSIOp::create(b, loc, src, zero),
                                  last);
  if (mode == "wrap") {
    Value r = arith::RemSIOp::create(b, loc, src, n);
    Value fixed = arith::AddIOp::create(b, loc, r, n);
    Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, r, zero);
    return arith::SelectOp::create(b, loc, neg, fixed, r);
  }
  // reflect: mirror about the first and last element (pads < n).
  Value negSrc = arith::SubIOp::create(b, loc, zero, src);
  Value below = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, src, zero);
  src = arith::SelectOp::create(b, loc, below, negSrc, src);
  Value mirrored = arith::SubIOp::create(
      b, loc, arith::AddIOp::create(b, loc, last, last), src);
  Value above = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, src, last);
  src = arith::SelectOp::create(b, loc, above, mirrored, src);
  return arith::MinSIOp::create(b, loc, arith::MaxSIOp::create(b, loc, src, zero),
                                last);
}

/// kiln.pad{constant} → tensor.pad; {reflect, edge, wrap} → generic { extract
/// x[mirror/clamp/wrap(i - lo)] }
struct PadLowering : OpConversionPattern<PadOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(PadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto outType = cast<RankedTensorType>(op.getType());
    int64_t rank = outType.getRank();
    SmallVector<OpFoldResult> pads = op.getMixedPads();
    if (op.getMode() == "constant") {
      Value value = tensor::ExtractOp::create(rewriter, loc, adaptor.getValue(),
                                              ValueRange{});
      if (op.getDynamicPads().empty() &&
          llvm::all_of(op.getPads(), [](int64_t p) { return p == 0; })) {
        rewriter.replaceOp(op, input);
        return success();
      }
      rewriter.replaceOpWithNewOp<tensor::PadOp>(
          op, outType, input, ArrayRef(pads).take_front(rank),
          ArrayRef(pads).drop_front(rank), value);
      return success();
    }
    SmallVector<Value> dynSizes, extents, lows;
    for (int64_t d = 0; d < rank; ++d) {
      extents.push_back(getDimValue(rewriter, loc, input, d));
      lows.push_back(getValueOrCreateConstantIndexOp(rewriter, loc, pads[d]));
      if (outType.isDynamicDim(d))
        dynSizes.push_back(arith::AddIOp::create(
            rewriter, loc,
            arith::AddIOp::create(rewriter, loc, extents.back(), lows.back()),
            getValueOrCreateConstantIndexOp(rewriter, loc, pads[d + rank])));
    }
    StringRef mode = op.getMode();
    Value result = createElementwiseGeneric(
        rewriter, loc, outType, dynSizes, {}, {},
        [&](OpBuilder &b, Location l, ValueRange) {
          SmallVector<Value> at = loopIndices(b, l, rank);
          for (int64_t d = 0; d < rank; ++d)
            if (!isConstantIntValue(pads[d], 0) ||
                !isConstantIntValue(pads[d + rank], 0))
              at[d] = padSource(b, l, mode, at[d], lows[d], extents[d]);
          return tensor::ExtractOp::create(b, l, input, at).getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// kiln.trilu(x){upper, k} → generic(x) { keep(row, col) ? x : 0 }; a
/// dynamic k is read once before the generic.
struct TriluLowering : OpConversionPattern<TriluOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(TriluOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (isUnsignedTensor(op.getType()))
      return unsupported(rewriter, op, "trilu of unsigned integers");
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(input.getType());
    int64_t rank = type.getRank();
    bool upper = op.getUpper();
    Value dynamicK;
    if (Value k = adaptor.getDynamicK())
      dynamicK = readScalarIndex(rewriter, loc, k);
    Value result = createElementwiseGeneric(
        rewriter, loc, type, getDynamicSizes(rewriter, loc, input), {input},
        {rewriter.getMultiDimIdentityMap(rank)},
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value row = linalg::IndexOp::create(b, l, rank - 2);
          Value col = linalg::IndexOp::create(b, l, rank - 1);
          Value diff = arith::SubIOp::create(b, l, col, row);
          Value kv = dynamicK
                         ? dynamicK
                         : arith::ConstantIndexOp::create(b, l, *op.getK())
                               .getResult();
          Value keep = arith::CmpIOp::create(
              b, l, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle,
              diff, kv);
          Value zero = createScalarConstant(b, l, type.getElementType(), 0);
          return arith::SelectOp::create(b, l, keep, args[0], zero).getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// kiln.cumsum(x){axis} → generic over (out dims, j): acc += included(j) ? x[j] : 0
struct CumSumLowering : OpConversionPattern<CumSumOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(CumSumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!op.getAxis())
      return rewriter.notifyMatchFailure(op, "axis read at run time");
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(input.getType());
    Type et = type.getElementType();
    if (et.isInteger(1) || et.isUnsignedInteger())
      return unsupported(rewriter, op, "cumsum of booleans or unsigned integers");
    int64_t rank = type.getRank(), axis = *op.getAxis();
    MLIRContext *ctx = getContext();
    SmallVector<AffineExpr> inExprs, outExprs;
    for (int64_t d = 0; d < rank; ++d) {
      inExprs.push_back(getAffineDimExpr(d == axis ? rank : d, ctx));
      outExprs.push_back(getAffineDimExpr(d, ctx));
    }
    SmallVector<AffineMap> maps = {AffineMap::get(rank + 1, 0, inExprs, ctx),
                                   AffineMap::get(rank + 1, 0, outExprs, ctx)};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    Value zero = createScalarConstant(rewriter, loc, et, 0);
    Value init = createFilledTensor(rewriter, loc, type,
                                    getDynamicSizes(rewriter, loc, input), zero);
    arith::CmpIPredicate pred =
        op.getReverse()
            ? (op.getExclusive() ? arith::CmpIPredicate::sgt
                                 : arith::CmpIPredicate::sge)
            : (op.getExclusive() ? arith::CmpIPredicate::slt
                                 : arith::CmpIPredicate::sle);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{input}, ValueRange{init},
        maps, iterators, [&](OpBuilder &b, Location l, ValueRange args) {
          Value j = linalg::IndexOp::create(b, l, rank);
          Value i = linalg::IndexOp::create(b, l, axis);
          Value in = arith::CmpIOp::create(b, l, pred, j, i);
          Value z = createScalarConstant(b, l, et, 0);
          Value x = arith::SelectOp::create(b, l, in, args[0], z);
          Value sum = isa<FloatType>(et)
                          ? arith::AddFOp::create(b, l, args[1], x).getResult()
                          : arith::AddIOp::create(b, l, args[1], x).getResult();
          linalg::YieldOp::create(b, l, sum);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// kiln.one_hot(idx, values){axis, depth} → generic(idx) { wrap(idx) == i[axis]
/// ? values[1] : values[0] }
struct OneHotLowering : OpConversionPattern<OneHotOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(OneHotOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value indices = adaptor.getIndices(), values = adaptor.getValues();
    auto outType = cast<RankedTensorType>(op.getType());
    int64_t axis = op.getAxis(), rank = outType.getRank();
    SmallVector<AffineExpr> exprs;
    Value depth = adaptor.getDynamicDepth()
                      ? adaptor.getDynamicDepth()
                      : arith::ConstantIndexOp::create(rewriter, loc,
                                                       op.getDepth())
                            .getResult();
    SmallVector<Value> dynSizes;
    for (int64_t d = 0; d < rank; ++d) {
      if (outType.isDynamicDim(d))
        dynSizes.push_back(d == axis ? depth
                                     : tensor::DimOp::create(
                                           rewriter, loc, indices,
                                           d < axis ? d : d - 1)
                                           .getResult());
      if (d != axis)
        exprs.push_back(rewriter.getAffineDimExpr(d));
    }
    Value off = tensor::ExtractOp::create(
        rewriter, loc, values,
        ValueRange{arith::ConstantIndexOp::create(rewriter, loc, 0)});
    Value on = tensor::ExtractOp::create(
        rewriter, loc, values,
        ValueRange{arith::ConstantIndexOp::create(rewriter, loc, 1)});
    Value result = createElementwiseGeneric(
        rewriter, loc, outType, dynSizes,
        {indices}, {AffineMap::get(rank, 0, exprs, getContext())},
        [&](OpBuilder &b, Location l, ValueRange args) {
          // Out-of-range indices (after wrapping) match no position.
          Value raw = args[0];
          if (isa<FloatType>(raw.getType()))
            raw = arith::FPToSIOp::create(b, l, b.getI64Type(), raw);
          Value i = arith::IndexCastOp::create(b, l, b.getIndexType(), raw);
          Value zero = arith::ConstantIndexOp::create(b, l, 0);
          Value neg =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, zero);
          i = arith::SelectOp::create(b, l, neg,
                                      arith::AddIOp::create(b, l, i, depth), i);
          Value pos = linalg::IndexOp::create(b, l, axis);
          Value hit =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, i, pos);
          return arith::SelectOp::create(b, l, hit, on, off).getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void kiln::populateIndexingToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<GatherLowering, GatherElementsLowering, GatherNDLowering,
               SliceLowering, ExpandLowering, PadLowering, TriluLowering,
               CumSumLowering, OneHotLowering>(patterns.getContext());
}
