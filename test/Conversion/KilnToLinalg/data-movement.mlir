// RUN: kiln-opt %s --convert-kiln-to-linalg --split-input-file | FileCheck %s
// transpose and concat use the generic op syntax: their custom syntax does
// not parse in this version of the dialect.

// CHECK-LABEL: func.func @constant
// CHECK: arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK: arith.constant dense_resource<w0> : tensor<2xf32>
func.func @constant() -> (tensor<2xf32>, tensor<2xf32>) {
  %0 = kiln.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %1 = kiln.constant dense_resource<w0> : tensor<2xf32>
  return %0, %1 : tensor<2xf32>, tensor<2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w0: "0x040000000000803F00000040"
    }
  }
#-}

// -----

// CHECK-LABEL: func.func @reshape_collapse
// CHECK: tensor.collapse_shape %{{.+}} {{\[\[}}0], [1, 2, 3]] : tensor<?x2048x1x1xf32> into tensor<?x2048xf32>
func.func @reshape_collapse(%x: tensor<?x2048x1x1xf32>) -> tensor<?x2048xf32> {
  %y = kiln.reshape %x : tensor<?x2048x1x1xf32> -> tensor<?x2048xf32>
  return %y : tensor<?x2048xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_expand
// CHECK: tensor.expand_shape %{{.+}} {{\[\[}}0, 1], [2]] output_shape [2, 3, 4] : tensor<6x4xf32> into tensor<2x3x4xf32>
func.func @reshape_expand(%x: tensor<6x4xf32>) -> tensor<2x3x4xf32> {
  %y = kiln.reshape %x : tensor<6x4xf32> -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}

// -----

// Not a pure collapse/expand: through 1-D.
// CHECK-LABEL: func.func @reshape_general
// CHECK: %[[F:.+]] = tensor.collapse_shape %{{.+}} {{\[\[}}0, 1, 2]] : tensor<2x3x4xf32> into tensor<24xf32>
// CHECK: tensor.expand_shape %[[F]] {{\[\[}}0, 1]] output_shape [4, 6] : tensor<24xf32> into tensor<4x6xf32>
func.func @reshape_general(%x: tensor<2x3x4xf32>) -> tensor<4x6xf32> {
  %y = kiln.reshape %x : tensor<2x3x4xf32> -> tensor<4x6xf32>
  return %y : tensor<4x6xf32>
}

// -----

// CHECK-LABEL: func.func @transpose
// CHECK-SAME: (%[[X:.+]]: tensor<?x3x4xf32>)
// CHECK: %[[D:.+]] = tensor.dim %[[X]], %{{.+}}
// CHECK: %[[E:.+]] = tensor.empty(%[[D]]) : tensor<4x?x3xf32>
// CHECK: linalg.transpose ins(%[[X]] : tensor<?x3x4xf32>) outs(%[[E]] : tensor<4x?x3xf32>) permutation = [2, 0, 1]
func.func @transpose(%x: tensor<?x3x4xf32>) -> tensor<4x?x3xf32> {
  %y = "kiln.transpose"(%x) <{perm = array<i64: 2, 0, 1>}> : (tensor<?x3x4xf32>) -> tensor<4x?x3xf32>
  return %y : tensor<4x?x3xf32>
}

// -----

// CHECK-LABEL: func.func @concat
// CHECK-SAME: (%[[A:.+]]: tensor<2x1x3xf32>, %[[B:.+]]: tensor<2x2x3xf32>)
// CHECK: %[[E:.+]] = tensor.empty() : tensor<2x3x3xf32>
// CHECK: %[[I0:.+]] = tensor.insert_slice %[[A]] into %[[E]][0, 0, 0] [2, 1, 3] [1, 1, 1]
// CHECK: tensor.insert_slice %[[B]] into %[[I0]][0, 1, 0] [2, 2, 3] [1, 1, 1]
func.func @concat(%a: tensor<2x1x3xf32>, %b: tensor<2x2x3xf32>) -> tensor<2x3x3xf32> {
  %y = "kiln.concat"(%a, %b) <{axis = 1 : i64}> : (tensor<2x1x3xf32>, tensor<2x2x3xf32>) -> tensor<2x3x3xf32>
  return %y : tensor<2x3x3xf32>
}

// -----

// A dynamic concat axis: offsets and size from tensor.dim.
// CHECK-LABEL: func.func @concat_dynamic
// CHECK-SAME: (%[[A:.+]]: tensor<2x?xf32>, %[[B:.+]]: tensor<2x?xf32>)
// CHECK: %[[DA:.+]] = tensor.dim %[[A]]
// CHECK: %[[DB:.+]] = tensor.dim %[[B]]
// CHECK: arith.addi
// CHECK: %[[TOT:.+]] = arith.addi
// CHECK: %[[E:.+]] = tensor.empty(%[[TOT]]) : tensor<2x?xf32>
// CHECK: %[[I0:.+]] = tensor.insert_slice %[[A]] into %[[E]][0, 0] [2, %[[DA]]] [1, 1]
// CHECK: tensor.insert_slice %[[B]] into %[[I0]][0, %{{.+}}] [2, %[[DB]]] [1, 1]
func.func @concat_dynamic(%a: tensor<2x?xf32>, %b: tensor<2x?xf32>) -> tensor<2x?xf32> {
  %y = "kiln.concat"(%a, %b) <{axis = 1 : i64}> : (tensor<2x?xf32>, tensor<2x?xf32>) -> tensor<2x?xf32>
  return %y : tensor<2x?xf32>
}
