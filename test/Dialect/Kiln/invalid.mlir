// RUN: kiln-opt %s --split-input-file --verify-diagnostics

func.func @bad_broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{operands of types 'tensor<2x3xf32>' and 'tensor<4xf32>' do not broadcast}}
  %r = kiln.add %a, %b : tensor<2x3xf32>, tensor<4xf32>
  return
}

// -----

func.func @conv_channel_mismatch(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+2 {{input has 3 channels but weight expects 2 x group 1}}
  // expected-error @+1 {{'kiln.conv' op failed to infer returned types}}
  %y = kiln.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_group_mismatch(%x: tensor<1x8x8x8xf32>, %w: tensor<6x2x3x3xf32>) {
  // expected-error @+2 {{output channels 6 not divisible by group 4}}
  // expected-error @+1 {{'kiln.conv' op failed to infer returned types}}
  %y = kiln.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 4 : i64} : (tensor<1x8x8x8xf32>, tensor<6x2x3x3xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

func.func @reshape_element_count(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'kiln.reshape' op cannot reshape 6 elements into 8}}
  %y = kiln.reshape %x : tensor<2x3xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @clip_min_above_max(%x: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.clip' op min 6.000000e+00 is greater than max 0.000000e+00}}
  %y = kiln.clip %x {min = 6.0 : f64, max = 0.0 : f64} : tensor<4xf32>
  return
}

// -----

func.func @softmax_axis(%x: tensor<1x10xf32>) {
  // expected-error @+1 {{'kiln.softmax' op axis 2 out of range for rank 2}}
  %y = kiln.softmax %x {axis = 2 : i64} : tensor<1x10xf32>
  return
}

// -----

func.func @transpose_perm_size(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{perm has 2 entries for rank 3}}
  %y = kiln.transpose %x {perm = array<i64: 1, 0>} : tensor<2x3x4xf32>
  return
}

// -----

func.func @transpose_not_permutation(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{perm is not a permutation}}
  %y = kiln.transpose %x {perm = array<i64: 0, 1, 1>} : tensor<2x3x4xf32>
  return
}

// -----

func.func @kernel_yield_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.kernel' op yields 1 values whose types do not match the kernel's results}}
  %k = kiln.kernel "k" (%x) : (tensor<4xf32>) -> tensor<8xf32> {
  ^bb0(%a: tensor<4xf32>):
    kiln.yield %a : tensor<4xf32>
  }
  return
}

// -----

func.func @kernel_argument_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.kernel' op body argument type 'tensor<8xf32>' does not match input type 'tensor<4xf32>'}}
  %k = kiln.kernel "k" (%x) : (tensor<4xf32>) -> tensor<8xf32> {
  ^bb0(%a: tensor<8xf32>):
    kiln.yield %a : tensor<8xf32>
  }
  return
}

// -----

func.func @reduce_axes_unsorted(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{reduce axes must be sorted, unique and in [0, rank)}}
  %y = kiln.reduce_mean %x {axes = array<i64: 3, 2>, keepdims = true} : tensor<1x4x8x8xf32>
  return
}

// -----

func.func @concat_axis(%a: tensor<1x2xf32>, %b: tensor<1x3xf32>) {
  // expected-error @+1 {{concat axis 2 out of range}}
  %y = kiln.concat %a, %b {axis = 2 : i64} : tensor<1x2xf32>, tensor<1x3xf32>
  return
}

// -----

func.func @conv_result_type(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{'kiln.conv' op failed to infer returned types}}
  // expected-error @+1 {{'kiln.conv' op inferred type(s) 'tensor<1x4x6x6xf32>' are incompatible with return type(s) of operation 'tensor<1x4x8x8xf32>'}}
  %y = kiln.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}
