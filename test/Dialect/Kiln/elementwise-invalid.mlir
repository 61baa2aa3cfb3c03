// RUN: kiln-opt %s --split-input-file --verify-diagnostics

func.func @float_kind_on_int(%x: tensor<4xi32>) {
  // expected-error @+1 {{'kiln.unary' op 'exp' needs a float element type, got 'i32'}}
  %r = kiln.unary exp %x : tensor<4xi32>
  return
}

// -----

func.func @not_on_float(%x: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.unary' op 'not' needs an integer or i1 element type, got 'f32'}}
  %r = kiln.unary not %x : tensor<4xf32>
  return
}

// -----

func.func @and_on_float(%a: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.binary' op 'and' needs an integer or i1 element type, got 'f32'}}
  %r = kiln.binary and %a, %a : tensor<4xf32>, tensor<4xf32>
  return
}

// -----

func.func @max_on_bool(%a: tensor<4xi1>) {
  // expected-error @+1 {{'kiln.binary' op 'max' needs a float or integer element type, got 'i1'}}
  %r = kiln.binary max %a, %a : tensor<4xi1>, tensor<4xi1>
  return
}

// -----

func.func @compare_no_broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{operands of types 'tensor<2x3xf32>', 'tensor<4xf32>' do not broadcast}}
  %r = kiln.compare eq %a, %b : tensor<2x3xf32>, tensor<4xf32>
  return
}

// -----

func.func @where_three_way(%c: tensor<5xi1>, %a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{operands of types 'tensor<5xi1>', 'tensor<2x3xf32>', 'tensor<3xf32>' do not broadcast}}
  %r = kiln.where %c, %a, %b : tensor<5xi1>, tensor<2x3xf32>, tensor<3xf32>
  return
}

// -----

func.func @cast_shape(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'kiln.cast' op shape changes from 'tensor<2x3xf32>' to 'tensor<3x2xf16>'}}
  %r = kiln.cast %x : tensor<2x3xf32> -> tensor<3x2xf16>
  return
}

// -----

func.func @unknown_kind(%x: tensor<4xf32>) {
  // expected-error @+1 {{custom op 'kiln.unary' expected string or keyword containing one of the following enum values for attribute 'kind' [exp, log, sqrt, reciprocal, erf, tanh, sin, cos, tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh, floor, ceil, round, softplus, softsign, mish, gelu, gelu_tanh, hard_swish, leaky_relu, elu, selu, celu, hard_sigmoid, thresholded_relu, shrink, neg, abs, sign, not]}}
  %r = kiln.unary frobnicate %x : tensor<4xf32>
  return
}

// -----

func.func @cast_round_mode_not_e8m0(%x: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.cast' op round_mode applies to f8E8M0FNU results only}}
  %r = kiln.cast %x {round_mode = "up"} : tensor<4xf32> -> tensor<4xf8E4M3FN>
  return
}

// -----

func.func @cast_bad_round_mode(%x: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.cast' op round_mode must be up, down or nearest, got 'zero'}}
  %r = kiln.cast %x {round_mode = "zero"} : tensor<4xf32> -> tensor<4xf8E8M0FNU>
  return
}

// -----

func.func @cast_narrow_holder(%x: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.cast' op cannot hold narrow type 'uint4' in 'i8'}}
  %r = kiln.cast %x {narrow = "uint4"} : tensor<4xf32> -> tensor<4xi8>
  return
}
