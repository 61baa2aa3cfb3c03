// RUN: kiln-opt %s --split-input-file --verify-diagnostics
// Verifier and type inference errors of the data movement ops.

func.func @gather_axis(%x: tensor<3x5xf32>, %i: tensor<2xi64>) {
  // expected-error @+1 {{gather axis 2 out of range for rank 2}}
  %0 = kiln.gather %x, %i {axis = 2 : i64} : tensor<3x5xf32>, tensor<2xi64>
  return
}

// -----

func.func @gather_float_indices(%x: tensor<3x5xf32>, %i: tensor<2xf32>) {
  // expected-error @+1 {{gather indices must be i32 or i64, got 'f32'}}
  %0 = kiln.gather %x, %i {axis = 0 : i64} : tensor<3x5xf32>, tensor<2xf32>
  return
}

// -----

func.func @slice_out_of_bounds(%x: tensor<3x5xf32>) {
  // expected-error @+1 {{'kiln.slice' op dim 1 reads [4, 6] outside [0, 5)}}
  %0 = kiln.slice %x {offsets = array<i64: 0, 4>, sizes = array<i64: 3, 2>, strides = array<i64: 1, 2>} : tensor<3x5xf32>
  return
}

// -----

func.func @slice_zero_stride(%x: tensor<3x5xf32>) {
  // expected-error @+1 {{'kiln.slice' op stride of dim 0 is zero}}
  %0 = kiln.slice %x {offsets = array<i64: 0, 0>, sizes = array<i64: 3, 5>, strides = array<i64: 0, 1>} : tensor<3x5xf32>
  return
}

// -----

func.func @expand_not_broadcastable(%x: tensor<3x2xf32>) {
  // expected-error @+1 {{'kiln.expand' op cannot broadcast 'tensor<3x2xf32>' to 'tensor<3x4xf32>'}}
  %0 = kiln.expand %x : tensor<3x2xf32> -> tensor<3x4xf32>
  return
}

// -----

func.func @pad_mode(%x: tensor<3x5xf32>, %v: tensor<f32>) {
  // expected-error @+1 {{unknown pad mode 'mirror'}}
  %0 = kiln.pad %x, %v {mode = "mirror", pads = array<i64: 0, 1, 0, 1>} : tensor<3x5xf32>, tensor<f32>
  return
}

// -----

func.func @pad_reflect_too_wide(%x: tensor<3x5xf32>, %v: tensor<f32>) {
  // expected-error @+1 {{reflect pad of dim 0 must be smaller than its size 3}}
  %0 = kiln.pad %x, %v {mode = "reflect", pads = array<i64: 3, 0, 0, 0>} : tensor<3x5xf32>, tensor<f32>
  return
}

// -----

func.func @one_hot_values(%i: tensor<3xi64>, %v: tensor<3xf32>) {
  // expected-error @+1 {{one_hot values must be a 2-element tensor}}
  %0 = kiln.one_hot %i, %v {axis = 1 : i64, depth = 4 : i64} : tensor<3xi64>, tensor<3xf32>
  return
}

// -----

func.func @scatter_reduction(%d: tensor<3x4xf32>, %i: tensor<3x2xi64>, %u: tensor<3x2xf32>) {
  // expected-error @+1 {{'kiln.scatter_elements' op unknown reduction 'sum'}}
  %0 = kiln.scatter_elements %d, %i, %u {axis = 1 : i64, reduction = "sum"} : tensor<3x4xf32>, tensor<3x2xi64>, tensor<3x2xf32>
  return
}

// -----

func.func @scatter_nd_updates(%d: tensor<4x3xf32>, %i: tensor<2x1xi64>, %u: tensor<2x4xf32>) {
  // expected-error @+1 {{'kiln.scatter_nd' op updates must be 'tensor<2x3xf32>'}}
  %0 = kiln.scatter_nd %d, %i, %u {reduction = "none"} : tensor<4x3xf32>, tensor<2x1xi64>, tensor<2x4xf32>
  return
}

// -----

func.func @topk_k(%x: tensor<3x4xf32>) {
  // expected-error @+1 {{topk k 5 exceeds dim 4}}
  %v, %i = kiln.topk %x {axis = 1 : i64, k = 5 : i64, largest = true} : tensor<3x4xf32>
  return
}
