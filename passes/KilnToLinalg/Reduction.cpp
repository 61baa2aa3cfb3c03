//===- Reduction.cpp - kiln.reduce_mean / kiln.softmax → linalg -----------===//
//
// reduce_mean is a sum generic (reduction iterators) followed by one
// multiply by 1/count, then an expand_shape for keepdims. softmax is the
// numerically stable four-step form as explicit generics, so fusion and
// tiling see each one: max-reduce, exp(x - max), sum-reduce, divide.
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

/// kiln.reduce_mean(x) {axes} → generic sum over axes, generic * 1/count
struct ReduceMeanLowering : OpConversionPattern<ReduceMeanOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ReduceMeanOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    if (!isa<FloatType>(resultType.getElementType()))
      return unsupported(rewriter, op, "element type must be float");
    if (op.getAxes().empty()) {
      rewriter.replaceOp(op, adaptor.getInput());
      return success();
    }
    rewriter.replaceOp(op, createMean(rewriter, op.getLoc(), adaptor.getInput(),
                                      op.getAxes(), resultType));
    return success();
  }
};

/// kiln.softmax(x) {axis} → m = max(x), e = exp(x - m), s = sum(e), e / s
struct SoftmaxLowering : OpConversionPattern<SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    auto floatType = dyn_cast<FloatType>(type.getElementType());
    if (!floatType)
      return unsupported(rewriter, op, "element type must be float");
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    int64_t axis = op.getAxis();

    Value negInf = arith::ConstantOp::create(
        rewriter, loc,
        rewriter.getFloatAttr(floatType,
                              APFloat::getInf(floatType.getFloatSemantics(),
                                              /*Negative=*/true)));
    Value max = createReduction(
        rewriter, loc, input, {axis}, negInf,
        [](OpBuilder &b, Location l, ValueRange a) {
          return arith::MaximumFOp::create(b, l, a[0], a[1]).getResult();
        });

    // The reduced operand reads every dim but `axis`.
    SmallVector<AffineExpr> exprs;
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (d != axis)
        exprs.push_back(rewriter.getAffineDimExpr(d));
    AffineMap identity = rewriter.getMultiDimIdentityMap(type.getRank());
    AffineMap reduced =
        AffineMap::get(type.getRank(), 0, exprs, rewriter.getContext());
    SmallVector<Value> dynSizes = getDynamicSizes(rewriter, loc, input);

    Value exp = createElementwiseGeneric(
        rewriter, loc, type, dynSizes, {input, max}, {identity, reduced},
        [](OpBuilder &b, Location l, ValueRange a) {
          Value shifted = arith::SubFOp::create(b, l, a[0], a[1]);
          return math::ExpOp::create(b, l, shifted).getResult();
        });
    Value zero = createScalarConstant(rewriter, loc, floatType, 0.0);
    Value sum = createReduction(
        rewriter, loc, exp, {axis}, zero,
        [](OpBuilder &b, Location l, ValueRange a) {
          return arith::AddFOp::create(b, l, a[0], a[1]).getResult();
        });
    Value result = createElementwiseGeneric(
        rewriter, loc, type, dynSizes, {exp, sum}, {identity, reduced},
        [](OpBuilder &b, Location l, ValueRange a) {
          return arith::DivFOp::create(b, l, a[0], a[1]).getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void kiln::populateReductionToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<ReduceMeanLowering, SoftmaxLowering>(patterns.getContext());
}
