// RUN: kiln-opt %s --convert-kiln-to-linalg --split-input-file | FileCheck %s

// -inf pads; ceil_mode's last window needs one more row/col of end padding.
// CHECK-LABEL: func.func @max_pool_ceil
// CHECK: %[[NEG:.+]] = arith.constant 0xFF800000 : f32
// CHECK: %[[P:.+]] = tensor.pad %{{.+}} low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: tensor.yield %[[NEG]]
// CHECK: } : tensor<1x2x7x7xf32> to tensor<1x2x9x9xf32>
// CHECK: %[[ACC:.+]] = linalg.fill ins(%[[NEG]] : f32)
// CHECK: %[[WIN:.+]] = tensor.empty() : tensor<3x3xf32>
// CHECK: linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%[[P]], %[[WIN]] : {{.*}}) outs(%[[ACC]] : tensor<1x2x4x4xf32>)
func.func @max_pool_ceil(%x: tensor<1x2x7x7xf32>) -> tensor<1x2x4x4xf32> {
  %r = kiln.max_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = true} : tensor<1x2x7x7xf32> -> tensor<1x2x4x4xf32>
  return %r : tensor<1x2x4x4xf32>
}

// -----

// count_include_pad = false: zero pads, sum pool, divide by a constant
// per-position count broadcast over N and C.
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[HW:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// CHECK-LABEL: func.func @avg_pool_exclude_pad
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: tensor.pad %{{.+}} low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: tensor.yield %[[ZERO]]
// CHECK: %[[SUM:.+]] = linalg.pooling_nchw_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK: %[[CNT:.+]] = arith.constant dense<{{\[\[}}4.000000e+00, 6.000000e+00, 4.000000e+00], [6.000000e+00, 9.000000e+00, 6.000000e+00], [4.000000e+00, 6.000000e+00, 4.000000e+00]]> : tensor<3x3xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[HW]], #[[ID]]]{{.*}} ins(%[[SUM]], %[[CNT]]
// CHECK: arith.divf
func.func @avg_pool_exclude_pad(%x: tensor<1x2x5x5xf32>) -> tensor<1x2x3x3xf32> {
  %r = kiln.avg_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, ceil_mode = false, count_include_pad = false} : tensor<1x2x5x5xf32> -> tensor<1x2x3x3xf32>
  return %r : tensor<1x2x3x3xf32>
}

// -----

// count_include_pad = true without ceil_mode: one scalar divisor, dynamic N ok.
// CHECK-LABEL: func.func @avg_pool_include_pad
// CHECK: linalg.pooling_nchw_sum
// CHECK: %[[K:.+]] = arith.constant 9.000000e+00 : f32
// CHECK: linalg.generic
// CHECK: arith.divf %{{.+}}, %[[K]] : f32
func.func @avg_pool_include_pad(%x: tensor<?x2x5x5xf32>) -> tensor<?x2x3x3xf32> {
  %r = kiln.avg_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, ceil_mode = false, count_include_pad = true} : tensor<?x2x5x5xf32> -> tensor<?x2x3x3xf32>
  return %r : tensor<?x2x3x3xf32>
}

// -----

// count_include_pad = true with ceil_mode: the window past the end pad is
// clipped to input + pads, so the last row/col counts 2, not 3.
// CHECK-LABEL: func.func @avg_pool_ceil_include_pad
// CHECK: tensor.pad %{{.+}} low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: arith.constant dense<{{\[\[}}9.000000e+00, 9.000000e+00, 9.000000e+00, 6.000000e+00], {{.*}}, [6.000000e+00, 6.000000e+00, 6.000000e+00, 4.000000e+00]]> : tensor<4x4xf32>
func.func @avg_pool_ceil_include_pad(%x: tensor<1x1x7x7xf32>) -> tensor<1x1x4x4xf32> {
  %r = kiln.avg_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = true, count_include_pad = true} : tensor<1x1x7x7xf32> -> tensor<1x1x4x4xf32>
  return %r : tensor<1x1x4x4xf32>
}

// -----

// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[NC:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1)>
// CHECK-LABEL: func.func @global_avg_pool
// CHECK: %[[S:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[NC]]], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
// CHECK: arith.addf
// CHECK: %[[INV:.+]] = arith.constant 0.0204081628 : f32
// CHECK: %[[M:.+]] = linalg.generic {{.*}} ins(%[[S]]
// CHECK: arith.mulf %{{.+}}, %[[INV]]
// CHECK: tensor.expand_shape %[[M]] {{\[\[}}0], [1, 2, 3]] output_shape [1, 8, 1, 1] : tensor<1x8xf32> into tensor<1x8x1x1xf32>
func.func @global_avg_pool(%x: tensor<1x8x7x7xf32>) -> tensor<1x8x1x1xf32> {
  %r = kiln.global_avg_pool %x : tensor<1x8x7x7xf32>
  return %r : tensor<1x8x1x1xf32>
}

// -----

// 3-D pooling has no named NCDHW op: the same window reduction as a generic.
// CHECK-DAG: #[[IN:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d2 * 2 + d5, d3 * 2 + d6 * 2, d4 * 2 + d7)>
// CHECK-DAG: #[[WIN:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d5, d6, d7)>
// CHECK-DAG: #[[OUT:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d2, d3, d4)>
// CHECK-LABEL: func.func @max_pool_3d
// CHECK: %[[ACC:.+]] = linalg.fill
// CHECK: %[[W:.+]] = tensor.empty() : tensor<2x2x2xf32>
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[WIN]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%{{.+}}, %[[W]] : tensor<1x1x4x6x4xf32>, tensor<2x2x2xf32>) outs(%[[ACC]] : tensor<1x1x2x2x2xf32>)
// CHECK: arith.maximumf
func.func @max_pool_3d(%x: tensor<1x1x4x6x4xf32>) -> tensor<1x1x2x2x2xf32> {
  %r = kiln.max_pool %x {kernel_shape = array<i64: 2, 2, 2>, strides = array<i64: 2, 2, 2>, pads = array<i64: 0, 0, 0, 0, 0, 0>, dilations = array<i64: 1, 2, 1>, ceil_mode = false} : tensor<1x1x4x6x4xf32> -> tensor<1x1x2x2x2xf32>
  return %r : tensor<1x1x2x2x2xf32>
}

// -----

// CHECK-LABEL: func.func @avg_pool_3d
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
// CHECK: arith.addf
// CHECK: %[[K:.+]] = arith.constant 8.000000e+00 : f32
// CHECK: arith.divf %{{.+}}, %[[K]] : f32
func.func @avg_pool_3d(%x: tensor<1x1x4x4x4xf32>) -> tensor<1x1x2x2x2xf32> {
  %r = kiln.avg_pool %x {kernel_shape = array<i64: 2, 2, 2>, strides = array<i64: 2, 2, 2>, pads = array<i64: 0, 0, 0, 0, 0, 0>, dilations = array<i64: 1, 1, 1>, ceil_mode = false, count_include_pad = false} : tensor<1x1x4x4x4xf32> -> tensor<1x1x2x2x2xf32>
  return %r : tensor<1x1x2x2x2xf32>
}
