// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// kiln.resize prints and parses back; defaulted attributes are elided.

// CHECK-LABEL: func.func @resize
// CHECK: kiln.resize %{{.+}} {coordinate_transformation_mode = "half_pixel", mode = "linear", scales = array<f64: 1.000000e+00, 1.000000e+00, 2.000000e+00, 2.000000e+00>} : tensor<1x3x4x4xf32> -> tensor<1x3x8x8xf32>
// CHECK: kiln.resize %{{.+}} {coordinate_transformation_mode = "asymmetric", mode = "nearest", nearest_mode = "floor", scales = array<f64: 1.000000e+00, 5.000000e-01>} : tensor<2x4xi8> -> tensor<2x2xi8>
// CHECK: kiln.resize %{{.+}} {coordinate_transformation_mode = "tf_crop_and_resize", cubic_coeff_a = -5.000000e-01 : f32, exclude_outside = true, extrapolation_value = 1.000000e+01 : f32, mode = "cubic", roi = array<f64: 0.000000e+00, 4.000000e-01, 1.000000e+00, 6.000000e-01>, scales = array<f64: 1.000000e+00, 7.500000e-01>} : tensor<2x4xf16> -> tensor<2x3xf16>
func.func @resize(%x: tensor<1x3x4x4xf32>, %i: tensor<2x4xi8>, %h: tensor<2x4xf16>)
    -> (tensor<1x3x8x8xf32>, tensor<2x2xi8>, tensor<2x3xf16>) {
  %0 = kiln.resize %x {mode = "linear", coordinate_transformation_mode = "half_pixel",
         scales = array<f64: 1.0, 1.0, 2.0, 2.0>} : tensor<1x3x4x4xf32> -> tensor<1x3x8x8xf32>
  %1 = kiln.resize %i {mode = "nearest", coordinate_transformation_mode = "asymmetric",
         nearest_mode = "floor", scales = array<f64: 1.0, 0.5>} : tensor<2x4xi8> -> tensor<2x2xi8>
  %2 = kiln.resize %h {mode = "cubic", coordinate_transformation_mode = "tf_crop_and_resize",
         cubic_coeff_a = -0.5 : f32, exclude_outside = true, extrapolation_value = 10.0 : f32,
         roi = array<f64: 0.0, 0.4, 1.0, 0.6>, scales = array<f64: 1.0, 0.75>}
       : tensor<2x4xf16> -> tensor<2x3xf16>
  return %0, %1, %2 : tensor<1x3x8x8xf32>, tensor<2x2xi8>, tensor<2x3xf16>
}

// CHECK-LABEL: func.func @runtime
// CHECK: kiln.resize %{{.+}} scales(%{{.+}} : tensor<2xf32>) roi(%{{.+}} : tensor<4xf32>) {coordinate_transformation_mode = "tf_crop_and_resize", mode = "nearest", scales = array<f64: 1.000000e+00, 2.000000e+00>} : tensor<2x4xf32> -> tensor<2x8xf32>
func.func @runtime(%x: tensor<2x4xf32>, %s: tensor<2xf32>, %r: tensor<4xf32>) -> tensor<2x8xf32> {
  %0 = kiln.resize %x scales(%s : tensor<2xf32>) roi(%r : tensor<4xf32>) {mode = "nearest",
         coordinate_transformation_mode = "tf_crop_and_resize", scales = array<f64: 1.0, 2.0>}
       : tensor<2x4xf32> -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}
