//===- Unroll.h - tensor building blocks for unrolled loops ----*- C++ -*-===//
//
// Recurrent cells (RNN, GRU, LSTM) and control flow (Scan, Loop) are unrolled
// in the importer when their trip count is static: each step takes one slice
// of the sequence, computes with ordinary kiln ops and the per-step results
// are stacked again. These helpers build those slices, stacks and small
// constants on a node's builder, reporting failures against the node.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTENDS_ONNX_OPS_UNROLL_H
#define KILN_FRONTENDS_ONNX_OPS_UNROLL_H

#include "frontends/onnx/GraphImporter.h"

namespace mlir::kiln::onnx {

/// A constant of `type` with every element `value` (float or integer type).
Value splatConstant(NodeImporter &n, RankedTensorType type, double value);
/// A rank-0 constant of element type `elem`.
Value scalarConstant(NodeImporter &n, Type elem, double value);

/// `x[offset : offset + size]` along `axis`; the other dims are whole.
FailureOr<Value> sliceAxis(NodeImporter &n, Value x, int64_t axis,
                           int64_t offset, int64_t size);
/// `x[index]` along `axis`, with that dim dropped.
FailureOr<Value> takeAt(NodeImporter &n, Value x, int64_t axis, int64_t index);
/// `x` with a unit dim inserted before dim `axis` (0 ≤ axis ≤ rank).
FailureOr<Value> insertUnitDim(NodeImporter &n, Value x, int64_t axis);
/// Same-typed `xs` stacked along a new dim `axis` (0 ≤ axis ≤ rank).
FailureOr<Value> stack(NodeImporter &n, ArrayRef<Value> xs, int64_t axis);
/// Swaps dims `a` and `b` of `x`.
FailureOr<Value> swapDims(NodeImporter &n, Value x, int64_t a, int64_t b);

/// Static dim `axis` of `x`, or an error naming `what`.
FailureOr<int64_t> staticDim(NodeImporter &n, Value x, int64_t axis,
                             StringRef what);

} // namespace mlir::kiln::onnx

#endif // KILN_FRONTENDS_ONNX_OPS_UNROLL_H
