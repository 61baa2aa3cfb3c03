//===- ReductionBuilders.h - reduction helpers for kiln → linalg -*- C++ -*-===//
//
// Builders shared by the reduction, normalisation and attention lowerings:
// the accumulator type (f32 for narrower floats), float casts, reduction
// generics over several inputs, and restoring kept dims. Defined in
// Reduction.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_KILNTOLINALG_REDUCTIONBUILDERS_H
#define KILN_PASSES_KILNTOLINALG_REDUCTIONBUILDERS_H

#include "passes/KilnToLinalg/KilnToLinalg.h"

namespace mlir::kiln {

/// f32 for f16/bf16 (sums in half precision lose digits fast), else `elem`.
Type getAccumulatorType(Type elem);

/// `v` extended or truncated to float type `to`; `v` itself if already `to`.
Value castFloat(OpBuilder &b, Location loc, Value v, Type to);

/// Map from a rank-`rank` iteration space to a tensor that drops `axes`.
AffineMap getReducedMap(MLIRContext *ctx, int64_t rank, ArrayRef<int64_t> axes);

/// A reduction generic iterating over the shape of `shapeSource`, reducing
/// `axes` (sorted). `inputs` are read through `inputMaps`; the output (type
/// of `init`, the reduced dims dropped) starts at `init` and each step yields
/// `combine(inputs..., accumulator)`.
Value buildReduction(OpBuilder &b, Location loc, Value shapeSource,
                     ArrayRef<int64_t> axes, ValueRange inputs,
                     ArrayRef<AffineMap> inputMaps, Value init,
                     ScalarFn combine);

/// Number of elements of `shapeSource` over `axes` as a float of `type`.
Value getReducedCount(OpBuilder &b, Location loc, Value shapeSource,
                      ArrayRef<int64_t> axes, Type type);

/// `reduced` (the `axes` dropped) reshaped to `resultType` that keeps them as
/// size-1 dims; `reduced` itself when the ranks already agree.
Value restoreKeptDims(OpBuilder &b, Location loc, Value reduced,
                      RankedTensorType resultType, ArrayRef<int64_t> axes);

} // namespace mlir::kiln

#endif // KILN_PASSES_KILNTOLINALG_REDUCTIONBUILDERS_H
