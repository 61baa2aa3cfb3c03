//===- ElementwiseFamilies.cpp - kiln.unary/binary/compare/... → linalg ---===//
//
// The enum-parameterised elementwise families (kiln.unary, kiln.binary,
// kiln.compare, kiln.classify, kiln.where, kiln.cast) each become one
// all-parallel linalg.generic with numpy broadcast maps; the body is built
// by a switch over the op's kind. f16 and bf16 compute in f32 (extf → op →
// truncf): libm has no half-precision functions, and one rounding at the end
// matches what onnxruntime's f16 kernels produce within their tolerance.
// Unsigned integers (arith has no unsigned types) are reinterpreted as
// signless ones of the same width around the body, which then picks the
// unsigned flavour of each op (divui, maxui, cmpi ult, uitofp, ...). Casts
// from and to 8-bit floats and narrow integers use LowPrecision.cpp.
//
//===----------------------------------------------------------------------===//

#include "passes/KilnToLinalg/KilnToLinalg.h"
#include "passes/KilnToLinalg/LowPrecision.h"

#include "dialects/kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::kiln;

/// The type a float of `type` is computed in: f32 for 16-bit floats.
static Type computeType(Type type) {
  if (type.isF16() || type.isBF16())
    return Float32Type::get(type.getContext());
  return type;
}

static Value extendForCompute(OpBuilder &b, Location loc, Value x) {
  Type t = computeType(x.getType());
  return t == x.getType() ? x : arith::ExtFOp::create(b, loc, t, x).getResult();
}

static Value truncateToStorage(OpBuilder &b, Location loc, Value x, Type to) {
  return x.getType() == to ? x
                           : arith::TruncFOp::create(b, loc, to, x).getResult();
}

/// Float `x` to the integer type `to`, defined for every input (ONNX leaves
/// out-of-range casts undefined; kiln gives the same answer on every CPU):
/// 8- and 16-bit results wrap a 32-bit conversion, 32-bit unsigned ones a
/// 64-bit one (numpy's behaviour on x86); NaN and values past the 32/64-bit
/// range give INT_MIN of that width. (4- and 2-bit types: wrapToNarrowInteger.)
static Value convertFloatToInteger(OpBuilder &b, Location loc, Value x,
                                   IntegerType to, bool dstUnsigned) {
  auto ft = cast<FloatType>(x.getType());
  if (ft.getWidth() < 32)
    x = arith::ExtFOp::create(b, loc, b.getF32Type(), x);
  unsigned width = to.getWidth();
  if (width == 64 && dstUnsigned) {
    // [2^63, 2^64) only fits fptoui; the rest as signed.
    Value big = arith::CmpFOp::create(
        b, loc, arith::CmpFPredicate::OGE, x,
        arith::ConstantOp::create(b, loc,
                                  b.getFloatAttr(x.getType(), 0x1p63)));
    Value small = arith::CmpFOp::create(
        b, loc, arith::CmpFPredicate::OLT, x,
        arith::ConstantOp::create(b, loc,
                                  b.getFloatAttr(x.getType(), 0x1p64)));
    Value fitsUnsigned = arith::AndIOp::create(b, loc, big, small);
    return arith::SelectOp::create(b, loc, fitsUnsigned,
                                   arith::FPToUIOp::create(b, loc, to, x),
                                   definedFPToSI(b, loc, x, to));
  }
  if (width == 64 || (width == 32 && !dstUnsigned))
    return definedFPToSI(b, loc, x, to);
  IntegerType wide = b.getIntegerType(width == 32 ? 64 : 32);
  Value v = definedFPToSI(b, loc, x, wide);
  return arith::TruncIOp::create(b, loc, to, v);
}

/// Converts scalar `x` to the signless or float type `to` with ONNX Cast
/// semantics (see kiln.cast); `srcUnsigned`/`dstUnsigned` say how the
/// integers on either side are to be read.
static Value convertScalar(OpBuilder &b, Location loc, Value x, Type to,
                           bool srcUnsigned, bool dstUnsigned) {
  Type from = x.getType();
  if (from == to)
    return x;
  if (to.isInteger(1)) {
    if (isa<FloatType>(from))
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, x,
                                   createScalarConstant(b, loc, from, 0.0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, x,
                                 createScalarConstant(b, loc, from, 0.0));
  }
  auto fromFloat = dyn_cast<FloatType>(from);
  auto toFloat = dyn_cast<FloatType>(to);
  bool zeroExtend = srcUnsigned || from.isInteger(1);
  if (fromFloat && toFloat) {
    if (fromFloat.getWidth() == toFloat.getWidth()) // f16 <-> bf16
      x = arith::ExtFOp::create(b, loc, Float32Type::get(b.getContext()), x);
    if (cast<FloatType>(x.getType()).getWidth() < toFloat.getWidth())
      return arith::ExtFOp::create(b, loc, to, x);
    return arith::TruncFOp::create(b, loc, to, x);
  }
  if (toFloat)
    return zeroExtend ? arith::UIToFPOp::create(b, loc, to, x).getResult()
                      : arith::SIToFPOp::create(b, loc, to, x).getResult();
  if (fromFloat)
    return convertFloatToInteger(b, loc, x, cast<IntegerType>(to), dstUnsigned);
  if (from.getIntOrFloatBitWidth() > to.getIntOrFloatBitWidth())
    return arith::TruncIOp::create(b, loc, to, x);
  if (from.getIntOrFloatBitWidth() == to.getIntOrFloatBitWidth())
    return x; // signed <-> unsigned of one width: same bits
  if (zeroExtend)
    return arith::ExtUIOp::create(b, loc, to, x);
  return arith::ExtSIOp::create(b, loc, to, x);
}

static bool isUnsignedInt(Type t) {
  auto i = dyn_cast<IntegerType>(t);
  return i && i.isUnsigned();
}

/// The signless type arith computes `t` in (unsigned ints have no arith ops).
static Type signlessType(Type t) {
  if (isUnsignedInt(t))
    return IntegerType::get(t.getContext(), t.getIntOrFloatBitWidth());
  return t;
}

/// Reinterprets `v` as `t` of the same width (unsigned <-> signless); the
/// casts cancel out when the LLVM lowering maps both to one integer type.
static Value reinterpret(OpBuilder &b, Location loc, Value v, Type t) {
  if (v.getType() == t)
    return v;
  return UnrealizedConversionCastOp::create(b, loc, t, v).getResult(0);
}

/// `cond ? a : b` on scalars.
static Value select(OpBuilder &b, Location loc, Value cond, Value a, Value c) {
  return arith::SelectOp::create(b, loc, cond, a, c);
}

/// sign(x) for floats or integers: -1, 0 or 1.
static Value buildSign(OpBuilder &b, Location loc, Value x) {
  Type t = x.getType();
  Value zero = createScalarConstant(b, loc, t, 0.0);
  Value one = createScalarConstant(b, loc, t, 1.0);
  Value minusOne = createScalarConstant(b, loc, t, -1.0);
  Value pos, neg;
  if (isa<FloatType>(t)) {
    pos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, zero);
    neg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, zero);
  } else {
    pos = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, x, zero);
    neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, zero);
  }
  return select(b, loc, pos, one, select(b, loc, neg, minusOne, zero));
}

/// Integer-typed neg/abs/sign/not.
static Value buildIntegerUnary(OpBuilder &b, Location loc, UnaryKind kind,
                               Value x, bool isUnsigned) {
  Type t = x.getType();
  if (isUnsigned && kind == UnaryKind::Abs)
    return x;
  if (isUnsigned && kind == UnaryKind::Sign)
    return arith::ExtUIOp::create(
        b, loc, t,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, x,
                              createScalarConstant(b, loc, t, 0)));
  switch (kind) {
  case UnaryKind::Neg:
    return arith::SubIOp::create(b, loc, createScalarConstant(b, loc, t, 0), x);
  case UnaryKind::Abs: { // math.absi has no lowering in the CPU pipeline
    Value zero = createScalarConstant(b, loc, t, 0);
    Value neg =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, zero);
    return select(b, loc, neg, arith::SubIOp::create(b, loc, zero, x), x);
  }
  case UnaryKind::Sign:
    return buildSign(b, loc, x);
  default: // Not: all ones is true for i1 and ~0 for integers.
    return arith::XOrIOp::create(
        b, loc, x, arith::ConstantOp::create(b, loc, b.getIntegerAttr(t, -1)));
  }
}

/// Float activations with `alpha`/`beta`, computed in `x`'s type.
static Value buildActivation(OpBuilder &b, Location loc, UnaryKind kind,
                             Value x, double alpha, double beta) {
  auto c = [&](double v) {
    return createScalarConstant(b, loc, x.getType(), v);
  };
  auto lt = [&](Value l, Value r) {
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, l, r);
  };
  auto mul = [&](Value l, Value r) {
    return arith::MulFOp::create(b, loc, l, r);
  };
  auto clamp01 = [&](Value v) {
    return arith::MinimumFOp::create(
        b, loc, arith::MaximumFOp::create(b, loc, v, c(0)), c(1));
  };
  switch (kind) {
  case UnaryKind::LeakyRelu:
    return select(b, loc, lt(x, c(0)), mul(x, c(alpha)), x);
  case UnaryKind::Elu:
    return select(b, loc, lt(x, c(0)),
                  mul(c(alpha), math::ExpM1Op::create(b, loc, x)), x);
  case UnaryKind::Selu: // beta holds gamma
    return select(
        b, loc,
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLE, x, c(0)),
        mul(c(beta * alpha), math::ExpM1Op::create(b, loc, x)),
        mul(c(beta), x));
  case UnaryKind::Celu: {
    Value e = math::ExpM1Op::create(b, loc,
                                    arith::DivFOp::create(b, loc, x, c(alpha)));
    return arith::AddFOp::create(
        b, loc, arith::MaximumFOp::create(b, loc, x, c(0)),
        arith::MinimumFOp::create(b, loc, mul(c(alpha), e), c(0)));
  }
  case UnaryKind::HardSigmoid:
    return clamp01(arith::AddFOp::create(b, loc, mul(c(alpha), x), c(beta)));
  case UnaryKind::HardSwish:
    return mul(
        x, clamp01(arith::AddFOp::create(b, loc, mul(c(1.0 / 6), x), c(0.5))));
  case UnaryKind::ThresholdedRelu:
    return select(b, loc, lt(c(alpha), x), x, c(0));
  case UnaryKind::Shrink: // alpha holds lambd, beta bias
    return select(b, loc, lt(x, c(-alpha)),
                  arith::AddFOp::create(b, loc, x, c(beta)),
                  select(b, loc, lt(c(alpha), x),
                         arith::SubFOp::create(b, loc, x, c(beta)), c(0)));
  default:
    return {};
  }
}

/// softplus(x) = max(x, 0) + log1p(exp(-|x|)), which neither overflows nor
/// loses small results.
static Value buildSoftplus(OpBuilder &b, Location loc, Value x) {
  Value zero = createScalarConstant(b, loc, x.getType(), 0.0);
  Value negAbs = arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, x));
  Value tail =
      math::Log1pOp::create(b, loc, math::ExpOp::create(b, loc, negAbs));
  return arith::AddFOp::create(
      b, loc, arith::MaximumFOp::create(b, loc, x, zero), tail);
}

/// Float kinds of kiln.unary on a value already in its compute type.
static Value buildFloatUnary(OpBuilder &b, Location loc, UnaryOp op, Value x) {
  auto c = [&](double v) {
    return createScalarConstant(b, loc, x.getType(), v);
  };
  auto mul = [&](Value l, Value r) {
    return arith::MulFOp::create(b, loc, l, r);
  };
  switch (op.getKind()) {
  case UnaryKind::Exp:
    return math::ExpOp::create(b, loc, x);
  case UnaryKind::Log:
    return math::LogOp::create(b, loc, x);
  case UnaryKind::Sqrt:
    return math::SqrtOp::create(b, loc, x);
  case UnaryKind::Reciprocal:
    return arith::DivFOp::create(b, loc, c(1), x);
  case UnaryKind::Erf:
    return math::ErfOp::create(b, loc, x);
  case UnaryKind::Tanh:
    return math::TanhOp::create(b, loc, x);
  case UnaryKind::Sin:
    return math::SinOp::create(b, loc, x);
  case UnaryKind::Cos:
    return math::CosOp::create(b, loc, x);
  case UnaryKind::Tan:
    return math::TanOp::create(b, loc, x);
  case UnaryKind::Asin:
    return math::AsinOp::create(b, loc, x);
  case UnaryKind::Acos:
    return math::AcosOp::create(b, loc, x);
  case UnaryKind::Atan:
    return math::AtanOp::create(b, loc, x);
  case UnaryKind::Sinh:
    return math::SinhOp::create(b, loc, x);
  case UnaryKind::Cosh:
    return math::CoshOp::create(b, loc, x);
  case UnaryKind::Asinh:
    return math::AsinhOp::create(b, loc, x);
  case UnaryKind::Acosh:
    return math::AcoshOp::create(b, loc, x);
  case UnaryKind::Atanh:
    return math::AtanhOp::create(b, loc, x);
  case UnaryKind::Floor:
    return math::FloorOp::create(b, loc, x);
  case UnaryKind::Ceil:
    return math::CeilOp::create(b, loc, x);
  case UnaryKind::Round:
    return math::RoundEvenOp::create(b, loc, x);
  case UnaryKind::Neg:
    return arith::NegFOp::create(b, loc, x);
  case UnaryKind::Abs:
    return math::AbsFOp::create(b, loc, x);
  case UnaryKind::Sign:
    return buildSign(b, loc, x);
  case UnaryKind::Softplus:
    return buildSoftplus(b, loc, x);
  case UnaryKind::Softsign:
    return arith::DivFOp::create(
        b, loc, x,
        arith::AddFOp::create(b, loc, c(1), math::AbsFOp::create(b, loc, x)));
  case UnaryKind::Mish:
    return mul(x, math::TanhOp::create(b, loc, buildSoftplus(b, loc, x)));
  case UnaryKind::Gelu: // x/2 * (1 + erf(x / sqrt(2)))
    return mul(
        mul(c(0.5), x),
        arith::AddFOp::create(
            b, loc, c(1), math::ErfOp::create(b, loc, mul(x, c(M_SQRT1_2)))));
  case UnaryKind::GeluTanh: { // x/2 * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    Value cube = mul(mul(x, x), x);
    Value inner = mul(c(std::sqrt(2.0 / M_PI)),
                      arith::AddFOp::create(b, loc, x, mul(c(0.044715), cube)));
    return mul(mul(c(0.5), x),
               arith::AddFOp::create(b, loc, c(1),
                                     math::TanhOp::create(b, loc, inner)));
  }
  default:
    return buildActivation(b, loc, op.getKind(), x,
                           op.getAlpha().convertToDouble(),
                           op.getBeta().convertToDouble());
  }
}

/// Float kinds of kiln.binary on values in their compute type.
static Value buildFloatBinary(OpBuilder &b, Location loc, BinaryKind kind,
                              Value l, Value r) {
  switch (kind) {
  case BinaryKind::Pow:
    return math::PowFOp::create(b, loc, l, r);
  case BinaryKind::Max:
    return arith::MaximumFOp::create(b, loc, l, r);
  case BinaryKind::Min:
    return arith::MinimumFOp::create(b, loc, l, r);
  case BinaryKind::Fmod:
    return arith::RemFOp::create(b, loc, l, r);
  case BinaryKind::Mod: { // numpy mod: the result takes the divisor's sign
    Value zero = createScalarConstant(b, loc, l.getType(), 0.0);
    auto cmp = [&](arith::CmpFPredicate p, Value x, Value y) {
      return arith::CmpFOp::create(b, loc, p, x, y);
    };
    Value rem = arith::RemFOp::create(b, loc, l, r);
    Value signsDiffer =
        arith::XOrIOp::create(b, loc, cmp(arith::CmpFPredicate::OLT, rem, zero),
                              cmp(arith::CmpFPredicate::OLT, r, zero));
    Value fix = arith::AndIOp::create(
        b, loc, cmp(arith::CmpFPredicate::ONE, rem, zero), signsDiffer);
    return select(b, loc, fix, arith::AddFOp::create(b, loc, rem, r), rem);
  }
  case BinaryKind::PRelu: {
    Value zero = createScalarConstant(b, loc, l.getType(), 0.0);
    Value neg =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, l, zero);
    return select(b, loc, neg, arith::MulFOp::create(b, loc, l, r), l);
  }
  default:
    return {};
  }
}

/// Integer (and i1) kinds of kiln.binary, unsigned ones read as such.
static Value buildUnsignedBinary(OpBuilder &b, Location loc, BinaryKind kind,
                                 Value l, Value r) {
  Type t = l.getType();
  switch (kind) {
  case BinaryKind::Pow: {
    Type f64 = Float64Type::get(b.getContext());
    Value p =
        math::PowFOp::create(b, loc, arith::UIToFPOp::create(b, loc, f64, l),
                             arith::UIToFPOp::create(b, loc, f64, r));
    return arith::FPToUIOp::create(b, loc, t,
                                   math::RoundEvenOp::create(b, loc, p));
  }
  case BinaryKind::Max:
    return arith::MaxUIOp::create(b, loc, l, r);
  case BinaryKind::Min:
    return arith::MinUIOp::create(b, loc, l, r);
  case BinaryKind::Mod:
  case BinaryKind::Fmod:
    return arith::RemUIOp::create(b, loc, l, r);
  case BinaryKind::PRelu:
    return l;
  case BinaryKind::ShiftLeft:
  case BinaryKind::ShiftRight: {
    Value width = createScalarConstant(b, loc, t, t.getIntOrFloatBitWidth());
    Value outOfRange =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, r, width);
    Value shifted = kind == BinaryKind::ShiftLeft
                        ? arith::ShLIOp::create(b, loc, l, r).getResult()
                        : arith::ShRUIOp::create(b, loc, l, r).getResult();
    return select(b, loc, outOfRange, createScalarConstant(b, loc, t, 0),
                  shifted);
  }
  default:
    return {};
  }
}

/// Integer (and i1) kinds of kiln.binary.
static Value buildIntegerBinary(OpBuilder &b, Location loc, BinaryKind kind,
                                Value l, Value r, bool isUnsigned) {
  if (isUnsigned)
    if (Value v = buildUnsignedBinary(b, loc, kind, l, r))
      return v;
  Type t = l.getType();
  Value zero = createScalarConstant(b, loc, t, 0.0);
  auto cmp = [&](arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  };
  switch (kind) {
  case BinaryKind::Pow: { // exact for the small results integer Pow is used for
    Type f64 = Float64Type::get(b.getContext());
    Value p =
        math::PowFOp::create(b, loc, arith::SIToFPOp::create(b, loc, f64, l),
                             arith::SIToFPOp::create(b, loc, f64, r));
    return arith::FPToSIOp::create(b, loc, t,
                                   math::RoundEvenOp::create(b, loc, p));
  }
  case BinaryKind::Max:
    return arith::MaxSIOp::create(b, loc, l, r);
  case BinaryKind::Min:
    return arith::MinSIOp::create(b, loc, l, r);
  case BinaryKind::Fmod:
    return arith::RemSIOp::create(b, loc, l, r);
  case BinaryKind::Mod: { // the result takes the divisor's sign
    Value rem = arith::RemSIOp::create(b, loc, l, r);
    Value signsDiffer =
        arith::XOrIOp::create(b, loc, cmp(arith::CmpIPredicate::slt, rem, zero),
                              cmp(arith::CmpIPredicate::slt, r, zero));
    Value fix = arith::AndIOp::create(
        b, loc, cmp(arith::CmpIPredicate::ne, rem, zero), signsDiffer);
    return select(b, loc, fix, arith::AddIOp::create(b, loc, rem, r), rem);
  }
  case BinaryKind::PRelu:
    return select(b, loc, cmp(arith::CmpIPredicate::slt, l, zero),
                  arith::MulIOp::create(b, loc, l, r), l);
  case BinaryKind::ShiftLeft:
  case BinaryKind::ShiftRight: {
    // Counts outside [0, width) (unsigned >= width) saturate as numpy does.
    unsigned width = t.getIntOrFloatBitWidth();
    Value widthV = createScalarConstant(b, loc, t, width);
    Value outOfRange = cmp(arith::CmpIPredicate::uge, r, widthV);
    if (kind == BinaryKind::ShiftLeft)
      return select(b, loc, outOfRange, zero,
                    arith::ShLIOp::create(b, loc, l, r));
    Value signFill = arith::ShRSIOp::create(
        b, loc, l, createScalarConstant(b, loc, t, width - 1));
    return select(b, loc, outOfRange, signFill,
                  arith::ShRSIOp::create(b, loc, l, r));
  }
  case BinaryKind::And:
    return arith::AndIOp::create(b, loc, l, r);
  case BinaryKind::Or:
    return arith::OrIOp::create(b, loc, l, r);
  case BinaryKind::Xor:
    return arith::XOrIOp::create(b, loc, l, r);
  }
  return {};
}

static Value buildCompare(OpBuilder &b, Location loc, CompareKind kind, Value l,
                          Value r, bool isUnsigned) {
  if (isa<FloatType>(l.getType())) {
    arith::CmpFPredicate p = arith::CmpFPredicate::OEQ;
    switch (kind) {
    case CompareKind::Eq:
      p = arith::CmpFPredicate::OEQ;
      break;
    case CompareKind::Gt:
      p = arith::CmpFPredicate::OGT;
      break;
    case CompareKind::Ge:
      p = arith::CmpFPredicate::OGE;
      break;
    case CompareKind::Lt:
      p = arith::CmpFPredicate::OLT;
      break;
    case CompareKind::Le:
      p = arith::CmpFPredicate::OLE;
      break;
    }
    return arith::CmpFOp::create(b, loc, p, l, r);
  }
  // i1 compares unsigned (true > false), as do unsigned integers.
  bool u = isUnsigned || l.getType().isInteger(1);
  arith::CmpIPredicate p = arith::CmpIPredicate::eq;
  switch (kind) {
  case CompareKind::Eq:
    p = arith::CmpIPredicate::eq;
    break;
  case CompareKind::Gt:
    p = u ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt;
    break;
  case CompareKind::Ge:
    p = u ? arith::CmpIPredicate::uge : arith::CmpIPredicate::sge;
    break;
  case CompareKind::Lt:
    p = u ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt;
    break;
  case CompareKind::Le:
    p = u ? arith::CmpIPredicate::ule : arith::CmpIPredicate::sle;
    break;
  }
  return arith::CmpIOp::create(b, loc, p, l, r);
}

static Value buildClassify(OpBuilder &b, Location loc, ClassifyKind kind,
                           Value x) {
  double inf = std::numeric_limits<double>::infinity();
  auto eq = [&](Value v, double c) {
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, v,
                                 createScalarConstant(b, loc, v.getType(), c));
  };
  switch (kind) {
  case ClassifyKind::IsNaN:
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, x);
  case ClassifyKind::IsInf:
    return eq(math::AbsFOp::create(b, loc, x), inf);
  case ClassifyKind::IsPosInf:
    return eq(x, inf);
  case ClassifyKind::IsNegInf:
    return eq(x, -inf);
  }
  return {};
}

/// Element types the lowerings handle: floats and integers.
static bool isSupportedElement(Type t) {
  return isa<FloatType, IntegerType>(t);
}

/// Body of a family's generic: signless/float scalars in (`isUnsigned` when
/// an integer input was unsigned), the result out.
using FamilyScalarFn =
    function_ref<Value(OpBuilder &, Location, ValueRange, bool isUnsigned)>;

/// Lowers `op` (result `resultType`) to one generic reading `inputs` with
/// broadcast maps and computing each element with `body`. Unsigned integers
/// are reinterpreted as signless around the body.
static LogicalResult lowerToGeneric(ConversionPatternRewriter &rewriter,
                                    Operation *op, ValueRange inputs,
                                    FamilyScalarFn body) {
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  for (Value v : inputs)
    if (!isSupportedElement(
            cast<RankedTensorType>(v.getType()).getElementType()))
      return unsupported(rewriter, op, "element type must be float or integer");
  if (!isSupportedElement(resultType.getElementType()))
    return unsupported(rewriter, op, "element type must be float or integer");
  Location loc = op->getLoc();
  SmallVector<AffineMap> maps;
  for (Value v : inputs)
    maps.push_back(
        getBroadcastMap(cast<RankedTensorType>(v.getType()), resultType));
  Type resultElem = resultType.getElementType();
  Value result = createElementwiseGeneric(
      rewriter, loc, resultType,
      getBroadcastDynamicSizes(rewriter, loc, resultType, inputs), inputs, maps,
      [&](OpBuilder &b, Location l, ValueRange args) {
        bool isUnsigned = false;
        SmallVector<Value> signless;
        for (Value a : args) {
          isUnsigned |= isUnsignedInt(a.getType());
          signless.push_back(reinterpret(b, l, a, signlessType(a.getType())));
        }
        return reinterpret(b, l, body(b, l, signless, isUnsigned), resultElem);
      });
  rewriter.replaceOp(op, result);
  return success();
}

namespace {

/// kiln.unary <kind>(x) → generic { [extf] <math/arith ops> [truncf] }
struct UnaryLowering : OpConversionPattern<UnaryOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(UnaryOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    return lowerToGeneric(
        rewriter, op, {adaptor.getInput()},
        [&](OpBuilder &b, Location loc, ValueRange args,
            bool isUnsigned) -> Value {
          Value x = args[0];
          Type t = x.getType();
          if (!isa<FloatType>(t))
            return buildIntegerUnary(b, loc, op.getKind(), x, isUnsigned);
          Value r = buildFloatUnary(b, loc, op, extendForCompute(b, loc, x));
          return truncateToStorage(b, loc, r, t);
        });
  }
};

/// kiln.binary <kind>(a, b) → generic {broadcast maps} { <kind's scalar op> }
struct BinaryLowering : OpConversionPattern<BinaryOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(BinaryOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    return lowerToGeneric(
        rewriter, op, {adaptor.getLhs(), adaptor.getRhs()},
        [&](OpBuilder &b, Location loc, ValueRange args,
            bool isUnsigned) -> Value {
          Type t = args[0].getType();
          if (!isa<FloatType>(t))
            return buildIntegerBinary(b, loc, op.getKind(), args[0], args[1],
                                      isUnsigned);
          Value r = buildFloatBinary(b, loc, op.getKind(),
                                     extendForCompute(b, loc, args[0]),
                                     extendForCompute(b, loc, args[1]));
          return truncateToStorage(b, loc, r, t);
        });
  }
};

/// kiln.compare <kind>(a, b) → generic { arith.cmpf/cmpi } : i1
struct CompareLowering : OpConversionPattern<CompareOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CompareOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    return lowerToGeneric(
        rewriter, op, {adaptor.getLhs(), adaptor.getRhs()},
        [&](OpBuilder &b, Location loc, ValueRange args, bool isUnsigned) {
          return buildCompare(b, loc, op.getKind(), args[0], args[1],
                              isUnsigned);
        });
  }
};

/// kiln.classify <kind>(x) → generic { cmpf uno / cmpf oeq ±inf } : i1
struct ClassifyLowering : OpConversionPattern<ClassifyOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ClassifyOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    return lowerToGeneric(
        rewriter, op, {adaptor.getInput()},
        [&](OpBuilder &b, Location loc, ValueRange args, bool) {
          return buildClassify(b, loc, op.getKind(), args[0]);
        });
  }
};

/// kiln.where(c, a, b) → generic {3-way broadcast maps} { arith.select }
struct WhereLowering : OpConversionPattern<WhereOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(WhereOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    return lowerToGeneric(
        rewriter, op,
        {adaptor.getCondition(), adaptor.getLhs(), adaptor.getRhs()},
        [](OpBuilder &b, Location loc, ValueRange args, bool) {
          return select(b, loc, args[0], args[1], args[2]);
        });
  }
};

/// kiln.cast(x) → generic { extf/truncf/sitofp/fptosi/extsi/trunci/cmp ne 0 }
/// (float8 and narrow types: software conversions through f32 or i32).
struct CastLowering : OpConversionPattern<CastOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type to = cast<RankedTensorType>(op.getType()).getElementType();
    StringRef narrow = op.getNarrow().value_or("");
    return lowerToGeneric(
        rewriter, op, {adaptor.getInput()},
        [&](OpBuilder &b, Location loc, ValueRange args, bool srcUnsigned) {
          Value x = args[0];
          if (isLowPrecisionFloat(x.getType())) {
            x = decodeLowPrecisionFloat(b, loc, x);
            srcUnsigned = false;
          }
          if (!narrow.empty() && narrow != "float4e2m1")
            return wrapToNarrowInteger(b, loc, x, srcUnsigned,
                                       narrow.ends_with("4") ? 4 : 2,
                                       !narrow.starts_with("u"));
          if (!isLowPrecisionFloat(to))
            return convertScalar(b, loc, x, signlessType(to), srcUnsigned,
                                 isUnsignedInt(to));
          x = convertScalar(b, loc, x, b.getF32Type(), srcUnsigned, false);
          return encodeLowPrecisionFloat(b, loc, x, to, op.getSaturate(),
                                         op.getRoundMode().value_or("up"),
                                         narrow == "float4e2m1");
        });
  }
};

} // namespace

void kiln::populateElementwiseFamiliesToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<UnaryLowering, BinaryLowering, CompareLowering, ClassifyLowering,
               WhereLowering, CastLowering>(patterns.getContext());
}
