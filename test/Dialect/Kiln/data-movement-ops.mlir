// RUN: kiln-opt %s --allow-unregistered-dialect | kiln-opt --allow-unregistered-dialect | FileCheck %s
// The data movement ops print and parse back, with inferred result types.

// CHECK-LABEL: func.func @ops
func.func @ops(%x: tensor<3x5xf32>, %i: tensor<2xi64>, %e: tensor<3x2xi32>,
               %n: tensor<3x1xi64>, %v: tensor<f32>, %b: tensor<3x1xi1>,
               %oh: tensor<2xf32>, %si: tensor<3x5xi64>) {
  // CHECK: kiln.gather %{{.+}}, %{{.+}} {axis = 1 : i64} : tensor<3x5xf32>, tensor<2xi64>
  %0 = kiln.gather %x, %i {axis = 1 : i64} : tensor<3x5xf32>, tensor<2xi64>
  // CHECK: kiln.gather_elements %{{.+}}, %{{.+}} {axis = 1 : i64} : tensor<3x5xf32>, tensor<3x2xi32>
  %1 = kiln.gather_elements %x, %e {axis = 1 : i64} : tensor<3x5xf32>, tensor<3x2xi32>
  // CHECK: kiln.gather_nd %{{.+}}, %{{.+}} {batch_dims = 0 : i64} : tensor<3x5xf32>, tensor<3x1xi64>
  %2 = kiln.gather_nd %x, %n {batch_dims = 0 : i64} : tensor<3x5xf32>, tensor<3x1xi64>
  // CHECK: kiln.slice %{{.+}} {offsets = array<i64: 2, 0>, sizes = array<i64: 3, 3>, strides = array<i64: -1, 2>} : tensor<3x5xf32>
  %3 = kiln.slice %x {offsets = array<i64: 2, 0>, sizes = array<i64: 3, 3>, strides = array<i64: -1, 2>} : tensor<3x5xf32>
  // CHECK: kiln.expand %{{.+}} : tensor<3x1xi1> -> tensor<2x3x4xi1>
  %4 = kiln.expand %b : tensor<3x1xi1> -> tensor<2x3x4xi1>
  // CHECK: kiln.pad %{{.+}}, %{{.+}} {mode = "wrap", pads = array<i64: 0, 1, 0, 2>} : tensor<3x5xf32>, tensor<f32>
  %5 = kiln.pad %x, %v {mode = "wrap", pads = array<i64: 0, 1, 0, 2>} : tensor<3x5xf32>, tensor<f32>
  // CHECK: kiln.trilu %{{.+}} {k = -1 : i64, upper = false} : tensor<3x5xf32>
  %6 = kiln.trilu %x {upper = false, k = -1 : i64} : tensor<3x5xf32>
  // CHECK: kiln.cumsum %{{.+}} {axis = 0 : i64, exclusive = true, reverse = false} : tensor<3x5xf32>
  %7 = kiln.cumsum %x {axis = 0 : i64, exclusive = true, reverse = false} : tensor<3x5xf32>
  // CHECK: kiln.one_hot %{{.+}}, %{{.+}} {axis = 0 : i64, depth = 4 : i64} : tensor<2xi64>, tensor<2xf32>
  %8 = kiln.one_hot %i, %oh {axis = 0 : i64, depth = 4 : i64} : tensor<2xi64>, tensor<2xf32>
  // CHECK: kiln.scatter_elements %{{.+}}, %{{.+}}, %{{.+}} {axis = 0 : i64, reduction = "max"} : tensor<3x5xf32>, tensor<3x5xi64>, tensor<3x5xf32>
  %9 = kiln.scatter_elements %x, %si, %x {axis = 0 : i64, reduction = "max"} : tensor<3x5xf32>, tensor<3x5xi64>, tensor<3x5xf32>
  // CHECK: kiln.scatter_nd %{{.+}}, %{{.+}}, %{{.+}} {reduction = "none"} : tensor<3x5xf32>, tensor<3x1xi64>, tensor<3x5xf32>
  %10 = kiln.scatter_nd %x, %n, %x {reduction = "none"} : tensor<3x5xf32>, tensor<3x1xi64>, tensor<3x5xf32>
  // CHECK: kiln.topk %{{.+}} {axis = 1 : i64, k = 2 : i64, largest = false} : tensor<3x5xf32>
  %11:2 = kiln.topk %x {axis = 1 : i64, k = 2 : i64, largest = false} : tensor<3x5xf32>
  "test.use"(%9, %10, %11#0, %11#1) : (tensor<3x5xf32>, tensor<3x5xf32>, tensor<3x2xf32>, tensor<3x2xi64>) -> ()
  "test.use"(%0, %1, %2, %3, %4, %5, %6, %7, %8) : (tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x5xf32>, tensor<3x3xf32>, tensor<2x3x4xi1>, tensor<3x8xf32>, tensor<3x5xf32>, tensor<3x5xf32>, tensor<4x2xf32>) -> ()
  return
}
