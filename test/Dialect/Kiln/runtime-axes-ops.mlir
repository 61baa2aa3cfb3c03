// RUN: kiln-opt %s --split-input-file | kiln-opt | FileCheck %s
// Round trip of the ops whose axes, axis or diagonal are read at run time.
// kiln.reduce_dynamic_axes infers its result: the rank follows from the
// static number of axes, a dim is static only where every choice of axes
// gives the same size.

// CHECK-LABEL: func @reduce_dynamic_axes
func.func @reduce_dynamic_axes(%x: tensor<3x2x2xf32>, %d: tensor<?x1x4xf32>, %a: tensor<1xi64>, %b: tensor<2xi32>, %c: tensor<3xi64>)
    -> (tensor<?x?x?xf32>, tensor<?xf32>, tensor<?x2xf32>, tensor<?x1x?xf32>, tensor<1x1x1xf32>, tensor<f32>) {
  // CHECK: kiln.reduce_dynamic_axes %{{.+}}, %{{.+}} {keepdims = true, kind = "sum"} : tensor<3x2x2xf32>, tensor<1xi64>
  %0 = kiln.reduce_dynamic_axes %x, %a {kind = "sum", keepdims = true} : tensor<3x2x2xf32>, tensor<1xi64>
  // CHECK: kiln.reduce_dynamic_axes %{{.+}}, %{{.+}} {keepdims = false, kind = "max"} : tensor<3x2x2xf32>, tensor<2xi32>
  %1 = kiln.reduce_dynamic_axes %x, %b {kind = "max", keepdims = false} : tensor<3x2x2xf32>, tensor<2xi32>
  // Kept dim 1 is input dim 1 or 2, both 2.
  %2 = kiln.reduce_dynamic_axes %x, %a {kind = "mean", keepdims = false} : tensor<3x2x2xf32>, tensor<1xi64>
  // A size-1 dim stays 1 whether reduced or not.
  %3 = kiln.reduce_dynamic_axes %d, %a {kind = "l2", keepdims = true} : tensor<?x1x4xf32>, tensor<1xi64>
  // All axes: every dim is reduced whatever their order.
  %4 = kiln.reduce_dynamic_axes %x, %c {kind = "prod", keepdims = true} : tensor<3x2x2xf32>, tensor<3xi64>
  %5 = kiln.reduce_dynamic_axes %x, %c {kind = "log_sum_exp", keepdims = false} : tensor<3x2x2xf32>, tensor<3xi64>
  return %0, %1, %2, %3, %4, %5 : tensor<?x?x?xf32>, tensor<?xf32>, tensor<?x2xf32>, tensor<?x1x?xf32>, tensor<1x1x1xf32>, tensor<f32>
}

// -----

// CHECK-LABEL: func @trilu_cumsum
func.func @trilu_cumsum(%x: tensor<3x5xf32>, %k: tensor<i64>, %a: tensor<1xi32>) -> (tensor<3x5xf32>, tensor<3x5xf32>, tensor<3x5xf32>, tensor<3x5xf32>) {
  // CHECK: kiln.trilu %{{.+}}, %{{.+}} {upper = true} : tensor<3x5xf32>, tensor<i64>
  %0 = kiln.trilu %x, %k {upper = true} : tensor<3x5xf32>, tensor<i64>
  // CHECK: kiln.trilu %{{.+}} {k = 1 : i64, upper = false} : tensor<3x5xf32>
  %1 = kiln.trilu %x {upper = false, k = 1 : i64} : tensor<3x5xf32>
  // CHECK: kiln.cumsum %{{.+}}, %{{.+}} {exclusive = false, reverse = true} : tensor<3x5xf32>, tensor<1xi32>
  %2 = kiln.cumsum %x, %a {exclusive = false, reverse = true} : tensor<3x5xf32>, tensor<1xi32>
  // CHECK: kiln.cumsum %{{.+}} {axis = 1 : i64, exclusive = true, reverse = false} : tensor<3x5xf32>
  %3 = kiln.cumsum %x {axis = 1 : i64, exclusive = true, reverse = false} : tensor<3x5xf32>
  return %0, %1, %2, %3 : tensor<3x5xf32>, tensor<3x5xf32>, tensor<3x5xf32>, tensor<3x5xf32>
}
