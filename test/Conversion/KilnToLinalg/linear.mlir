// RUN: kiln-opt %s --convert-kiln-to-linalg --split-input-file | FileCheck %s

// transB folds into linalg.matmul's maps; C seeds the accumulator.
// CHECK-DAG: #[[C:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[MA:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[MB:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[MC:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @gemm_transb_bias
// CHECK-SAME: (%[[A:.+]]: tensor<2x3xf32>, %[[B:.+]]: tensor<4x3xf32>, %[[BIAS:.+]]: tensor<4xf32>)
// CHECK: %[[INIT:.+]] = linalg.generic {indexing_maps = [#[[C]], #[[ID]]]{{.*}} ins(%[[BIAS]]
// CHECK: %[[MM:.+]] = linalg.matmul indexing_maps = [#[[MA]], #[[MB]], #[[MC]]] ins(%[[A]], %[[B]] : {{.*}}) outs(%[[INIT]] : tensor<2x4xf32>)
// CHECK-NEXT: return %[[MM]]
func.func @gemm_transb_bias(%a: tensor<2x3xf32>, %b: tensor<4x3xf32>, %c: tensor<4xf32>) -> tensor<2x4xf32> {
  %y = kiln.gemm %a, %b, %c {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<2x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// alpha != 1: zero accumulator, then one epilogue generic alpha*AB + beta*C.
// CHECK-DAG: #[[MA:.+]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-LABEL: func.func @gemm_transa_alpha
// CHECK: linalg.fill
// CHECK: %[[MM:.+]] = linalg.matmul indexing_maps = [#[[MA]]
// CHECK: linalg.generic {{.*}} ins(%[[MM]], %{{.+}} : tensor<3x4xf32>, tensor<3x1xf32>)
// CHECK: arith.mulf
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @gemm_transa_alpha(%a: tensor<5x3xf32>, %b: tensor<5x4xf32>, %c: tensor<3x1xf32>) -> tensor<3x4xf32> {
  %y = kiln.gemm %a, %b, %c {alpha = 0.5 : f32, beta = 2.0 : f32, trans_a = true, trans_b = false} : (tensor<5x3xf32>, tensor<5x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

// CHECK-LABEL: func.func @matmul_2d
// CHECK: linalg.fill
// CHECK: linalg.matmul ins
func.func @matmul_2d(%a: tensor<?x4xf32>, %b: tensor<4x5xf32>) -> tensor<?x5xf32> {
  %y = kiln.matmul %a, %b : tensor<?x4xf32>, tensor<4x5xf32>
  return %y : tensor<?x5xf32>
}

// -----

// CHECK-LABEL: func.func @matmul_batch
// CHECK: linalg.batch_matmul
func.func @matmul_batch(%a: tensor<2x3x4xf32>, %b: tensor<2x4x5xf32>) -> tensor<2x3x5xf32> {
  %y = kiln.matmul %a, %b : tensor<2x3x4xf32>, tensor<2x4x5xf32>
  return %y : tensor<2x3x5xf32>
}

// -----

// Batch broadcasting in one generic, reduction last.
// CHECK-DAG: #[[L:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, 0, d2, d4)>
// CHECK-DAG: #[[R:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d4, d3)>
// CHECK-DAG: #[[O:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @matmul_broadcast
// CHECK: linalg.generic {indexing_maps = [#[[L]], #[[R]], #[[O]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
func.func @matmul_broadcast(%a: tensor<2x1x3x4xf32>, %b: tensor<5x4x2xf32>) -> tensor<2x5x3x2xf32> {
  %y = kiln.matmul %a, %b : tensor<2x1x3x4xf32>, tensor<5x4x2xf32>
  return %y : tensor<2x5x3x2xf32>
}

// -----

// 1-D lhs: promoted, and the promoted dim is absent from the result.
// CHECK-DAG: #[[L:.+]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-DAG: #[[R:.+]] = affine_map<(d0, d1, d2) -> (d0, d2, d1)>
// CHECK-LABEL: func.func @matmul_vec
// CHECK: linalg.generic {indexing_maps = [#[[L]], #[[R]], #{{.+}}], iterator_types = ["parallel", "parallel", "reduction"]}
func.func @matmul_vec(%a: tensor<4xf32>, %b: tensor<2x4x3xf32>) -> tensor<2x3xf32> {
  %y = kiln.matmul %a, %b : tensor<4xf32>, tensor<2x4x3xf32>
  return %y : tensor<2x3xf32>
}
