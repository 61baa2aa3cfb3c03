// RUN: kiln-opt %s --split-input-file --verify-diagnostics
// Verifier and type-inference errors of the ops whose axes, axis or diagonal
// are read at run time.

func.func @reduce_axes_dynamic_size(%x: tensor<2x3xf32>, %a: tensor<?xi64>) {
  // expected-error @+1 {{axes must be a 1-D integer tensor of static size, got 'tensor<?xi64>'}}
  %y = kiln.reduce_dynamic_axes %x, %a {kind = "sum", keepdims = true} : tensor<2x3xf32>, tensor<?xi64>
  return
}

// -----

func.func @reduce_too_many_axes(%x: tensor<2x3xf32>, %a: tensor<3xi64>) {
  // expected-error @+1 {{the number of axes (3) must be in [1, 2]}}
  %y = kiln.reduce_dynamic_axes %x, %a {kind = "sum", keepdims = true} : tensor<2x3xf32>, tensor<3xi64>
  return
}

// -----

func.func @reduce_dynamic_int_log(%x: tensor<2x3xi32>, %a: tensor<1xi64>) {
  // expected-error @+1 {{'kiln.reduce_dynamic_axes' op reduction 'l2' needs a float element type, got 'i32'}}
  %y = kiln.reduce_dynamic_axes %x, %a {kind = "l2", keepdims = true} : tensor<2x3xi32>, tensor<1xi64>
  return
}

// -----

func.func @trilu_k_twice(%x: tensor<3x5xf32>, %k: tensor<i64>) {
  // expected-error @+1 {{'kiln.trilu' op needs exactly one of the attribute 'k' and the operand 'dynamic_k'}}
  %y = kiln.trilu %x, %k {upper = true, k = 0 : i64} : tensor<3x5xf32>, tensor<i64>
  return
}

// -----

func.func @trilu_k_not_scalar(%x: tensor<3x5xf32>, %k: tensor<2xi64>) {
  // expected-error @+1 {{'kiln.trilu' op operand 'dynamic_k' must hold one signless integer, got 'tensor<2xi64>'}}
  %y = kiln.trilu %x, %k {upper = true} : tensor<3x5xf32>, tensor<2xi64>
  return
}

// -----

func.func @cumsum_no_axis(%x: tensor<3x5xf32>) {
  // expected-error @+1 {{'kiln.cumsum' op needs exactly one of the attribute 'axis' and the operand 'dynamic_axis'}}
  %y = kiln.cumsum %x {exclusive = false, reverse = false} : tensor<3x5xf32>
  return
}

// -----

func.func @cumsum_float_axis(%x: tensor<3x5xf32>, %a: tensor<f32>) {
  // expected-error @+1 {{'kiln.cumsum' op operand 'dynamic_axis' must hold one signless integer, got 'tensor<f32>'}}
  %y = kiln.cumsum %x, %a {exclusive = false, reverse = false} : tensor<3x5xf32>, tensor<f32>
  return
}

// -----

func.func @cumsum_axis_out_of_range(%x: tensor<3x5xf32>) {
  // expected-error @+1 {{'kiln.cumsum' op axis 2 out of range for rank 2}}
  %y = kiln.cumsum %x {axis = 2 : i64, exclusive = false, reverse = false} : tensor<3x5xf32>
  return
}
