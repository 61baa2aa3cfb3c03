// RUN: kiln-opt %s --convert-kiln-to-linalg --split-input-file | FileCheck %s
// Lowerings of the reduction, normalisation and attention ops.

// f16 sums accumulate in f32 and round once, in the epilogue.
// CHECK-LABEL: func.func @reduce_sum_f16
// CHECK-SAME: (%[[X:.+]]: tensor<4x8xf16>)
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[ACC:.+]] = linalg.fill ins(%[[ZERO]] : f32) {{.*}} -> tensor<4xf32>
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<4x8xf16>) outs(%[[ACC]] : tensor<4xf32>)
// CHECK: arith.extf
// CHECK: arith.addf
// CHECK: %[[Y:.+]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<4xf32>) outs(%{{.+}} : tensor<4xf16>)
// CHECK: arith.truncf
// CHECK: tensor.expand_shape %[[Y]] {{\[\[}}0, 1]] output_shape [4, 1] : tensor<4xf16> into tensor<4x1xf16>
func.func @reduce_sum_f16(%x: tensor<4x8xf16>) -> tensor<4x1xf16> {
  %y = kiln.reduce %x {kind = "sum", axes = array<i64: 1>, keepdims = true} : tensor<4x8xf16>
  return %y : tensor<4x1xf16>
}

// -----

// Integer max starts at INT_MIN, needs no epilogue.
// CHECK-LABEL: func.func @reduce_max_i32
// CHECK: %[[MIN:.+]] = arith.constant -2147483648 : i32
// CHECK: linalg.fill ins(%[[MIN]] : i32)
// CHECK: arith.maxsi
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @reduce_max_i32(%x: tensor<4x8xi32>) -> tensor<4xi32> {
  %y = kiln.reduce %x {kind = "max", axes = array<i64: 1>, keepdims = false} : tensor<4x8xi32>
  return %y : tensor<4xi32>
}

// -----

// Empty axes: the pattern replaces the op by its input, no generic.
// CHECK-LABEL: func.func @reduce_no_axes
// CHECK-NOT: linalg
// CHECK: return %arg0
func.func @reduce_no_axes(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = kiln.reduce %x {kind = "sum", axes = array<i64>, keepdims = true} : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Reducing an empty dim is the identity value, no loops.
// CHECK-LABEL: func.func @reduce_empty_set
// CHECK: %[[NINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK: linalg.fill ins(%[[NINF]] : f32) {{.*}} -> tensor<2x1x4xf32>
// CHECK-NOT: linalg.generic
func.func @reduce_empty_set(%x: tensor<2x0x4xf32>) -> tensor<2x1x4xf32> {
  %y = kiln.reduce %x {kind = "log_sum", axes = array<i64: 1>, keepdims = true} : tensor<2x0x4xf32>
  return %y : tensor<2x1x4xf32>
}

// -----

// Value and index travel together through one generic with two outputs.
// CHECK-LABEL: func.func @arg_max_last
// CHECK: %[[G:.+]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]}
// CHECK: arith.cmpf oge
// CHECK: linalg.index 1
// CHECK: return %[[G]]#1
func.func @arg_max_last(%x: tensor<4x8xf32>) -> tensor<4xi64> {
  %y = kiln.arg_reduce %x {kind = "max", axis = 1 : i64, keepdims = false, select_last_index = true} : tensor<4x8xf32>
  return %y : tensor<4xi64>
}

// -----

// CHECK-LABEL: func.func @log_softmax
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: math.log
// CHECK: arith.subf
func.func @log_softmax(%x: tensor<2x7xf32>) -> tensor<2x7xf32> {
  %y = kiln.log_softmax %x {axis = 1 : i64} : tensor<2x7xf32>
  return %y : tensor<2x7xf32>
}

// -----

// Layer norm: sum, mean, squared deviations, rsqrt, then one generic reading
// the row statistics and the broadcast scale and bias.
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[COL:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME: (%[[X:.+]]: tensor<4x8xf32>, %[[S:.+]]: tensor<8xf32>, %[[B:.+]]: tensor<8xf32>)
// CHECK: math.rsqrt
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]], #[[COL]], #[[COL]], #[[ID]]]{{.*}} ins(%[[X]], %{{.+}}, %{{.+}}, %[[S]], %[[B]]
func.func @layer_norm(%x: tensor<4x8xf32>, %s: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %y = kiln.normalize %x scale %s bias %b {axes = array<i64: 1>, epsilon = 1.0e-05 : f64, rms = false} : (tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Grouped-query attention: q viewed as [B, Hkv, G, S, D]; QK^T, the masked
// and scaled scores, max, sum, probabilities, PV, and the heads merged back.
// CHECK-LABEL: func.func @attention_gqa
// CHECK: %[[Q:.+]] = tensor.expand_shape %arg0 {{\[\[}}0], [1, 2], [3], [4]] output_shape [1, 2, 2, 3, 8] : tensor<1x4x3x8xf32> into tensor<1x2x2x3x8xf32>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[Q]], %arg1
// CHECK: linalg.index 4
// CHECK: linalg.index 3
// CHECK: arith.cmpi sge
// CHECK: math.exp
// CHECK: tensor.collapse_shape %{{.+}} {{\[\[}}0], [1, 2], [3], [4]] : tensor<1x2x2x3x8xf32> into tensor<1x4x3x8xf32>
func.func @attention_gqa(%q: tensor<1x4x3x8xf32>, %k: tensor<1x2x5x8xf32>, %v: tensor<1x2x5x8xf32>) -> tensor<1x4x3x8xf32> {
  %y = kiln.attention %q, %k, %v {scale = 0.35 : f64, is_causal = true, softcap = 0.0 : f64} : (tensor<1x4x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>) -> tensor<1x4x3x8xf32>
  return %y : tensor<1x4x3x8xf32>
}

// -----

// Output letters b, i, k are the parallel loops, j the reduction.
// CHECK-DAG: #[[A:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[B:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK-DAG: #[[C:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @einsum_batch_matmul
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
func.func @einsum_batch_matmul(%a: tensor<2x3x4xf32>, %b: tensor<2x4x5xf32>) -> tensor<2x3x5xf32> {
  %y = kiln.einsum %a, %b {equation = "bij,bjk->bik"} : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>
  return %y : tensor<2x3x5xf32>
}

// -----

// LayerNorm statistics: the same reductions, cast to f32 and with the
// reduced axis kept.
// CHECK-LABEL: func.func @norm_stats_f16
// CHECK: math.rsqrt
// CHECK: tensor.expand_shape {{.*}} : tensor<4xf32> into tensor<4x1xf32>
// CHECK: tensor.expand_shape {{.*}} : tensor<4xf32> into tensor<4x1xf32>
func.func @norm_stats_f16(%x: tensor<4x8xf16>) -> (tensor<4x1xf32>, tensor<4x1xf32>) {
  %m, %r = kiln.norm_stats %x {axes = array<i64: 1>, epsilon = 1.0e-05 : f64} : tensor<4x8xf16> -> tensor<4x1xf32>, tensor<4x1xf32>
  return %m, %r : tensor<4x1xf32>, tensor<4x1xf32>
}

// -----

// kv_seqlen: each score reads kv_seqlen[b]; the causal offset is
// kv_seqlen[b] - S and keys at or past kv_seqlen[b] are masked. qk_mode 1
// returns the scaled scores before masking, merged back to [B, Hq, S, T].
// CHECK-DAG: #[[LEN:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0)>
// CHECK-LABEL: func.func @attention_kv_seqlen_qk
// CHECK: %[[SCALED:.+]] = linalg.generic {{.*}} ins(%{{[0-9]+}} : tensor<1x2x1x3x6xf32>)
// CHECK: arith.mulf
// CHECK: linalg.generic {indexing_maps = [#{{[a-z0-9]+}}, #[[LEN]], #{{[a-z0-9]+}}]{{.*}} ins(%[[SCALED]], %arg3 : tensor<1x2x1x3x6xf32>, tensor<1xi64>)
// CHECK: ^bb0(%{{.+}}: f32, %[[N:.+]]: i64, %{{.+}}: f32):
// CHECK: arith.subi %[[N]], %c3_i64
// CHECK: arith.cmpi sge
// CHECK: arith.cmpi slt
// CHECK: arith.andi
// CHECK: arith.select
// CHECK: math.exp
// CHECK: %[[Y:.+]] = tensor.collapse_shape %{{.+}} {{\[\[}}0], [1, 2], [3], [4]] : tensor<1x2x1x3x8xf32> into tensor<1x2x3x8xf32>
// CHECK: %[[QK:.+]] = tensor.collapse_shape %[[SCALED]] {{\[\[}}0], [1, 2], [3], [4]] : tensor<1x2x1x3x6xf32> into tensor<1x2x3x6xf32>
// CHECK: return %[[Y]], %[[QK]]
func.func @attention_kv_seqlen_qk(%q: tensor<1x2x3x8xf32>, %k: tensor<1x2x6x8xf32>, %v: tensor<1x2x6x8xf32>, %n: tensor<1xi64>) -> (tensor<1x2x3x8xf32>, tensor<1x2x3x6xf32>) {
  %y, %qk = kiln.attention %q, %k, %v kv_seqlen %n {scale = 0.35 : f64, is_causal = true, softcap = 0.0 : f64, qk_mode = 1 : i64} : (tensor<1x2x3x8xf32>, tensor<1x2x6x8xf32>, tensor<1x2x6x8xf32>, tensor<1xi64>) -> (tensor<1x2x3x8xf32>, tensor<1x2x3x6xf32>)
  return %y, %qk : tensor<1x2x3x8xf32>, tensor<1x2x3x6xf32>
}
