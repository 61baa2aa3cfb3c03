//===- LowPrecision.cpp - scalar float8/float4/int4 conversions -----------===//
//
// The software conversions behind kiln.cast for ONNX's low-precision types,
// built from i32 arith ops on the bits so that they vectorize and need no
// LLVM support for the formats. They follow the ONNX reference (ml_dtypes):
// round to nearest even; past the range a float8 becomes inf (e5m2) or NaN,
// or with `saturate` the largest finite value; the FNUZ formats have one NaN
// (0x80) and no -0; float4e2m1 always saturates; float8e8m0 is a biased
// exponent whose rounding ONNX selects with `round_mode`.
//
//===----------------------------------------------------------------------===//

#include "passes/KilnToLinalg/LowPrecision.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;

namespace {
/// Layout of one 8-bit (or, for float4, 4-bit) float format.
struct Format {
  int mantissaBits;
  int bias;
  /// The magnitude bits of the largest finite value.
  int maxCode;
  bool hasInf;   // e5m2: exponent all ones is inf/NaN, as IEEE
  bool fnuz;     // one NaN (0x80), no negative zero
  bool float4;   // e2m1 in the low 4 bits
};

Format formatOf(Type type, bool float4) {
  if (float4)
    return {1, 1, 0x7, false, false, true};
  if (isa<Float8E4M3FNUZType>(type))
    return {3, 8, 0x7f, false, true, false};
  if (isa<Float8E5M2Type>(type))
    return {2, 15, 0x7b, true, false, false};
  if (isa<Float8E5M2FNUZType>(type))
    return {2, 16, 0x7f, false, true, false};
  return {3, 7, 0x7e, false, false, false}; // f8E4M3FN
}

/// Scalar i32 arithmetic with short names.
struct I32 {
  OpBuilder &b;
  Location loc;
  Value c(int64_t v) {
    return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v));
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value band(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value bor(Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }
  Value shl(Value x, Value y) { return arith::ShLIOp::create(b, loc, x, y); }
  Value shr(Value x, Value y) { return arith::ShRUIOp::create(b, loc, x, y); }
  Value sar(Value x, Value y) { return arith::ShRSIOp::create(b, loc, x, y); }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value eq(Value x, int64_t v) { return cmp(arith::CmpIPredicate::eq, x, c(v)); }
  Value ne(Value x, int64_t v) { return cmp(arith::CmpIPredicate::ne, x, c(v)); }
  Value sel(Value cond, Value x, Value y) {
    return arith::SelectOp::create(b, loc, cond, x, y);
  }
  Value zext(Value i1) {
    return arith::ExtUIOp::create(b, loc, b.getI32Type(), i1);
  }
};
} // namespace

bool mlir::kiln::isLowPrecisionFloat(Type type) {
  return isa<Float8E4M3FNType, Float8E4M3FNUZType, Float8E5M2Type,
             Float8E5M2FNUZType, Float8E8M0FNUType>(type);
}

/// f32 bits of a float8e8m0 code: 2^(e - 127), 0xff is NaN.
static Value decodeE8M0(I32 &i, Value e) {
  Value normal = i.shl(e, i.c(23));
  Value v = i.sel(i.eq(e, 0), i.c(0x00400000), normal); // 2^-127: subnormal
  return i.sel(i.eq(e, 0xff), i.c(0x7fc00000), v);
}

Value mlir::kiln::decodeLowPrecisionFloat(OpBuilder &b, Location loc,
                                          Value x) {
  I32 i{b, loc};
  Type f32 = b.getF32Type();
  Value byte = arith::BitcastOp::create(b, loc, b.getI8Type(), x);
  Value u = arith::ExtUIOp::create(b, loc, b.getI32Type(), byte);
  if (isa<Float8E8M0FNUType>(x.getType()))
    return arith::BitcastOp::create(b, loc, f32, decodeE8M0(i, u));

  Format f = formatOf(x.getType(), false);
  int m = f.mantissaBits, expBits = 7 - m;
  Value sign = i.shl(i.shr(u, i.c(7)), i.c(31));
  Value exp = i.band(i.shr(u, i.c(m)), i.c((1 << expBits) - 1));
  Value man = i.band(u, i.c((1 << m) - 1));
  // Normal: rebias the exponent and left-align the mantissa.
  Value normal = i.bor(i.shl(i.add(exp, i.c(127 - f.bias)), i.c(23)),
                       i.shl(man, i.c(23 - m)));
  // Subnormal: man * 2^(1 - bias - m), exact in f32.
  Value scaled = arith::MulFOp::create(
      b, loc, arith::UIToFPOp::create(b, loc, f32, man),
      arith::ConstantOp::create(
          b, loc, b.getF32FloatAttr(std::ldexp(1.0f, 1 - f.bias - m))));
  Value sub = arith::BitcastOp::create(b, loc, b.getI32Type(), scaled);
  Value bits = i.bor(sign, i.sel(i.eq(exp, 0), sub, normal));
  Value nan = i.c(0x7fc00000);
  if (f.fnuz) {
    bits = i.sel(i.eq(u, 0x80), nan, bits);
  } else if (f.hasInf) {
    Value special = i.bor(sign, i.sel(i.eq(man, 0), i.c(0x7f800000), nan));
    bits = i.sel(i.eq(exp, (1 << expBits) - 1), special, bits);
  } else {
    bits = i.sel(i.eq(i.band(u, i.c(0x7f)), 0x7f), i.bor(sign, nan), bits);
  }
  return arith::BitcastOp::create(b, loc, f32, bits);
}

/// float8e8m0 code of f32 bits `u`, rounded as onnx.numpy_helper's
/// to_float8e8m0 does.
static Value encodeE8M0(I32 &i, Value u, bool saturate, StringRef roundMode) {
  Value exp = i.band(i.shr(u, i.c(23)), i.c(0xff));
  Value roundUp;
  if (roundMode == "up") {
    roundUp = i.ne(i.band(u, i.c(0x7fffff)), 0);
  } else if (roundMode == "nearest") {
    Value g = i.ne(i.band(u, i.c(0x400000)), 0);
    Value r = i.ne(i.band(u, i.c(0x200000)), 0);
    Value s = i.ne(i.band(u, i.c(0x1fffff)), 0);
    Value lsb = i.ne(exp, 0);
    roundUp = i.band(g, i.bor(i.bor(r, s), lsb));
  }
  Value code = exp;
  if (roundUp) {
    if (saturate)
      roundUp = i.band(roundUp, i.ne(exp, 0xfe));
    code = i.add(exp, i.zext(roundUp));
  }
  return i.sel(i.eq(exp, 0xff), i.c(0xff), code);
}

Value mlir::kiln::encodeLowPrecisionFloat(OpBuilder &b, Location loc, Value x,
                                          Type to, bool saturate,
                                          StringRef roundMode, bool float4) {
  using P = arith::CmpIPredicate;
  I32 i{b, loc};
  Value u = arith::BitcastOp::create(b, loc, b.getI32Type(), x);
  Value code;
  if (isa<Float8E8M0FNUType>(to)) {
    code = encodeE8M0(i, u, saturate, roundMode);
  } else {
    Format f = formatOf(to, float4);
    int m = f.mantissaBits;
    saturate |= f.float4;
    Value sign = i.shr(u, i.c(31));
    Value a = i.band(u, i.c(0x7fffffff));
    Value isNaN = i.cmp(P::ugt, a, i.c(0x7f800000));
    Value expField = i.shr(a, i.c(23));
    Value mant = i.band(a, i.c(0x7fffff));
    // The significand with its implicit bit, and the exponent in the target's
    // bias (f32 subnormals share exponent field 1's scale).
    Value sig = i.sel(i.eq(expField, 0), mant, i.bor(mant, i.c(0x800000)));
    Value te = i.add(i.sel(i.eq(expField, 0), i.c(1), expField),
                     i.c(f.bias - 127));
    // Below the target's normal range the significand shifts further right
    // and the exponent field is 0 (a subnormal); a carry out of the
    // mantissa then lands in the exponent, as it should.
    Value isSub = i.cmp(P::slt, te, i.c(1));
    Value extra = i.sel(isSub, i.sub(i.c(1), te), i.c(0));
    Value base = i.sel(isSub, i.c(0), i.sub(te, i.c(1)));
    Value shift = arith::MinSIOp::create(b, loc, i.add(extra, i.c(23 - m)),
                                         i.c(31));
    Value q = i.shr(sig, shift);
    Value rem = i.band(sig, i.sub(i.shl(i.c(1), shift), i.c(1)));
    Value half = i.shl(i.c(1), i.sub(shift, i.c(1)));
    Value tie = i.band(i.cmp(P::eq, rem, half), i.ne(i.band(q, i.c(1)), 0));
    Value roundUp = i.bor(i.cmp(P::ugt, rem, half), tie);
    Value mag = i.add(i.add(i.shl(base, i.c(m)), q), i.zext(roundUp));
    Value overflow = i.cmp(P::sgt, mag, i.c(f.maxCode));
    int nanMag = f.fnuz ? 0 : f.hasInf ? 0x7e : 0x7f;
    int pastMax = saturate ? f.maxCode : f.hasInf ? 0x7c : nanMag;
    mag = i.sel(overflow, i.c(pastMax), mag);
    int signShift = f.float4 ? 3 : 7;
    code = i.bor(mag, i.shl(sign, i.c(signShift)));
    if (f.fnuz) {
      code = i.sel(i.eq(mag, 0), i.c(0), code);
      if (!saturate)
        code = i.sel(overflow, i.c(0x80), code);
      code = i.sel(isNaN, i.c(0x80), code);
    } else if (f.float4) {
      // ml_dtypes turns NaN into a zero of the opposite sign.
      code = i.sel(isNaN, i.shl(i.band(i.add(sign, i.c(1)), i.c(1)), i.c(3)),
                   code);
    } else {
      code = i.sel(isNaN, i.bor(i.c(nanMag), i.shl(sign, i.c(7))), code);
    }
    if (f.float4) { // held as the float8e4m3fn of the same value
      Value cmag = i.band(code, i.c(7));
      Value e = i.shr(cmag, i.c(1)), mbit = i.band(cmag, i.c(1));
      Value normal = i.bor(i.shl(i.add(e, i.c(6)), i.c(3)), i.shl(mbit, i.c(2)));
      Value small = i.sel(i.eq(mbit, 0), i.c(0), i.c(0x30));
      Value e4m3 = i.sel(i.eq(e, 0), small, normal);
      code = i.bor(e4m3, i.shl(i.shr(code, i.c(3)), i.c(7)));
    }
  }
  Value byte = arith::TruncIOp::create(b, loc, b.getI8Type(), code);
  return arith::BitcastOp::create(b, loc, to, byte);
}

Value mlir::kiln::definedFPToSI(OpBuilder &b, Location loc, Value x,
                                IntegerType to) {
  Type ft = x.getType();
  double limit = std::ldexp(1.0, to.getWidth() - 1);
  auto cst = [&](double v) {
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(ft, v));
  };
  Value inRange = arith::AndIOp::create(
      b, loc,
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE, x, cst(-limit)),
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, cst(limit)));
  Value intMin = arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(to, APInt::getSignedMinValue(to.getWidth())));
  return arith::SelectOp::create(b, loc, inRange,
                                 arith::FPToSIOp::create(b, loc, to, x), intMin);
}

Value mlir::kiln::wrapToNarrowInteger(OpBuilder &b, Location loc, Value x,
                                      bool srcUnsigned, unsigned bits,
                                      bool isSigned) {
  I32 i{b, loc};
  Type i32 = b.getI32Type();
  Type from = x.getType();
  Value v;
  if (auto ft = dyn_cast<FloatType>(from)) {
    if (ft.getWidth() < 32)
      x = arith::ExtFOp::create(b, loc, b.getF32Type(), x);
    v = definedFPToSI(b, loc, x, cast<IntegerType>(i32));
    // Outside the narrow range (INT32_MIN included): 0, not wrapped bits.
    int32_t lo = isSigned ? -(1 << (bits - 1)) : 0;
    int32_t hi = isSigned ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
    Value fits = arith::AndIOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, v, i.c(lo)),
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, v, i.c(hi)));
    v = i.sel(fits, v, i.c(0));
  } else {
    unsigned width = from.getIntOrFloatBitWidth();
    if (width > 32)
      v = arith::TruncIOp::create(b, loc, i32, x);
    else if (width == 32)
      v = x;
    else if (srcUnsigned || width == 1)
      v = arith::ExtUIOp::create(b, loc, i32, x);
    else
      v = arith::ExtSIOp::create(b, loc, i32, x);
  }
  v = isSigned ? i.sar(i.shl(v, i.c(32 - bits)), i.c(32 - bits))
               : i.band(v, i.c((1 << bits) - 1));
  return arith::TruncIOp::create(b, loc, b.getI8Type(), v);
}
