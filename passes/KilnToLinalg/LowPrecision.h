//===- LowPrecision.h - scalar float8/float4/int4 conversions ----*- C++ -*-===//
//
// Builders for the scalar bodies of kiln.cast when one side is an 8-bit
// float (f8E4M3FN, f8E4M3FNUZ, f8E5M2, f8E5M2FNUZ, f8E8M0FNU) or the result
// holds a narrower ONNX type (int4, uint4, int2, uint2, float4e2m1; the
// `narrow` attribute). LLVM has no arithmetic on these formats, so every
// conversion goes through f32 with explicit integer bit manipulation.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_KILNTOLINALG_LOWPRECISION_H
#define KILN_PASSES_KILNTOLINALG_LOWPRECISION_H

#include "mlir/IR/Builders.h"

namespace mlir::kiln {

/// The 8-bit float types kiln.cast converts in software.
bool isLowPrecisionFloat(Type type);

/// The exact f32 value of scalar `x` of a low-precision float type.
Value decodeLowPrecisionFloat(OpBuilder &b, Location loc, Value x);

/// Rounds f32 scalar `x` to the low-precision float type `to` (to nearest
/// even, or by `roundMode` for f8E8M0FNU) with ONNX Cast semantics; with
/// `float4`, `to` is f8E4M3FN and the value is rounded to float4 e2m1.
Value encodeLowPrecisionFloat(OpBuilder &b, Location loc, Value x, Type to,
                              bool saturate, StringRef roundMode, bool float4);

/// fptosi of float `x` to `to` (signless iN) with NaN and values outside
/// iN's range giving INT_MIN, as x86's cvtt* instructions (and numpy) do. A
/// bare fptosi is poison there, and each ISA's code picks its own answer.
Value definedFPToSI(OpBuilder &b, Location loc, Value x, IntegerType to);

/// Converts scalar `x` (a float, or an integer read as unsigned when
/// `srcUnsigned`) to an integer of `bits` bits and returns it sign-
/// (`isSigned`) or zero-extended in an i8. Integers wrap (ONNX Cast keeps the
/// low bits); floats truncate toward zero, and NaN or a value outside the
/// narrow type's range gives 0, as ONNX's reference (ml_dtypes) and its test
/// data do, on every CPU.
Value wrapToNarrowInteger(OpBuilder &b, Location loc, Value x,
                          bool srcUnsigned, unsigned bits, bool isSigned);

} // namespace mlir::kiln

#endif // KILN_PASSES_KILNTOLINALG_LOWPRECISION_H
