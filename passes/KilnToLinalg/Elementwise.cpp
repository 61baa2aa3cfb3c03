//===- Elementwise.cpp - kiln elementwise ops → linalg.generic ------------===//
//
// add/sub/mul/div/relu/sigmoid/clip (floats; all but sigmoid also signed and
// unsigned integers) each become one all-parallel
// linalg.generic with an identity output map; numpy broadcasting lives in the
// operands' indexing maps (size-1 dims read index 0, missing leading dims
// drop out), so kiln-fuse-elementwise can fuse chains of them.
//
//===----------------------------------------------------------------------===//

#include "passes/KilnToLinalg/KilnToLinalg.h"

#include "dialects/kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>
#include <type_traits>

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// The scalar op of a binary kiln op; null when the element type has none.
template <typename FloatOp, typename IntOp>
static Value buildBinary(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  if (isa<FloatType>(lhs.getType()))
    return FloatOp::create(b, loc, lhs, rhs);
  return IntOp::create(b, loc, lhs, rhs);
}

/// kiln.<binary>(a, b) → linalg.generic {broadcast maps} (a, b) { <arith op> }
template <typename KilnOp, typename FloatOp, typename IntOp>
struct BinaryOpLowering : OpConversionPattern<KilnOp> {
  using OpConversionPattern<KilnOp>::OpConversionPattern;
  using OpAdaptor = typename KilnOp::Adaptor;

  LogicalResult
  matchAndRewrite(KilnOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    Type elemType = resultType.getElementType();
    if (!isa<FloatType>(elemType) && !isa<IntegerType>(elemType))
      return unsupported(rewriter, op, "element type must be float or "
                                             "signless integer");
    Location loc = op.getLoc();
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    SmallVector<AffineMap> maps = {
        getBroadcastMap(cast<RankedTensorType>(lhs.getType()), resultType),
        getBroadcastMap(cast<RankedTensorType>(rhs.getType()), resultType)};
    Value result = createElementwiseGeneric(
        rewriter, loc, resultType,
        getBroadcastDynamicSizes(rewriter, loc, resultType, {lhs, rhs}),
        {lhs, rhs}, maps, [](OpBuilder &b, Location l, ValueRange args) -> Value {
          Type t = args[0].getType();
          if (!isa<IntegerType>(t) || t.isSignlessInteger())
            return buildBinary<FloatOp, IntOp>(b, l, args[0], args[1]);
          // Unsigned integers: arith computes on signless ones of the same
          // width (the casts cancel in the LLVM lowering).
          Type sl = b.getIntegerType(t.getIntOrFloatBitWidth());
          auto toSl = [&](Value v) {
            return UnrealizedConversionCastOp::create(b, l, sl, v).getResult(0);
          };
          Value x = toSl(args[0]), y = toSl(args[1]);
          Value r = std::is_same_v<IntOp, arith::DivSIOp>
                        ? arith::DivUIOp::create(b, l, x, y).getResult()
                        : buildBinary<FloatOp, IntOp>(b, l, x, y);
          return UnrealizedConversionCastOp::create(b, l, t, r).getResult(0);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Shared shape of the float unary lowerings: one identity-map generic.
template <typename KilnOp>
struct UnaryOpLowering : OpConversionPattern<KilnOp> {
  using OpConversionPattern<KilnOp>::OpConversionPattern;
  using OpAdaptor = typename KilnOp::Adaptor;

  virtual Value buildScalar(OpBuilder &b, Location loc, KilnOp op,
                            Value x) const = 0;

  LogicalResult
  matchAndRewrite(KilnOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Type elem = type.getElementType();
    bool intOk = !std::is_same_v<KilnOp, SigmoidOp>;
    if (!isa<FloatType>(elem) &&
        !(intOk && isa<IntegerType>(elem) && !elem.isInteger(1)))
      return unsupported(rewriter, op, intOk ? "element type must be float or "
                                               "integer"
                                             : "element type must be float");
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    Value result = createElementwiseGeneric(
        rewriter, loc, type, getDynamicSizes(rewriter, loc, input), {input},
        {rewriter.getMultiDimIdentityMap(type.getRank())},
        [&](OpBuilder &b, Location l, ValueRange args) {
          return buildScalar(b, l, op, args[0]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// kiln.relu(x) → generic { maximumf(x, 0) } (NaN propagates, as in ONNX)
struct ReluLowering : UnaryOpLowering<ReluOp> {
  using UnaryOpLowering::UnaryOpLowering;
  Value buildScalar(OpBuilder &b, Location loc, ReluOp,
                    Value x) const override {
    if (x.getType().isUnsignedInteger())
      return x;
    Value zero = createScalarConstant(b, loc, x.getType(), 0.0);
    if (!isa<FloatType>(x.getType()))
      return arith::MaxSIOp::create(b, loc, x, zero);
    return arith::MaximumFOp::create(b, loc, x, zero);
  }
};

/// kiln.sigmoid(x) → generic { 1 / (1 + exp(-x)) }
struct SigmoidLowering : UnaryOpLowering<SigmoidOp> {
  using UnaryOpLowering::UnaryOpLowering;
  Value buildScalar(OpBuilder &b, Location loc, SigmoidOp,
                    Value x) const override {
    // exp(-x) overflows to +inf for very negative x, giving exactly 0; no NaN.
    Value one = createScalarConstant(b, loc, x.getType(), 1.0);
    Value neg = arith::NegFOp::create(b, loc, x);
    Value exp = math::ExpOp::create(b, loc, neg);
    Value denom = arith::AddFOp::create(b, loc, one, exp);
    return arith::DivFOp::create(b, loc, one, denom);
  }
};

/// Integer clip: bounds outside the type's range (e.g. the default ±inf)
/// clamp nothing.
static Value clampInteger(OpBuilder &b, Location loc, ClipOp op, Value x) {
  Type type = x.getType();
  unsigned width = type.getIntOrFloatBitWidth();
  bool isUnsigned = type.isUnsignedInteger();
  double typeMin = isUnsigned ? 0 : -std::ldexp(1.0, width - 1);
  double typeMax = std::ldexp(1.0, isUnsigned ? width : width - 1) - 1;
  double lo = op.getMin().convertToDouble(), hi = op.getMax().convertToDouble();
  Type signless = b.getIntegerType(width);
  if (isUnsigned) // arith has no unsigned types: same bits, signless
    x = UnrealizedConversionCastOp::create(b, loc, signless, x).getResult(0);
  auto bound = [&](double v) {
    return arith::ConstantOp::create(
        b, loc, b.getIntegerAttr(signless, APInt(width, isUnsigned
                                                            ? uint64_t(v)
                                                            : uint64_t(int64_t(v)))));
  };
  if (lo > typeMin)
    x = isUnsigned ? arith::MaxUIOp::create(b, loc, x, bound(lo)).getResult()
                   : arith::MaxSIOp::create(b, loc, x, bound(lo)).getResult();
  if (hi < typeMax)
    x = isUnsigned ? arith::MinUIOp::create(b, loc, x, bound(hi)).getResult()
                   : arith::MinSIOp::create(b, loc, x, bound(hi)).getResult();
  if (isUnsigned)
    x = UnrealizedConversionCastOp::create(b, loc, type, x).getResult(0);
  return x;
}

/// kiln.clip(x) {min, max} → generic { minimumf(maximumf(x, min), max) }
struct ClipLowering : UnaryOpLowering<ClipOp> {
  using UnaryOpLowering::UnaryOpLowering;
  Value buildScalar(OpBuilder &b, Location loc, ClipOp op,
                    Value x) const override {
    if (!isa<FloatType>(x.getType()))
      return clampInteger(b, loc, op, x);
    Value lo = createScalarConstant(b, loc, x.getType(),
                                    op.getMin().convertToDouble());
    Value hi = createScalarConstant(b, loc, x.getType(),
                                    op.getMax().convertToDouble());
    Value clamped = arith::MaximumFOp::create(b, loc, x, lo);
    return arith::MinimumFOp::create(b, loc, clamped, hi);
  }
};

} // namespace

void kiln::populateElementwiseToLinalgPatterns(RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<BinaryOpLowering<AddOp, arith::AddFOp, arith::AddIOp>,
               BinaryOpLowering<SubOp, arith::SubFOp, arith::SubIOp>,
               BinaryOpLowering<MulOp, arith::MulFOp, arith::MulIOp>,
               BinaryOpLowering<DivOp, arith::DivFOp, arith::DivSIOp>,
               ReluLowering, SigmoidLowering, ClipLowering>(ctx);
  populateElementwiseFamiliesToLinalgPatterns(patterns);
}
