// RUN: kiln-opt %s --kiln-dedupe-kernels | FileCheck %s

// @k_1 is @k_0 under another name: its call goes to @k_0 (keeping its own
// location) and it is erased. @k_2 differs (a constant) and stays.
// CHECK-LABEL: func.func @main
// CHECK:         call @k_0(%arg0)
// CHECK:         call @k_0(%{{.+}})
// CHECK:         call @k_2(%{{.+}})
// CHECK:         func.func private @k_0
// CHECK-NOT:     func.func private @k_1
// CHECK:         func.func private @k_2
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> attributes {kiln.entry} {
  %0 = call @k_0(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %1 = call @k_1(%0) : (tensor<4xf32>) -> tensor<4xf32> loc("layer1")
  %2 = call @k_2(%1) : (tensor<4xf32>) -> tensor<4xf32>
  return %2 : tensor<4xf32>
}
func.func private @k_0(%a: tensor<4xf32>) -> tensor<4xf32> {
  %c = arith.constant dense<2.0> : tensor<4xf32>
  %r = arith.mulf %a, %c : tensor<4xf32>
  return %r : tensor<4xf32>
}
func.func private @k_1(%b: tensor<4xf32>) -> tensor<4xf32> {
  %c = arith.constant dense<2.0> : tensor<4xf32>
  %r = arith.mulf %b, %c : tensor<4xf32> loc("elsewhere")
  return %r : tensor<4xf32>
}
func.func private @k_2(%a: tensor<4xf32>) -> tensor<4xf32> {
  %c = arith.constant dense<3.0> : tensor<4xf32>
  %r = arith.mulf %a, %c : tensor<4xf32>
  return %r : tensor<4xf32>
}
