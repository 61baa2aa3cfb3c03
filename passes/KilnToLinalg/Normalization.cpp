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
    MLIRContext *ctx = rewriter.getContext();
    Value input = adaptor.getInput();
    ArrayRef<int64_t> axes = op.getAxes();
    bool rms = op.getRms();
    int64_t rank = type.getRank();
    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    AffineMap reduced = getReducedMap(ctx, rank, axes);
    Value count = getReducedCount(rewriter, loc, input, axes, accType);
    Value zero = createScalarConstant(rewriter, loc, accType, 0.0);

    Value mean;
    if (!rms) {
      Value sum = buildReduction(
          rewriter, loc, input, axes, {input}, {id}, zero,
          [&](OpBuilder &b, Location l, ValueRange a) {
            Value x = castFloat(b, l, a[0], accType);
            return arith::AddFOp::create(b, l, x, a[1]).getResult();
          });
      mean = createElementwiseGeneric(
          rewriter, loc, cast<RankedTensorType>(sum.getType()),
          getDynamicSizes(rewriter, loc, sum), {sum},
          {rewriter.getMultiDimIdentityMap(reduced.getNumResults())},
          [&](OpBuilder &b, Location l, ValueRange a) {
            return arith::DivFOp::create(b, l, a[0], count).getResult();
          });
    }
    SmallVector<Value> statInputs = {input};
    SmallVector<AffineMap> statMaps = {id};
    if (mean) {
      statInputs.push_back(mean);
      statMaps.push_back(reduced);
    }
    Value squares = buildReduction(
        rewriter, loc, input, axes, statInputs, statMaps, zero,
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value x = castFloat(b, l, a[0], accType);
          if (mean)
            x = arith::SubFOp::create(b, l, x, a[1]);
          Value sq = arith::MulFOp::create(b, l, x, x);
          return arith::AddFOp::create(b, l, sq, a.back()).getResult();
        });
    double eps = op.getEpsilon().convertToDouble();
    // 1 / sqrt(sum / n + eps), once per reduced row.
    Value invStd = createElementwiseGeneric(
        rewriter, loc, cast<RankedTensorType>(squares.getType()),
        getDynamicSizes(rewriter, loc, squares), {squares},
        {rewriter.getMultiDimIdentityMap(reduced.getNumResults())},
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value var = arith::DivFOp::create(b, l, a[0], count);
          Value shifted = arith::AddFOp::create(
              b, l, var, createScalarConstant(b, l, accType, eps));
          return math::RsqrtOp::create(b, l, shifted).getResult();
        });

    SmallVector<Value> inputs = {input, invStd};
    SmallVector<AffineMap> maps = {id, reduced};
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
    Value result = createElementwiseGeneric(
        rewriter, loc, type, getDynamicSizes(rewriter, loc, input), inputs,
        maps, [&](OpBuilder &b, Location l, ValueRange a) {
          Value x = castFloat(b, l, a[0], accType);
          unsigned next = 2;
          if (mean)
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

} // namespace

void kiln::populateNormalizationToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<BatchNormLowering, NormalizeLowering>(patterns.getContext());
}
