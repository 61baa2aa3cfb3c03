//===- Bitcast.cpp - kiln.bitcast → linalg --------------------------------===//
//
// kiln.bitcast becomes an all-parallel linalg.generic whose body is an
// arith.bitcast between the signless forms of the two element types
// (unsigned integers are reinterpreted around it, as in the elementwise
// families); the one-byte ONNX bool widens with extui or narrows with
// `!= 0`.
//
//===----------------------------------------------------------------------===//

#include "passes/KilnToLinalg/KilnToLinalg.h"

#include "dialects/kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::kiln;

/// The signless type arith computes `t` in.
static Type signless(Type t) {
  if (auto i = dyn_cast<IntegerType>(t); i && !i.isSignless())
    return IntegerType::get(t.getContext(), i.getWidth());
  return t;
}

static Value reinterpret(OpBuilder &b, Location loc, Value v, Type t) {
  if (v.getType() == t)
    return v;
  return UnrealizedConversionCastOp::create(b, loc, t, v).getResult(0);
}

namespace {

/// kiln.bitcast(x) → generic { bitcast | extui (i1) | cmpi ne 0 (to i1) }
struct BitcastLowering : OpConversionPattern<BitcastOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(BitcastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    auto outType = cast<RankedTensorType>(op.getType());
    Type from = inType.getElementType(), to = outType.getElementType();
    AffineMap identity =
        AffineMap::getMultiDimIdentityMap(inType.getRank(), getContext());
    Value result = createElementwiseGeneric(
        rewriter, op.getLoc(), outType,
        getDynamicSizes(rewriter, op.getLoc(), adaptor.getInput()),
        {adaptor.getInput()}, {identity},
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          Value x = reinterpret(b, loc, args[0], signless(from));
          Value y;
          if (from.isInteger(1))
            y = arith::ExtUIOp::create(b, loc, signless(to), x);
          else if (to.isInteger(1))
            y = arith::CmpIOp::create(
                b, loc, arith::CmpIPredicate::ne, x,
                createScalarConstant(b, loc, x.getType(), 0.0));
          else if (signless(from) == signless(to))
            y = x;
          else
            y = arith::BitcastOp::create(b, loc, signless(to), x);
          return reinterpret(b, loc, y, to);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void kiln::populateBitcastToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<BitcastLowering>(patterns.getContext());
}
