//===- KilnTransformerOps.td - reductions, norms, attention -*- tablegen -*-===//
//
// The ops of the reduction / normalisation / attention families beyond the
// CNN basics in KilnOps.td: generic reductions (every ONNX Reduce*), arg
// reductions, log-softmax and hardmax, one normalisation op that LayerNorm,
// RMSNorm, GroupNorm, InstanceNorm and MeanVarianceNormalization share, and
// scaled dot-product attention. Included from KilnOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TRANSFORMER_OPS_TD
#define KILN_TRANSFORMER_OPS_TD

def Kiln_ReduceOp : Kiln_Op<"reduce", [InferTypeOpAdaptor]> {
  let summary = "Reduction over the given axes (ONNX Reduce*)";
  let description = [{
    `kind` is one of `sum`, `mean`, `max`, `min`, `prod`, `l1`, `l2`,
    `log_sum`, `log_sum_exp`, `sum_square`. `axes` are sorted, unique and
    non-negative; the importer resolves empty axes. Float inputs narrower
    than f32 accumulate in f32; integer inputs reduce exactly.

    ```mlir
    %y = kiln.reduce %x {kind = "sum", axes = array<i64: 1>, keepdims = false} : tensor<2x8xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, StrAttr:$kind,
                   DenseI64ArrayAttr:$axes, BoolAttr:$keepdims);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Kiln_ReduceDynamicAxesOp : Kiln_Op<"reduce_dynamic_axes",
                                       [InferTypeOpAdaptor]> {
  let summary = "Reduction over axes read at run time (ONNX Reduce* axes input)";
  let description = [{
    kiln.reduce whose axes are the values of the 1-D integer tensor `axes`
    (ONNX's convention: in [-rank, rank), unique), known only at run time.
    Their number `k` is the static size of `axes`, 1 ≤ k ≤ rank, so the
    result rank is known: rank with `keepdims`, rank - k without. A result
    dim is static only where every choice of axes gives the same size.
    Lowered to a switch over the rank-choose-k possible sets of axes, each
    case a static kiln.reduce; axes out of range or repeated abort the run.

    ```mlir
    %y = kiln.reduce_dynamic_axes %x, %axes {kind = "sum", keepdims = true}
         : tensor<3x2x2xf32>, tensor<1xi64>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$axes,
                   StrAttr:$kind, BoolAttr:$keepdims);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input `,` $axes attr-dict `:` type($input) `,` type($axes)";
  let hasVerifier = 1;
}

def Kiln_ArgReduceOp : Kiln_Op<"arg_reduce", [InferTypeOpAdaptor]> {
  let summary = "Index of the max or min along one axis (ONNX ArgMax, ArgMin)";
  let description = [{
    `kind` is `max` or `min`; ties pick the first index, or the last with
    `select_last_index`. The result is i64.

    ```mlir
    %i = kiln.arg_reduce %x {kind = "max", axis = 1 : i64, keepdims = true,
           select_last_index = false} : tensor<2x8xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, StrAttr:$kind, I64Attr:$axis,
                   BoolAttr:$keepdims, BoolAttr:$select_last_index);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Kiln_LogSoftmaxOp : Kiln_Op<"log_softmax", [SameOperandsAndResultType]> {
  let summary = "Log of softmax along one axis (ONNX LogSoftmax, opset 13)";
  let description = [{
    `x - max - log(sum(exp(x - max)))` along the non-negative `axis`.

    ```mlir
    %y = kiln.log_softmax %x {axis = 1 : i64} : tensor<1x1000xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, I64Attr:$axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Kiln_HardmaxOp : Kiln_Op<"hardmax", [SameOperandsAndResultType]> {
  let summary = "One-hot of the first max along one axis (ONNX Hardmax)";
  let description = [{
    ```mlir
    %y = kiln.hardmax %x {axis = 1 : i64} : tensor<1x1000xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, I64Attr:$axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Kiln_NormalizeOp : Kiln_Op<"normalize", [InferTypeOpAdaptor,
                                             AttrSizedOperandSegments]> {
  let summary = "Standardise over axes, then scale and shift";
  let description = [{
    `(x - mean) / sqrt(var + epsilon) * scale + bias` with mean and variance
    over `axes` (sorted, non-negative); with `rms`, `x / sqrt(mean(x^2) +
    epsilon) * scale + bias`. The optional `scale` and `bias` broadcast
    numpy-style to `x`. Statistics are computed in f32 for narrower floats.
    LayerNormalization, RMSNormalization, InstanceNormalization,
    GroupNormalization (on a grouped reshape) and MeanVarianceNormalization
    all import to this op.

    ```mlir
    %y = kiln.normalize %x scale %g bias %b {axes = array<i64: 2>, epsilon = 1.0e-05 : f64, rms = false}
         : (tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input,
                   Optional<AnyRankedTensor>:$scale,
                   Optional<AnyRankedTensor>:$bias,
                   DenseI64ArrayAttr:$axes, F64Attr:$epsilon, BoolAttr:$rms);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input (`scale` $scale^)? (`bias` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Kiln_AttentionOp : Kiln_Op<"attention", [InferTypeOpAdaptor,
                                             AttrSizedOperandSegments]> {
  let summary = "Scaled dot-product attention (ONNX Attention, 4-D form)";
  let description = [{
    `q` is `B x Hq x S x D`, `k` is `B x Hkv x T x D`, `v` is
    `B x Hkv x T x Dv` with `Hq` a multiple of `Hkv` (grouped-query
    attention: query head `h` reads kv head `h / (Hq / Hkv)`). The result is
    `softmax(softcap(q k^T * scale) + mask) v`, `B x Hq x S x Dv`. The
    optional 4-D `mask` broadcasts to `B x Hq x S x T`; a float mask is added,
    an i1 mask keeps the positions where it is true. `softcap` 0 means none.

    Query `s` sits at absolute position `p = s + offset`. `is_causal` keeps
    key `t` only when `t <= p`; `left_window` / `right_window` (-1:
    unbounded) keep it only when `p - left_window <= t <= p + right_window`.
    With the optional i64 `kv_seqlen` (`B`), keys `t >= kv_seqlen[b]` are
    padding and the offset is `kv_seqlen[b] - S` instead. Rows where
    everything is masked give 0.

    With `qk_mode`, the second result `qk` (`B x Hq x S x T`) holds the
    scores: 0 or 1 after scale and softcap, 2 after the masks as well, 3 the
    softmax probabilities.

    ```mlir
    %y = kiln.attention %q, %k, %v {scale = 0.125 : f64, is_causal = true, softcap = 0.0 : f64}
         : (tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>) -> tensor<1x8x16x64xf32>
    %y2, %p = kiln.attention %q, %k, %v mask %m kv_seqlen %n {scale = 0.125 : f64,
           is_causal = true, softcap = 0.0 : f64, qk_mode = 3 : i64}
         : (tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>,
            tensor<1x1x16x16xi1>, tensor<1xi64>) -> (tensor<1x8x16x64xf32>, tensor<1x8x16x16xf32>)
    ```
  }];
  let arguments = (ins AnyRankedTensor:$q, AnyRankedTensor:$k,
                   AnyRankedTensor:$v, Optional<AnyRankedTensor>:$mask,
                   Optional<AnyRankedTensor>:$kv_seqlen,
                   F64Attr:$scale, BoolAttr:$is_causal, F64Attr:$softcap,
                   DefaultValuedAttr<I64Attr, "0">:$offset,
                   DefaultValuedAttr<I64Attr, "-1">:$left_window,
                   DefaultValuedAttr<I64Attr, "-1">:$right_window,
                   OptionalAttr<I64Attr>:$qk_mode);
  let results = (outs AnyRankedTensor:$result, Optional<AnyRankedTensor>:$qk);
  let assemblyFormat = [{
    $q `,` $k `,` $v (`mask` $mask^)? (`kv_seqlen` $kv_seqlen^)? attr-dict
    `:` functional-type(operands, results)
  }];
}

def Kiln_RotaryEmbeddingOp : Kiln_Op<"rotary_embedding",
    [AllTypesMatch<["input", "result"]>]> {
  let summary = "Rotary position embedding (ONNX RotaryEmbedding, 4-D form)";
  let description = [{
    `input` is `B x H x S x D`; the first `rotary_dim` entries of each head
    are rotated as pairs (halves, or adjacent entries when `interleaved`) by
    the angles whose cosines and sines are `cos`/`sin`: `B x S x rotary_dim/2`,
    or `P x rotary_dim/2` rows picked by the optional i64 `position_ids`
    (`B x S`). The rest of each head passes through.

    ```mlir
    %y = kiln.rotary_embedding %x, %cos, %sin {interleaved = false, rotary_dim = 8 : i64}
         : (tensor<1x2x4x8xf32>, tensor<1x4x4xf32>, tensor<1x4x4xf32>) -> tensor<1x2x4x8xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$cos,
                   AnyRankedTensor:$sin, Optional<AnyRankedTensor>:$position_ids,
                   BoolAttr:$interleaved, I64Attr:$rotary_dim);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $cos `,` $sin (`,` $position_ids^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Kiln_EinsumOp : Kiln_Op<"einsum"> {
  let summary = "Einstein summation (ONNX Einsum) in explicit form";
  let description = [{
    `equation` is explicit (`->` present, no ellipsis: the importer expands
    `...` into letters), one term per input; letters absent from the output
    are summed over. Narrow floats accumulate in f32.

    ```mlir
    %y = kiln.einsum %a, %b {equation = "bij,bjk->bik"}
         : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$inputs, StrAttr:$equation);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type($inputs, $result)";
  let hasVerifier = 1;
}

def Kiln_NormStatsOp : Kiln_Op<"norm_stats"> {
  let summary = "Mean and 1/sqrt(var + epsilon) over axes (LayerNorm outputs)";
  let description = [{
    The statistics kiln.normalize uses, for LayerNormalization's optional
    `Mean` and `InvStdDev` outputs: both keep the reduced `axes` as size-1
    dims; they are computed in f32 (f64 for f64 inputs) and returned in the
    result element type.

    ```mlir
    %m, %r = kiln.norm_stats %x {axes = array<i64: 1>, epsilon = 1.0e-05 : f64}
             : tensor<2x8xf32> -> tensor<2x1xf32>, tensor<2x1xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$axes,
                   F64Attr:$epsilon);
  let results = (outs AnyRankedTensor:$mean, AnyRankedTensor:$inv_std_dev);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($mean) `,` type($inv_std_dev)
  }];
  let hasVerifier = 1;
}

#endif // KILN_TRANSFORMER_OPS_TD
