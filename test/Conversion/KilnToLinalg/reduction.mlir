// RUN: kiln-opt %s --convert-kiln-to-linalg --split-input-file | FileCheck %s

// Stable softmax: max-reduce, exp(x - max), sum-reduce, divide.
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[RED:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @softmax
// CHECK-SAME: (%[[X:.+]]: tensor<2x10xf32>)
// CHECK: %[[NEG:.+]] = arith.constant 0xFF800000 : f32
// CHECK: %[[MI:.+]] = linalg.fill ins(%[[NEG]] : f32) {{.*}} -> tensor<2xf32>
// CHECK: %[[MAX:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[RED]]], iterator_types = ["parallel", "reduction"]} ins(%[[X]] {{.*}} outs(%[[MI]]
// CHECK: arith.maximumf
// CHECK: %[[EXP:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[RED]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[MAX]]
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: %[[SUM:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[RED]]], iterator_types = ["parallel", "reduction"]} ins(%[[EXP]]
// CHECK: arith.addf
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[RED]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[EXP]], %[[SUM]]
// CHECK: arith.divf
func.func @softmax(%x: tensor<2x10xf32>) -> tensor<2x10xf32> {
  %y = kiln.softmax %x {axis = 1 : i64} : tensor<2x10xf32>
  return %y : tensor<2x10xf32>
}

// -----

// Generic op syntax: the custom syntax of reduce_mean does not parse yet.
// CHECK-DAG: #[[OUT:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @reduce_mean_keepdims
// CHECK-SAME: (%[[X:.+]]: tensor<?x3x4xf32>)
// CHECK: %[[N:.+]] = tensor.dim %[[X]], %{{.+}}
// CHECK: tensor.empty(%[[N]]) : tensor<?x4xf32>
// CHECK: %[[S:.+]] = linalg.generic {indexing_maps = [#{{.+}}, #[[OUT]]], iterator_types = ["parallel", "reduction", "parallel"]}
// CHECK: %[[INV:.+]] = arith.constant 0.333333343 : f32
// CHECK: %[[M:.+]] = linalg.generic {{.*}} ins(%[[S]]
// CHECK: arith.mulf %{{.+}}, %[[INV]]
// CHECK: tensor.expand_shape %[[M]] {{\[\[}}0], [1, 2]] {{.*}} : tensor<?x4xf32> into tensor<?x1x4xf32>
func.func @reduce_mean_keepdims(%x: tensor<?x3x4xf32>) -> tensor<?x1x4xf32> {
  %y = "kiln.reduce_mean"(%x) <{axes = array<i64: 1>, keepdims = true}> : (tensor<?x3x4xf32>) -> tensor<?x1x4xf32>
  return %y : tensor<?x1x4xf32>
}

// -----

// A dynamic reduced dim: 1/count computed at run time.
// CHECK-LABEL: func.func @reduce_mean_dynamic_axis
// CHECK: %[[D:.+]] = tensor.dim
// CHECK: arith.muli %[[D]]
// CHECK: arith.index_cast
// CHECK: arith.uitofp
// CHECK: arith.divf
// CHECK-NOT: tensor.expand_shape
func.func @reduce_mean_dynamic_axis(%x: tensor<2x?xf32>) -> tensor<2xf32> {
  %y = "kiln.reduce_mean"(%x) <{axes = array<i64: 1>, keepdims = false}> : (tensor<2x?xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}
