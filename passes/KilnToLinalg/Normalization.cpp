//===- Normalization.cpp - kiln.batch_norm → linalg.generic ---------------===//
//
// Inference batch norm folds to one affine map per channel: y = x * s + t
// with s = scale / sqrt(var + eps) and t = bias - mean * s. s and t are two
// small 1-D generics (constant-folded when the parameters are constants);
// the big tensor sees a single broadcast generic that fuses with its
// neighbours.
//
//===----------------------------------------------------------------------===//

#include "passes/KilnToLinalg/KilnToLinalg.h"

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

void kiln::populateNormalizationToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<BatchNormLowering>(patterns.getContext());
}
