//===- KilnDataMovementOps.td - kiln indexing ops -----------*- tablegen -*-===//
//
// Data movement ops beyond reshape/transpose/concat: gathers, slices,
// broadcasts, padding and index-driven masks. All are dtype-agnostic; index
// operands may be i32 or i64 and negative indices wrap (ONNX semantics) in
// the lowering. Ops whose operands are constants fold at import, which is
// how shape subgraphs (Shape → Gather → Concat → Reshape) become constants.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DATA_MOVEMENT_OPS_TD
#define KILN_DATA_MOVEMENT_OPS_TD

def Kiln_GatherOp : Kiln_Op<"gather", [InferTypeOpAdaptor]> {
  let summary = "Take slices of `data` along `axis` at `indices` (ONNX Gather)";
  let description = [{
    The result shape is `data[:axis] ++ indices ++ data[axis+1:]`; negative
    indices count from the end of `axis`.

    ```mlir
    %e = kiln.gather %table, %ids {axis = 0 : i64} : tensor<100x16xf32>, tensor<2x3xi64>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$data, AnyRankedTensor:$indices,
                       I64Attr:$axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$data `,` $indices attr-dict `:` type($data) `,` type($indices)";
  let hasFolder = 1;
}

def Kiln_GatherElementsOp : Kiln_Op<"gather_elements", [InferTypeOpAdaptor]> {
  let summary = "Index `data` along `axis` elementwise (ONNX GatherElements)";
  let description = [{
    `result[i0..iN] = data[i0.., indices[i0..iN] (at axis), ..iN]`; the result
    has the shape of `indices`.

    ```mlir
    %r = kiln.gather_elements %x, %i {axis = 1 : i64} : tensor<3x4xf32>, tensor<3x2xi64>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$data, AnyRankedTensor:$indices,
                       I64Attr:$axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$data `,` $indices attr-dict `:` type($data) `,` type($indices)";
}

def Kiln_GatherNDOp : Kiln_Op<"gather_nd", [InferTypeOpAdaptor]> {
  let summary = "Gather slices addressed by index tuples (ONNX GatherND)";
  let description = [{
    The last dim of `indices` (size k) indexes the k dims of `data` after the
    `batch_dims` leading dims that both share. The result shape is
    `indices[:-1] ++ data[batch_dims + k:]`.

    ```mlir
    %r = kiln.gather_nd %x, %i {batch_dims = 0 : i64} : tensor<2x2xf32>, tensor<2x2xi64>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$data, AnyRankedTensor:$indices,
                       I64Attr:$batch_dims);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$data `,` $indices attr-dict `:` type($data) `,` type($indices)";
}

def Kiln_SliceOp : Kiln_Op<"slice", [InferTypeOpAdaptor]> {
  let summary = "Strided slice (ONNX Slice, Split)";
  let description = [{
    One entry per dim in each of `offsets`, `sizes` and `strides`; strides
    are non-zero and may be negative (the slice walks backwards from
    `offset`). The importer clamps ONNX starts/ends. An entry that is only
    known at run time is `ShapedType::kDynamic` (`?` in a dynamic size) and
    takes its value from `dynamic_bounds`, which lists the dynamic offsets,
    then sizes, then strides, in dim order.

    ```mlir
    %y = kiln.slice %x {offsets = array<i64: 0, 3>, sizes = array<i64: 2, 2>,
                        strides = array<i64: 1, -1>} : tensor<2x4xf32>
    %z = kiln.slice %x [%n] {offsets = array<i64: 0, 0>,
                             sizes = array<i64: 1, -9223372036854775808>,
                             strides = array<i64: 1, 1>} : tensor<1x512xi64>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$offsets,
                       DenseI64ArrayAttr:$sizes, DenseI64ArrayAttr:$strides,
                       Variadic<Index>:$dynamic_bounds);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input (`[` $dynamic_bounds^ `]`)? attr-dict `:` type($input)
  }];
  let extraClassDeclaration = [{
    /// Offsets, sizes and strides with dynamic entries as their operands.
    SmallVector<OpFoldResult> getMixedOffsets();
    SmallVector<OpFoldResult> getMixedSizes();
    SmallVector<OpFoldResult> getMixedStrides();
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Kiln_ExpandOp : Kiln_Op<"expand"> {
  let summary = "Numpy-broadcast to the result type (ONNX Expand, Tile)";
  let description = [{
    Broadcasts `input` to the result's shape: dims align right and size-1
    input dims repeat. `sizes` is empty or holds one run-time size per
    dynamic result dim. Without `sizes`, a dynamic result dim is the aligned
    dynamic input dim (never broadcast). With them, a dynamic input dim
    is read as is when its result size is `tensor.dim` of that very input dim,
    and otherwise broadcasts at run time when it is 1.

    ```mlir
    %y = kiln.expand %x : tensor<3x1xf32> -> tensor<2x3x4xf32>
    %z = kiln.expand %c [%b, %s] : tensor<f32> -> tensor<?x?xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, Variadic<Index>:$sizes);
  let results = (outs AnyRankedTensor:$result);
  let builders = [
    OpBuilder<(ins "Type":$result, "Value":$input), [{
      build($_builder, $_state, result, input, ValueRange{});
    }]>
  ];
  let assemblyFormat = [{
    $input (`[` $sizes^ `]`)? attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Kiln_PadOp : Kiln_Op<"pad", [InferTypeOpAdaptor]> {
  let summary = "Pad with a value or by reflect/edge/wrap (ONNX Pad)";
  let description = [{
    `pads` holds every dim's begin pad, then every dim's end pad (both
    non-negative; the importer turns negative pads into a slice). `value` is
    a 0-d tensor of the element type, used by mode "constant". A pad known
    only at run time is `ShapedType::kDynamic` and takes its value from
    `dynamic_pads`, in order.

    ```mlir
    %y = kiln.pad %x, %v {mode = "reflect", pads = array<i64: 0, 1, 0, 1>}
         : tensor<2x3xf32>, tensor<f32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$value,
                       StrAttr:$mode, DenseI64ArrayAttr:$pads,
                       Variadic<Index>:$dynamic_pads);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $value (`[` $dynamic_pads^ `]`)? attr-dict `:` type($input) `,` type($value)
  }];
  let extraClassDeclaration = [{
    /// Begin pads then end pads, dynamic ones as their operands.
    SmallVector<OpFoldResult> getMixedPads();
  }];
  let hasVerifier = 1;
}

def Kiln_TriluOp : Kiln_Op<"trilu", [AllTypesMatch<["input", "result"]>]> {
  let summary = "Keep the upper or lower triangle of the last two dims (ONNX Trilu)";
  let description = [{
    Elements outside the triangle bounded by diagonal `k` become zero. The
    diagonal is either the attribute `k` or, read at run time, the integer
    scalar (rank 0 or one element) operand `dynamic_k`: exactly one is given.

    ```mlir
    %y = kiln.trilu %x {upper = true, k = 0 : i64} : tensor<4x5xf32>
    %z = kiln.trilu %x, %k {upper = false} : tensor<4x5xf32>, tensor<i64>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input,
                       Optional<AnyRankedTensor>:$dynamic_k, BoolAttr:$upper,
                       OptionalAttr<I64Attr>:$k);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input (`,` $dynamic_k^)? attr-dict `:` type($input) (`,` type($dynamic_k)^)?
  }];
  let hasVerifier = 1;
}

def Kiln_CumSumOp : Kiln_Op<"cumsum", [AllTypesMatch<["input", "result"]>]> {
  let summary = "Running sum along an axis (ONNX CumSum)";
  let description = [{
    `exclusive` leaves out the element itself; `reverse` sums from the end.
    The axis is either the attribute `axis` (non-negative) or, read at run
    time, the integer scalar (rank 0 or one element) operand `dynamic_axis`
    in [-rank, rank): exactly one is given.

    ```mlir
    %y = kiln.cumsum %x {axis = 1 : i64, exclusive = false, reverse = false} : tensor<2x5xf32>
    %z = kiln.cumsum %x, %a {exclusive = false, reverse = false} : tensor<2x5xf32>, tensor<i32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input,
                       Optional<AnyRankedTensor>:$dynamic_axis,
                       OptionalAttr<I64Attr>:$axis,
                       BoolAttr:$exclusive, BoolAttr:$reverse);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input (`,` $dynamic_axis^)? attr-dict `:` type($input) (`,` type($dynamic_axis)^)?
  }];
  let hasVerifier = 1;
}

def Kiln_OneHotOp : Kiln_Op<"one_hot", [InferTypeOpAdaptor]> {
  let summary = "One-hot encode indices (ONNX OneHot)";
  let description = [{
    Inserts a dim of size `depth` at `axis` (non-negative); the result is
    `values[1]` where the index (negative ones wrap) equals the position and
    `values[0]` elsewhere. `values` is a 2-element 1-D tensor. A depth known
    only at run time is `ShapedType::kDynamic` with the value in
    `dynamic_depth`.

    ```mlir
    %y = kiln.one_hot %i, %v {axis = 1 : i64, depth = 10 : i64} : tensor<3xi64>, tensor<2xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$indices, AnyRankedTensor:$values,
                       I64Attr:$axis, I64Attr:$depth,
                       Optional<Index>:$dynamic_depth);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $indices `,` $values (`[` $dynamic_depth^ `]`)? attr-dict `:` type($indices) `,` type($values)
  }];
}

def Kiln_ScatterElementsOp : Kiln_Op<"scatter_elements",
    [AllTypesMatch<["data", "result"]>]> {
  let summary = "Write `updates` into a copy of `data` along `axis` (ONNX ScatterElements, Scatter)";
  let description = [{
    For every position `p` of `indices`, the result at `p` with `p[axis]`
    replaced by `indices[p]` (negative ones wrap) becomes `updates[p]`,
    combined with the old value by `reduction` (none, add, mul, max, min).
    Updates apply in row-major order.

    ```mlir
    %r = kiln.scatter_elements %d, %i, %u {axis = 1 : i64, reduction = "none"}
         : tensor<3x4xf32>, tensor<3x2xi64>, tensor<3x2xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$data, AnyRankedTensor:$indices,
                       AnyRankedTensor:$updates, I64Attr:$axis,
                       StrAttr:$reduction);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $data `,` $indices `,` $updates attr-dict `:` type($data) `,` type($indices) `,` type($updates)
  }];
  let hasVerifier = 1;
}

def Kiln_ScatterNDOp : Kiln_Op<"scatter_nd", [AllTypesMatch<["data", "result"]>]> {
  let summary = "Write slices of `updates` at index tuples (ONNX ScatterND)";
  let description = [{
    The last dim of `indices` (size k) addresses the first k dims of `data`;
    `updates` has shape `indices[:-1] ++ data[k:]`. Reductions as for
    scatter_elements.

    ```mlir
    %r = kiln.scatter_nd %d, %i, %u {reduction = "add"}
         : tensor<4x3xf32>, tensor<2x1xi64>, tensor<2x3xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$data, AnyRankedTensor:$indices,
                       AnyRankedTensor:$updates, StrAttr:$reduction);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $data `,` $indices `,` $updates attr-dict `:` type($data) `,` type($indices) `,` type($updates)
  }];
  let hasVerifier = 1;
}

def Kiln_TopKOp : Kiln_Op<"topk", [InferTypeOpAdaptor]> {
  let summary = "The k largest or smallest elements along an axis (ONNX TopK)";
  let description = [{
    `values` are sorted (descending for `largest`, else ascending; equal
    values keep index order) and `indices` (i64) are their positions. A `k`
    known only at run time is `ShapedType::kDynamic` with the value in
    `dynamic_k`.

    ```mlir
    %v, %i = kiln.topk %x {axis = 1 : i64, k = 2 : i64, largest = true} : tensor<3x4xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, I64Attr:$axis, I64Attr:$k,
                       BoolAttr:$largest, Optional<Index>:$dynamic_k);
  let results = (outs AnyRankedTensor:$values, AnyRankedTensor:$indices);
  let assemblyFormat = "$input (`[` $dynamic_k^ `]`)? attr-dict `:` type($input)";
}

def Kiln_RangeOp : Kiln_Op<"range"> {
  let summary = "Arithmetic sequence start + i * delta (ONNX Range)";
  let description = [{
    `start` and `delta` are 0-d tensors of the result's element type; the
    result is 1-D. A dynamic length takes its value from `size` (the
    importer computes max(ceil((limit - start) / delta), 0)).

    ```mlir
    %r = kiln.range %start, %delta [%n] : tensor<i64>, tensor<i64> -> tensor<?xi64>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$start, AnyRankedTensor:$delta,
                       Variadic<Index>:$size);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $start `,` $delta (`[` $size^ `]`)? attr-dict `:` type($start) `,` type($delta) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // KILN_DATA_MOVEMENT_OPS_TD
