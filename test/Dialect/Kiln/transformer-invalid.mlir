// RUN: kiln-opt %s --split-input-file --verify-diagnostics
// Verifier and type-inference errors of the reduction, normalisation and
// attention ops.

func.func @reduce_bad_kind(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'kiln.reduce' op unknown reduction kind 'avg'}}
  %y = kiln.reduce %x {kind = "avg", axes = array<i64: 1>, keepdims = false} : tensor<2x3xf32>
  return
}

// -----

func.func @reduce_int_log(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'kiln.reduce' op reduction 'log_sum' needs a float element type, got 'i32'}}
  %y = kiln.reduce %x {kind = "log_sum", axes = array<i64: 1>, keepdims = false} : tensor<2x3xi32>
  return
}

// -----

func.func @reduce_unsorted_axes(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{axes must be sorted, unique and in [0, 2)}}
  %y = kiln.reduce %x {kind = "sum", axes = array<i64: 1, 0>, keepdims = false} : tensor<2x3xf32>
  return
}

// -----

func.func @arg_reduce_bad_kind(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'kiln.arg_reduce' op kind must be 'max' or 'min', got 'sum'}}
  %y = kiln.arg_reduce %x {kind = "sum", axis = 1 : i64, keepdims = false, select_last_index = false} : tensor<2x3xf32>
  return
}

// -----

func.func @log_softmax_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'kiln.log_softmax' op axis 2 out of range for rank 2}}
  %y = kiln.log_softmax %x {axis = 2 : i64} : tensor<2x3xf32>
  return
}

// -----

func.func @normalize_param(%x: tensor<2x4x8xf32>, %g: tensor<4xf32>) {
  // expected-error @+2 {{normalize parameter 'tensor<4xf32>' does not broadcast to 'tensor<2x4x8xf32>'}}
  // expected-error @+1 {{'kiln.normalize' op failed to infer returned types}}
  %y = kiln.normalize %x scale %g {axes = array<i64: 2>, epsilon = 1.0e-05 : f64, rms = false} : (tensor<2x4x8xf32>, tensor<4xf32>) -> tensor<2x4x8xf32>
  return
}

// -----

func.func @attention_heads(%q: tensor<1x3x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) {
  // expected-error @+2 {{attention: 3 query heads are not a multiple of 2 kv heads}}
  // expected-error @+1 {{'kiln.attention' op failed to infer returned types}}
  %y = kiln.attention %q, %k, %v {scale = 1.0 : f64, is_causal = false, softcap = 0.0 : f64} : (tensor<1x3x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> tensor<1x3x4x8xf32>
  return
}

// -----

func.func @attention_kv_seqlen(%q: tensor<2x2x4x8xf32>, %k: tensor<2x2x4x8xf32>, %v: tensor<2x2x4x8xf32>, %n: tensor<2xi32>) {
  // expected-error @+2 {{attention kv_seqlen 'tensor<2xi32>' is not i64 of the batch size}}
  // expected-error @+1 {{'kiln.attention' op failed to infer returned types}}
  %y = kiln.attention %q, %k, %v kv_seqlen %n {scale = 1.0 : f64, is_causal = false, softcap = 0.0 : f64} : (tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2xi32>) -> tensor<2x2x4x8xf32>
  return
}

// -----

func.func @linear_attention_heads(%q: tensor<1x3x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{'kiln.linear_attention' op 3 query heads are not a multiple of 2 kv heads}}
  %o, %n = kiln.linear_attention %q, %k, %v {scale = 0.25 : f64} : (tensor<1x3x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> (tensor<1x3x8x16xf32>, tensor<1x2x16x16xf32>)
  return
}

// -----

func.func @linear_attention_beta(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %b: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{'kiln.linear_attention' op beta 'tensor<1x2x8x16xf32>' must be float 1x(2|1)x8x1}}
  %o, %n = kiln.linear_attention %q, %k, %v beta %b {scale = 0.25 : f64} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x16x16xf32>)
  return
}
