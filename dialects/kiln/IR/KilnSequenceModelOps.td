//===- KilnSequenceModelOps.td - recurrent sequence ops ----*- tablegen -*-===//
//
// Ops of recurrent sequence models whose step depends on the previous one
// and so has no expression in the data-parallel ops: linear attention with
// its state recurrence (ONNX LinearAttention). Included from KilnOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_SEQUENCE_MODEL_OPS_TD
#define KILN_SEQUENCE_MODEL_OPS_TD

def Kiln_LinearAttentionOp : Kiln_Op<"linear_attention",
    [AttrSizedOperandSegments]> {
  let summary = "Linear attention recurrence (ONNX LinearAttention, 4-D form)";
  let description = [{
    `q` is `B x Hq x T x Dk`, `k` is `B x Hkv x T x Dk`, `v` is
    `B x Hkv x T x Dv` with `Hq` a multiple of `Hkv` (query head `h` reads
    the state of kv head `h / (Hq / Hkv)`). The state `S` (`B x Hkv x Dk x
    Dv`, `state` or zeros) evolves token by token, in f32:

    - with `decay` (`B x Hkv|1 x T x Dk|1`, log-space): `S *= exp(g_t)`
      along Dk;
    - with `beta` (`B x Hkv|1 x T x 1`): `v_t = beta_t (v_t - S^T k_t)`
      (the delta rule);
    - `S += k_t ⊗ v_t`, and `out_t = scale * q_t^T S`.

    The results are `out` (`B x Hq x T x Dv`, `q`'s element type) and the
    final state (its own element type).

    ```mlir
    %o, %s = kiln.linear_attention %q, %k, %v state %s0 decay %g beta %b
               {scale = 0.25 : f64}
         : (tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>,
            tensor<1x2x16x16xf32>, tensor<1x2x8x1xf32>, tensor<1x2x8x1xf32>)
           -> (tensor<1x4x8x16xf32>, tensor<1x2x16x16xf32>)
    ```
  }];
  let arguments = (ins AnyRankedTensor:$q, AnyRankedTensor:$k,
                   AnyRankedTensor:$v, Optional<AnyRankedTensor>:$state,
                   Optional<AnyRankedTensor>:$decay,
                   Optional<AnyRankedTensor>:$beta, F64Attr:$scale);
  let results = (outs AnyRankedTensor:$output,
                      AnyRankedTensor:$present_state);
  let assemblyFormat = [{
    $q `,` $k `,` $v (`state` $state^)? (`decay` $decay^)? (`beta` $beta^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // KILN_SEQUENCE_MODEL_OPS_TD
