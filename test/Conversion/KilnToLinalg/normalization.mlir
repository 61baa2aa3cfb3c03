// RUN: kiln-opt %s --convert-kiln-to-linalg --split-input-file | FileCheck %s

// s = scale / sqrt(var + eps), t = bias - mean * s as 1-D generics, then one
// per-channel broadcast generic y = x * s + t.
// CHECK-DAG: #[[ID1:.+]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[ID4:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[CH:.+]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func.func @batch_norm
// CHECK-SAME: (%[[X:.+]]: tensor<1x4x2x2xf32>, %[[SC:.+]]: tensor<4xf32>, %[[B:.+]]: tensor<4xf32>, %[[M:.+]]: tensor<4xf32>, %[[V:.+]]: tensor<4xf32>)
// CHECK: %[[S:.+]] = linalg.generic {indexing_maps = [#[[ID1]], #[[ID1]], #[[ID1]]]{{.*}} ins(%[[SC]], %[[V]]
// CHECK: arith.addf
// CHECK: math.sqrt
// CHECK: arith.divf
// CHECK: %[[T:.+]] = linalg.generic {{.*}} ins(%[[B]], %[[M]], %[[S]]
// CHECK: arith.mulf
// CHECK: arith.subf
// CHECK: linalg.generic {indexing_maps = [#[[ID4]], #[[CH]], #[[CH]], #[[ID4]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[X]], %[[S]], %[[T]]
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @batch_norm(%x: tensor<1x4x2x2xf32>, %s: tensor<4xf32>, %b: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> tensor<1x4x2x2xf32> {
  %y = kiln.batch_norm %x, %s, %b, %m, %v {epsilon = 1.0e-05 : f32} : (tensor<1x4x2x2xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x2x2xf32>
  return %y : tensor<1x4x2x2xf32>
}
