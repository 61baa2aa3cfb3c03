//===- Normalization.cpp - kiln.batch_norm, kiln.normalize → linalg -------===//
//
// kiln.normalize is two reductions (mean, then the mean of squared
// deviations; for rms only the latter of x itself) in the accumulator type
// and one elementwise generic that standardises, scales and shifts, reading
// the statistics and the parameters through broadcast maps.
//
// Inference batch norm folds to one affine map per channel: y = x * s + t
// with s = scale / sqrt(var + eps) and t = bias - mean * s. s and t are two
// small 1-D generics (constant-folded when the parameters are constants);
// the big tensor sees a single broadcast generic that fuses with its
// neighbours.
//
//===----------------------------------------------------------------------===//

#include "passes/KilnToLinalg/ReductionBuilders.h"

#include "dialects/kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// kiln.batch_norm(x, scale, bias, mean, var) → x * s[c] + t[c]
struct BatchNormLowering : OpConversionPattern<BatchNormOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(BatchNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Type elemType = type.getElementType();
    if (!isa<FloatType>(elemType))
      return unsupported(rewriter, op, "element type must be float");
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto paramType = cast<RankedTensorType>(adaptor.getScale().getType());
    SmallVector<Value> paramSizes =
        getDynamicSizes(rewriter, loc, adaptor.getScale());
    AffineMap id1 = rewriter.getMultiDimIdentityMap(1);
    double eps = op.getEpsilon().convertToDouble();

    Value s = createElementwiseGeneric(
        rewriter, loc, paramType, paramSizes,
        {adaptor.getScale(), adaptor.getVariance()}, {id1, id1},
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value epsV = createScalarConstant(b, l, elemType, eps);
          Value var = arith::AddFOp::create(b, l, a[1], epsV);
          Value std = math::SqrtOp::create(b, l, var);
          return arith::DivFOp::create(b, l, a[0], std).getResult();
        });
    Value t = createElementwiseGeneric(
        rewriter, loc, paramType, paramSizes, {adaptor.getBias(),
                                               adaptor.getMean(), s},
        {id1, id1, id1}, [](OpBuilder &b, Location l, ValueRange a) {
          Value shift = arith::MulFOp::create(b, l, a[1], a[2]);
          return arith::SubFOp::create(b, l, a[0], shift).getResult();
        });

    AffineMap channel = AffineMap::get(type.getRank(), 0,
                                       rewriter.getAffineDimExpr(1));
    Value result = createElementwiseGeneric(
        rewriter, loc, type, getDynamicSizes(rewriter, loc, input),
        {input, s, t},
        {rewriter.getMultiDimIdentityMap(type.getRank()), channel, channel},
        [](OpBuilder &b, Location l, ValueRange a) {
          Value scaled = arith::MulFOp::create(b, l, a[0], a[1]);
          return arith::AddFOp::create(b, l, scaled, a[2]).getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

/// Mean (null for rms) and 1/sqrt(var + eps) of `input` over `axes`, in the
/// accumulator type with the axes dropped: a sum reduction, then a reduction
/// of squared deviations (of x itself for rms).
static std::pair<Value, Value> buildNormStats(OpBuilder &b, Location loc,
                                              Value input,
                                              ArrayRef<int64_t> axes,
                                              double eps, bool rms) {
  auto type = cast<RankedTensorType>(input.getType());
  Type accType = getAccumulatorType(type.getElementType());
  int64_t rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  AffineMap id = b.getMultiDimIdentityMap(rank);
  AffineMap reduced = getReducedMap(ctx, rank, axes);
  AffineMap rowId = b.getMultiDimIdentityMap(reduced.getNumResults());
  Value count = getReducedCount(b, loc, input, axes, accType);
  Value zero = createScalarConstant(b, loc, accType, 0.0);

  Value mean;
  if (!rms) {
    Value sum = buildReduction(
        b, loc, input, axes, {input}, {id}, zero,
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value x = castFloat(nb, l, a[0], accType);
          return arith::AddFOp::create(nb, l, x, a[1]).getResult();
        });
    mean = createElementwiseGeneric(
        b, loc, cast<RankedTensorType>(sum.getType()),
        getDynamicSizes(b, loc, sum), {sum}, {rowId},
        [&](OpBuilder &nb, Location l, ValueRange a) {
          return arith::DivFOp::create(nb, l, a[0], count).getResult();
        });
  }
  SmallVector<Value> statInputs = {input};
  SmallVector<AffineMap> statMaps = {id};
  if (mean) {
    statInputs.push_back(mean);
    statMaps.push_back(reduced);
  }
  Value squares = buildReduction(
      b, loc, input, axes, statInputs, statMaps, zero,
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value x = castFloat(nb, l, a[0], accType);
        if (mean)
          x = arith::SubFOp::create(nb, l, x, a[1]);
        Value sq = arith::MulFOp::create(nb, l, x, x);
        return arith::AddFOp::create(nb, l, sq, a.back()).getResult();
      });
  Value invStd = createElementwiseGeneric(
      b, loc, cast<RankedTensorType>(squares.getType()),
      getDynamicSizes(b, loc, squares), {squares}, {rowId},
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value var = arith::DivFOp::create(nb, l, a[0], count);
        Value shifted = arith::AddFOp::create(
            nb, l, var, createScalarConstant(nb, l, accType, eps));
        return math::RsqrtOp::create(nb, l, shifted).getResult();
      });
  return {mean, invStd};
}

namespace {

/// kiln.normalize(x, scale, bias) {axes} → mean = sum(x) / n,
/// var = sum((x - mean)^2) / n, (x - mean) * rsqrt(var + eps) * scale + bias
struct NormalizeLowering : OpConversionPattern<NormalizeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(NormalizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Type elemType = type.getElementType();
    Type accType = getAccumulatorType(elemType);
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    int64_t rank = type.getRank();
    auto [mean, invStd] =
        buildNormStats(rewriter, loc, input, op.getAxes(),
                       op.getEpsilon().convertToDouble(), op.getRms());
    AffineMap reduced =
        getReducedMap(rewriter.getContext(), rank, op.getAxes());
    SmallVector<Value> inputs = {input, invStd};
    SmallVector<AffineMap> maps = {rewriter.getMultiDimIdentityMap(rank),
                                   reduced};
    if (mean) {
      inputs.push_back(mean);
      maps.push_back(reduced);
    }
    Value scale = adaptor.getScale(), bias = adaptor.getBias();
    for (Value param : {scale, bias}) {
      if (!param)
        continue;
      inputs.push_back(param);
      maps.push_back(
          getBroadcastMap(cast<RankedTensorType>(param.getType()), type));
    }
    Value hasMean = mean;
    Value result = createElementwiseGeneric(
        rewriter, loc, type, getDynamicSizes(rewriter, loc, input), inputs,
        maps, [&](OpBuilder &b, Location l, ValueRange a) {
          Value x = castFloat(b, l, a[0], accType);
          unsigned next = 2;
          if (hasMean)
            x = arith::SubFOp::create(b, l, x, a[next++]);
          x = arith::MulFOp::create(b, l, x, a[1]);
          if (scale)
            x = arith::MulFOp::create(b, l, x,
                                      castFloat(b, l, a[next++], accType));
          if (bias)
            x = arith::AddFOp::create(b, l, x,
                                      castFloat(b, l, a[next++], accType));
          return castFloat(b, l, x, elemType);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// kiln.norm_stats(x) {axes} → the mean and rsqrt(var + eps) of kiln.normalize,
/// cast to the result type, reduced axes kept as 1
struct NormStatsLowering : OpConversionPattern<NormStatsOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(NormStatsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto [mean, invStd] = buildNormStats(
        rewriter, loc, adaptor.getInput(), op.getAxes(),
        op.getEpsilon().convertToDouble(), /*rms=*/false);
    SmallVector<Value> stats = {mean, invStd}, results;
    for (auto [stat, result] : llvm::zip(stats, op.getResults())) {
      auto resultType = cast<RankedTensorType>(result.getType());
      auto statType = cast<RankedTensorType>(stat.getType());
      Type elemType = resultType.getElementType();
      if (statType.getElementType() != elemType)
        stat = createElementwiseGeneric(
            rewriter, loc, RankedTensorType::get(statType.getShape(), elemType),
            getDynamicSizes(rewriter, loc, stat), {stat},
            {rewriter.getMultiDimIdentityMap(statType.getRank())},
            [&](OpBuilder &b, Location l, ValueRange a) {
              return castFloat(b, l, a[0], elemType);
            });
      results.push_back(
          restoreKeptDims(rewriter, loc, stat, resultType, op.getAxes()));
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

} // namespace

void kiln::populateNormalizationToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<BatchNormLowering, NormalizeLowering, NormStatsLowering>(
      patterns.getContext());
}
