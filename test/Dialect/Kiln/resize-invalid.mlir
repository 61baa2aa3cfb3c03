// RUN: kiln-opt %s --split-input-file --verify-diagnostics
// Verifier errors of kiln.resize.

func.func @bad_mode(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{'kiln.resize' op unknown mode 'bilinear'}}
  %0 = kiln.resize %x {mode = "bilinear", coordinate_transformation_mode = "asymmetric", scales = array<f64: 1.0, 2.0>} : tensor<2x4xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @bad_coords(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{'kiln.resize' op unknown coordinate_transformation_mode 'center'}}
  %0 = kiln.resize %x {mode = "linear", coordinate_transformation_mode = "center", scales = array<f64: 1.0, 2.0>} : tensor<2x4xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @bad_nearest_mode(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{'kiln.resize' op unknown nearest_mode 'round'}}
  %0 = kiln.resize %x {mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "round", scales = array<f64: 1.0, 2.0>} : tensor<2x4xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @linear_int(%x: tensor<2x4xi32>) {
  // expected-error @+1 {{'kiln.resize' op mode 'linear' needs a float element type, got 'i32'}}
  %0 = kiln.resize %x {mode = "linear", coordinate_transformation_mode = "asymmetric", scales = array<f64: 1.0, 2.0>} : tensor<2x4xi32> -> tensor<2x8xi32>
  return
}

// -----

func.func @scales_count(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{'kiln.resize' op expected 2 scales, got 1}}
  %0 = kiln.resize %x {mode = "nearest", coordinate_transformation_mode = "asymmetric", scales = array<f64: 2.0>} : tensor<2x4xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @scales_positive(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{'kiln.resize' op scales must be positive, got 0}}
  %0 = kiln.resize %x {mode = "nearest", coordinate_transformation_mode = "asymmetric", scales = array<f64: 1.0, 0.0>} : tensor<2x4xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @crop_without_roi(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{'kiln.resize' op tf_crop_and_resize needs a roi}}
  %0 = kiln.resize %x {mode = "linear", coordinate_transformation_mode = "tf_crop_and_resize", scales = array<f64: 1.0, 2.0>} : tensor<2x4xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @roi_count(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{'kiln.resize' op expected 4 roi values, got 2}}
  %0 = kiln.resize %x {mode = "linear", coordinate_transformation_mode = "tf_crop_and_resize", roi = array<f64: 0.0, 1.0>, scales = array<f64: 1.0, 2.0>} : tensor<2x4xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @dynamic(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{'kiln.resize' op needs static input and result shapes}}
  %0 = kiln.resize %x {mode = "nearest", coordinate_transformation_mode = "asymmetric", scales = array<f64: 1.0, 2.0>} : tensor<?x4xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @element_type(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{'kiln.resize' op element type changes from 'f32' to 'f16'}}
  %0 = kiln.resize %x {mode = "nearest", coordinate_transformation_mode = "asymmetric", scales = array<f64: 1.0, 2.0>} : tensor<2x4xf32> -> tensor<2x8xf16>
  return
}

// -----

func.func @runtime_scales_count(%x: tensor<2x4xf32>, %s: tensor<3xf32>) {
  // expected-error @+1 {{'kiln.resize' op runtime scales must be a 2-element float tensor, got 'tensor<3xf32>'}}
  %0 = kiln.resize %x scales(%s : tensor<3xf32>) {mode = "nearest", coordinate_transformation_mode = "asymmetric", scales = array<f64: 1.0, 2.0>} : tensor<2x4xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @antialias_nearest(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{'kiln.resize' op antialias needs mode linear or cubic and static scales}}
  %0 = kiln.resize %x {mode = "nearest", coordinate_transformation_mode = "asymmetric", antialias = true, scales = array<f64: 1.0, 0.5>} : tensor<2x4xf32> -> tensor<2x2xf32>
  return
}
