// RUN: kiln-opt %s --convert-kiln-to-linalg --split-input-file | FileCheck %s

// Broadcasting lives in the indexing maps: missing leading dims drop out,
// size-1 dims read index 0; the output map is the identity.
// CHECK-DAG: #[[ID3:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[B3:.+]] = affine_map<(d0, d1, d2) -> (d1, 0)>
// CHECK-LABEL: func.func @div_broadcast
// CHECK-SAME: (%[[A:.+]]: tensor<2x3x4xf32>, %[[B:.+]]: tensor<3x1xf32>)
// CHECK: %[[E:.+]] = tensor.empty() : tensor<2x3x4xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID3]], #[[B3]], #[[ID3]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[A]], %[[B]] : tensor<2x3x4xf32>, tensor<3x1xf32>) outs(%[[E]] : tensor<2x3x4xf32>)
// CHECK: arith.divf
func.func @div_broadcast(%a: tensor<2x3x4xf32>, %b: tensor<3x1xf32>) -> tensor<2x3x4xf32> {
  %0 = kiln.div %a, %b : tensor<2x3x4xf32>, tensor<3x1xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// Dynamic dims size the init with tensor.dim.
// CHECK-DAG: #[[L:.+]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[R:.+]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func.func @sub_dynamic
// CHECK-SAME: (%[[A:.+]]: tensor<?x1xf32>, %[[B:.+]]: tensor<1x4xf32>)
// CHECK: %[[D:.+]] = tensor.dim %[[A]], %{{.+}} : tensor<?x1xf32>
// CHECK: %[[E:.+]] = tensor.empty(%[[D]]) : tensor<?x4xf32>
// CHECK: linalg.generic {indexing_maps = [#[[L]], #[[R]], #{{.+}}]
// CHECK: arith.subf
func.func @sub_dynamic(%a: tensor<?x1xf32>, %b: tensor<1x4xf32>) -> tensor<?x4xf32> {
  %0 = kiln.sub %a, %b : tensor<?x1xf32>, tensor<1x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @add_int
// CHECK: linalg.generic
// CHECK: arith.addi
func.func @add_int(%a: tensor<4xi64>, %b: tensor<4xi64>) -> tensor<4xi64> {
  %0 = kiln.add %a, %b : tensor<4xi64>, tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

// CHECK-LABEL: func.func @unary
// CHECK: linalg.generic
// CHECK: %[[Z:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: arith.maximumf %{{.+}}, %[[Z]] : f32
// CHECK: linalg.generic
// CHECK: arith.negf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: arith.divf
// CHECK: linalg.generic
// CHECK-DAG: %[[LO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[HI:.+]] = arith.constant 6.000000e+00 : f32
// CHECK: %[[M:.+]] = arith.maximumf %{{.+}}, %[[LO]] : f32
// CHECK: arith.minimumf %[[M]], %[[HI]] : f32
func.func @unary(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %0 = kiln.relu %x : tensor<1x8xf32>
  %1 = kiln.sigmoid %0 : tensor<1x8xf32>
  %2 = kiln.clip %1 {min = 0.0 : f64, max = 6.0 : f64} : tensor<1x8xf32>
  return %2 : tensor<1x8xf32>
}

// -----

// kiln.kernel and kiln.yield stay; the ops inside are converted.
// CHECK-LABEL: func.func @in_kernel
// CHECK: kiln.kernel "k"
// CHECK: linalg.generic
// CHECK-NOT: kiln.relu
// CHECK: kiln.yield
func.func @in_kernel(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = kiln.kernel "k" (%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %c = kiln.relu %a : tensor<4xf32>
    kiln.yield %c : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
