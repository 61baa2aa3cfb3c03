// RUN: kiln-opt %s --convert-kiln-to-linalg --split-input-file | FileCheck %s

// Linear along the last dim (asymmetric, x2): per output column two i32 index
// tables and two f32 weight tables (an integer source coordinate takes the
// right tap whole, as the ONNX reference); the body blends two extracts.
// CHECK-LABEL: func.func @linear
// CHECK-SAME: (%[[X:.+]]: tensor<2x3xf32>)
// CHECK-DAG: %[[I0:.+]] = arith.constant dense<[0, 0, 0, 1, 1, 2]> : tensor<6xi32>
// CHECK-DAG: %[[W0:.+]] = arith.constant dense<[0.000000e+00, 5.000000e-01, 0.000000e+00, 5.000000e-01, 0.000000e+00, 5.000000e-01]> : tensor<6xf32>
// CHECK-DAG: %[[I1:.+]] = arith.constant dense<[0, 1, 1, 2, 2, 2]> : tensor<6xi32>
// CHECK-DAG: %[[W1:.+]] = arith.constant dense<[1.000000e+00, 5.000000e-01, 1.000000e+00, 5.000000e-01, 1.000000e+00, 5.000000e-01]> : tensor<6xf32>
// CHECK: linalg.generic {{.+}} ins(%[[I0]], %[[W0]], %[[I1]], %[[W1]] : tensor<6xi32>, tensor<6xf32>, tensor<6xi32>, tensor<6xf32>) outs(%{{.+}} : tensor<2x6xf32>)
// CHECK: ^bb0(%[[A:.+]]: i32, %[[WA:.+]]: f32, %[[B:.+]]: i32, %[[WB:.+]]: f32, %{{.+}}: f32):
// CHECK: %[[R:.+]] = linalg.index 0 : index
// CHECK: %[[CA:.+]] = arith.index_cast %[[A]] : i32 to index
// CHECK: %[[CB:.+]] = arith.index_cast %[[B]] : i32 to index
// CHECK: %[[VA:.+]] = tensor.extract %[[X]][%[[R]], %[[CA]]] : tensor<2x3xf32>
// CHECK: %[[TA:.+]] = arith.mulf %[[VA]], %[[WA]] : f32
// CHECK: %[[VB:.+]] = tensor.extract %[[X]][%[[R]], %[[CB]]] : tensor<2x3xf32>
// CHECK: %[[TB:.+]] = arith.mulf %[[VB]], %[[WB]] : f32
// CHECK: %[[S:.+]] = arith.addf %[[TA]], %[[TB]] : f32
// CHECK: linalg.yield %[[S]] : f32
func.func @linear(%x: tensor<2x3xf32>) -> tensor<2x6xf32> {
  %y = kiln.resize %x {mode = "linear", coordinate_transformation_mode = "asymmetric",
         scales = array<f64: 1.0, 2.0>} : tensor<2x3xf32> -> tensor<2x6xf32>
  return %y : tensor<2x6xf32>
}

// -----

// Nearest: one index table per resized dim and a plain extract, for any
// element type; the identity dim 0 gets no table (its index passes through).
// CHECK-LABEL: func.func @nearest
// CHECK-SAME: (%[[X:.+]]: tensor<2x4xi8>)
// CHECK: %[[I:.+]] = arith.constant dense<[0, 2]> : tensor<2xi32>
// CHECK: linalg.generic {{.+}} ins(%[[I]] : tensor<2xi32>) outs(%{{.+}} : tensor<2x2xi8>)
// CHECK: ^bb0(%[[A:.+]]: i32, %{{.+}}: i8):
// CHECK: %[[R:.+]] = linalg.index 0 : index
// CHECK: %[[C:.+]] = arith.index_cast %[[A]] : i32 to index
// CHECK: %[[V:.+]] = tensor.extract %[[X]][%[[R]], %[[C]]] : tensor<2x4xi8>
// CHECK-NEXT: linalg.yield %[[V]] : i8
func.func @nearest(%x: tensor<2x4xi8>) -> tensor<2x2xi8> {
  %y = kiln.resize %x {mode = "nearest", coordinate_transformation_mode = "asymmetric",
         nearest_mode = "floor", scales = array<f64: 1.0, 0.5>} : tensor<2x4xi8> -> tensor<2x2xi8>
  return %y : tensor<2x2xi8>
}

// -----

// tf_crop_and_resize: an i8 mask table marks extrapolated positions, which
// take extrapolation_value.
// CHECK-LABEL: func.func @crop
// CHECK-DAG: %[[M:.+]] = arith.constant dense<[1, 0, 0, 1]> : tensor<4xi8>
// CHECK: linalg.generic {{.+}} ins(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[M]] : tensor<4xi32>, tensor<4xf32>, tensor<4xi32>, tensor<4xf32>, tensor<4xi8>)
// CHECK: %[[OUT:.+]] = arith.cmpi ne, %{{.+}}, %{{.+}} : i8
// CHECK: %[[E:.+]] = arith.constant 5.000000e+00 : f32
// CHECK: arith.select %[[OUT]], %[[E]], %{{.+}} : f32
func.func @crop(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = kiln.resize %x {mode = "linear", coordinate_transformation_mode = "tf_crop_and_resize",
         extrapolation_value = 5.0 : f32, roi = array<f64: -0.5, 1.5>,
         scales = array<f64: 1.0>} : tensor<4xf32> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Runtime scales: no tables; the body reads the scale and computes the
// source coordinate and weights per position (here asymmetric: y / scale).
// CHECK-LABEL: func.func @runtime_scales
// CHECK-SAME: (%[[X:.+]]: tensor<2x3xf32>, %[[S:.+]]: tensor<2xf32>)
// CHECK: linalg.generic {{.+}} outs(%{{.+}} : tensor<2x6xf32>)
// CHECK: %[[SC:.+]] = tensor.extract %[[S]][%{{.+}}] : tensor<2xf32>
// CHECK: %[[SD:.+]] = arith.extf %[[SC]] : f32 to f64
// CHECK: arith.divf %{{.+}}, %[[SD]] : f64
// CHECK: math.floor
// CHECK: tensor.extract %[[X]]
func.func @runtime_scales(%x: tensor<2x3xf32>, %s: tensor<2xf32>) -> tensor<2x6xf32> {
  %y = kiln.resize %x scales(%s : tensor<2xf32>) {mode = "linear",
         coordinate_transformation_mode = "asymmetric",
         scales = array<f64: 1.0, 2.0>} : tensor<2x3xf32> -> tensor<2x6xf32>
  return %y : tensor<2x6xf32>
}
