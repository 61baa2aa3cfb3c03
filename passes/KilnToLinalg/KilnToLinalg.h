//===- KilnToLinalg.h - kiln → linalg patterns -------------------*- C++ -*-===//
//
// Entry points of the convert-kiln-to-linalg conversion, one populate function
// per op family (each in its own .cpp), plus the small builders the families
// share: empty/filled tensors, numpy broadcast maps, elementwise generics,
// padding and means.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_KILNTOLINALG_KILNTOLINALG_H
#define KILN_PASSES_KILNTOLINALG_KILNTOLINALG_H

#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::kiln {

/// All kiln → linalg patterns.
void populateKilnToLinalgPatterns(RewritePatternSet &patterns);

void populateElementwiseToLinalgPatterns(RewritePatternSet &patterns);
void populateElementwiseFamiliesToLinalgPatterns(RewritePatternSet &patterns);
void populateLinearToLinalgPatterns(RewritePatternSet &patterns);
void populateConvolutionToLinalgPatterns(RewritePatternSet &patterns);
void populatePoolingToLinalgPatterns(RewritePatternSet &patterns);
void populateReductionToLinalgPatterns(RewritePatternSet &patterns);
void populateNormalizationToLinalgPatterns(RewritePatternSet &patterns);
void populateDataMovementToLinalgPatterns(RewritePatternSet &patterns);
void populateIndexingToLinalgPatterns(RewritePatternSet &patterns);
void populateScatterToLinalgPatterns(RewritePatternSet &patterns);
void populateAttentionToLinalgPatterns(RewritePatternSet &patterns);
void populateResizeToLinalgPatterns(RewritePatternSet &patterns);
void populateRuntimeAxesToLinalgPatterns(RewritePatternSet &patterns);
void populateBitcastToLinalgPatterns(RewritePatternSet &patterns);
void populateSpatialToLinalgPatterns(RewritePatternSet &patterns);
void populateSequenceModelToLinalgPatterns(RewritePatternSet &patterns);

//===----------------------------------------------------------------------===//
// Shared builders (Utils.cpp)
//===----------------------------------------------------------------------===//

/// Reports why `op` cannot be lowered: an error at its location (naming the
/// ONNX node) plus the match failure. Each kiln op has exactly one pattern,
/// so this fires once per op and the message reaches the user even in
/// release builds, where match-failure reasons are dropped.
LogicalResult unsupported(PatternRewriter &rewriter, Operation *op,
                          const Twine &why);

/// Body of an elementwise generic: the input scalars in, the yielded value out.
using ScalarFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// `dim` of `tensor` as an index value (a constant when static).
Value getDimValue(OpBuilder &b, Location loc, Value tensor, int64_t dim);

/// The dynamic sizes of `tensor`, in order, as index values.
SmallVector<Value> getDynamicSizes(OpBuilder &b, Location loc, Value tensor);

/// A scalar constant `value` of float or integer type `type`.
Value createScalarConstant(OpBuilder &b, Location loc, Type type, double value);

/// `tensor.empty` of `type`; `dynSizes` holds one value per dynamic dim.
Value createEmptyTensor(OpBuilder &b, Location loc, RankedTensorType type,
                        ValueRange dynSizes);

/// `linalg.fill` of `fill` into a new tensor of `type`.
Value createFilledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                         ValueRange dynSizes, Value fill);

/// Indexing map that reads `operand` while iterating over `result`'s dims
/// with numpy broadcasting: operand dims align right, missing leading dims
/// drop out and size-1 dims that broadcast read index 0.
AffineMap getBroadcastMap(RankedTensorType operand, RankedTensorType result);

/// Dynamic sizes of the numpy broadcast `result` of `operands`, each taken
/// with tensor.dim from an operand whose aligned dim is dynamic.
/// Dynamic dims are assumed not to be 1 at run time (no runtime broadcast).
SmallVector<Value> getBroadcastDynamicSizes(OpBuilder &b, Location loc,
                                            RankedTensorType result,
                                            ValueRange operands);

/// An all-parallel `linalg.generic` over `resultType` (identity output map,
/// init a fresh tensor.empty) reading `inputs` through `inputMaps`.
Value createElementwiseGeneric(OpBuilder &b, Location loc,
                               RankedTensorType resultType, ValueRange dynSizes,
                               ValueRange inputs, ArrayRef<AffineMap> inputMaps,
                               ScalarFn body);

/// `tensor.pad` of `input` by `low`/`high` (one entry per dim) with `padValue`;
/// returns `input` when nothing is padded.
Value padTensor(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> low,
                ArrayRef<int64_t> high, Value padValue);

/// Reduces `input` over the sorted `axes` (dropped from the result) with a
/// `linalg.generic`: output starts at `init` and each step yields
/// `combine(element, accumulator)`.
Value createReduction(OpBuilder &b, Location loc, Value input,
                      ArrayRef<int64_t> axes, Value init, ScalarFn combine);

/// Mean of `input` over the sorted `axes`, shaped as `resultType` (which
/// either drops the axes or keeps them as size 1). Sum, then one multiply by
/// 1/count (count from tensor.dim when a reduced dim is dynamic).
Value createMean(OpBuilder &b, Location loc, Value input,
                 ArrayRef<int64_t> axes, RankedTensorType resultType);

// Dynamic-shape helpers. Result types come from shape inference; a `?` in
// them must be sized from the operands at run time (tensor.dim), never
// assumed. Use these instead of `tensor.empty` with no sizes.

/// `tensor.empty` shaped like the ranked tensor `like` (its dynamic dims
/// sized with tensor.dim of `like`), element type `elementType` (default:
/// `like`'s).
Value createEmptyLike(OpBuilder &b, Location loc, Value like, Type elementType = {});

/// `tensor.empty` of `type` whose dim i, when dynamic, has the size of dim
/// `sourceDims[i]` of `source` (one entry per dim of `type`; the entries of
/// static dims are ignored, -1 is fine there). For results that keep or
/// permute an operand's dims: transpose, matmul batch/M, pooling N/C, ...
Value createEmptyFromDims(OpBuilder &b, Location loc, RankedTensorType type, Value source,
                          ArrayRef<int64_t> sourceDims);

/// The sizes of every dim of `tensor`: attributes for static dims,
/// tensor.dim values for dynamic ones (for tensor.empty/extract_slice/pad).
SmallVector<OpFoldResult> getMixedDims(OpBuilder &b, Location loc, Value tensor);

} // namespace mlir::kiln

#endif // KILN_PASSES_KILNTOLINALG_KILNTOLINALG_H
