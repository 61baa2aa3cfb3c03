// RUN: kiln-opt %s --convert-kiln-to-linalg --split-input-file --verify-diagnostics
// Ops the conversion cannot lower: an error at the op (whose location names
// the ONNX node) saying why, then the driver's "failed to legalize".

func.func @conv_3d_grouped(%x: tensor<1x4x8x8x8xf32>, %w: tensor<4x2x3x3x3xf32>) -> tensor<1x4x6x6x6xf32> {
  // expected-error @+2 {{cannot lower to linalg: grouped (non-depthwise) convolution is only supported in 1-D and 2-D}}
  // expected-error @+1 {{failed to legalize operation 'kiln.conv' that was explicitly marked illegal}}
  %y = kiln.conv %x, %w {strides = array<i64: 1, 1, 1>, pads = array<i64: 0, 0, 0, 0, 0, 0>, dilations = array<i64: 1, 1, 1>, group = 2 : i64} : (tensor<1x4x8x8x8xf32>, tensor<4x2x3x3x3xf32>) -> tensor<1x4x6x6x6xf32>
  return %y : tensor<1x4x6x6x6xf32>
}

// -----

func.func @conv_transpose_dynamic_spatial(%x: tensor<1x2x?xf32>, %w: tensor<2x3x2xf32>) -> tensor<1x3x?xf32> {
  // expected-error @+2 {{cannot lower to linalg: needs static weight, channel and spatial dims}}
  // expected-error @+1 {{failed to legalize operation 'kiln.conv_transpose'}}
  %y = kiln.conv_transpose %x, %w {strides = array<i64: 2>, pads = array<i64: 0, 0>, dilations = array<i64: 1>, group = 1 : i64} : (tensor<1x2x?xf32>, tensor<2x3x2xf32>) -> tensor<1x3x?xf32>
  return %y : tensor<1x3x?xf32>
}

// -----

func.func @avg_pool_ceil_dynamic(%x: tensor<1x1x?x?xf32>) -> tensor<1x1x?x?xf32> {
  // expected-error @+2 {{cannot lower to linalg: ceil_mode needs static spatial dims}}
  // expected-error @+1 {{failed to legalize operation 'kiln.avg_pool'}}
  %r = kiln.avg_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = true, count_include_pad = false} : tensor<1x1x?x?xf32> -> tensor<1x1x?x?xf32>
  return %r : tensor<1x1x?x?xf32>
}

// -----

func.func @sigmoid_int(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+2 {{cannot lower to linalg: element type must be float}}
  // expected-error @+1 {{failed to legalize operation 'kiln.sigmoid'}}
  %y = kiln.sigmoid %x : tensor<4xi32>
  return %y : tensor<4xi32>
}

// -----

func.func @reshape_dynamic_general(%x: tensor<?x6xf32>) -> tensor<?x?x4xf32> {
  // expected-error @+2 {{cannot lower to linalg: reshape to more than one dynamic dim that is not a pure collapse or expand of adjacent dims}}
  // expected-error @+1 {{failed to legalize operation 'kiln.reshape'}}
  %y = kiln.reshape %x : tensor<?x6xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// Complex numbers have no elementwise lowering: reported, not crashed on.
func.func @where_complex(%c: tensor<4xi1>, %x: tensor<4xcomplex<f32>>) -> tensor<4xcomplex<f32>> {
  // expected-error @+2 {{cannot lower to linalg: element type must be float or integer}}
  // expected-error @+1 {{failed to legalize operation 'kiln.where'}}
  %y = kiln.where %c, %x, %x : tensor<4xi1>, tensor<4xcomplex<f32>>, tensor<4xcomplex<f32>>
  return %y : tensor<4xcomplex<f32>>
}
