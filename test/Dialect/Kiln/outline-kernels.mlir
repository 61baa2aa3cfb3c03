// RUN: kiln-opt %s --kiln-outline-kernels --split-input-file | FileCheck %s

// Each kernel becomes a private function next to its caller, in program
// order; the caller calls it with the kernel's operands.

// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.+]]: tensor<1x4x8x8xf32>, %[[W:.+]]: tensor<4x4x1x1xf32>)
// CHECK-NOT: kiln.kernel
// CHECK: %[[A:.+]]:2 = call @conv_relu_0(%[[X]], %[[W]]) : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>)
// CHECK: %[[B:.+]] = call @global_avg_pool_1(%[[A]]#1) : (tensor<1x4x8x8xf32>) -> tensor<1x4x1x1xf32>
// CHECK: %[[F:.+]] = kiln.reshape %[[B]]
// CHECK: return %[[A]]#0, %[[F]]

// CHECK-LABEL: func.func private @conv_relu_0
// CHECK-SAME: (%[[BX:.+]]: tensor<1x4x8x8xf32>, %[[BW:.+]]: tensor<4x4x1x1xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>)
// CHECK-NEXT: %[[C:.+]] = kiln.conv %[[BX]], %[[BW]]
// CHECK-NEXT: %[[R:.+]] = kiln.relu %[[C]]
// CHECK-NEXT: return %[[C]], %[[R]] : tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>

// CHECK-LABEL: func.func private @global_avg_pool_1
// CHECK-NEXT: kiln.global_avg_pool
// CHECK-NEXT: return
func.func @main(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x1x1xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4xf32>) attributes {kiln.entry} {
  %k:2 = kiln.kernel "conv_relu_0" (%x, %w) : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) {
  ^bb0(%a: tensor<1x4x8x8xf32>, %b: tensor<4x4x1x1xf32>):
    %c = kiln.conv %a, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32>
    %r = kiln.relu %c : tensor<1x4x8x8xf32>
    kiln.yield %c, %r : tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>
  }
  %p = kiln.kernel "global_avg_pool_1" (%k#1) : (tensor<1x4x8x8xf32>) -> tensor<1x4x1x1xf32> {
  ^bb0(%a: tensor<1x4x8x8xf32>):
    %g = kiln.global_avg_pool %a : tensor<1x4x8x8xf32>
    kiln.yield %g : tensor<1x4x1x1xf32>
  }
  %f = kiln.reshape %p : tensor<1x4x1x1xf32> -> tensor<1x4xf32>
  return %k#0, %f : tensor<1x4x8x8xf32>, tensor<1x4xf32>
}

// -----

// Clashing names (with each other and with an existing symbol) are made
// unique; lowered bodies (linalg, tensor) are moved as they are.

// CHECK-LABEL: func.func @relu_0
// CHECK-LABEL: func.func @f
// CHECK: call @relu_0_0(
// CHECK-LABEL: func.func private @relu_0_0(
// CHECK: linalg.generic
// CHECK-LABEL: func.func @g
// CHECK: call @relu_0_1(
// CHECK-LABEL: func.func private @relu_0_1(
// CHECK: tensor.empty
func.func @relu_0() {
  return
}

#map = affine_map<(d0) -> (d0)>
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %k = kiln.kernel "relu_0" (%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %e = tensor.empty() : tensor<4xf32>
    %zero = arith.constant 0.0 : f32
    %r = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]} ins(%a : tensor<4xf32>) outs(%e : tensor<4xf32>) {
    ^bb1(%in: f32, %out: f32):
      %m = arith.maximumf %in, %zero : f32
      linalg.yield %m : f32
    } -> tensor<4xf32>
    kiln.yield %r : tensor<4xf32>
  }
  return %k : tensor<4xf32>
}

func.func @g(%x: tensor<4xf32>) -> tensor<4xf32> {
  %k = kiln.kernel "relu_0" (%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %e = tensor.empty() : tensor<4xf32>
    kiln.yield %e : tensor<4xf32>
  }
  return %k : tensor<4xf32>
}

// -----

// A function without kernels is left alone.

// CHECK-LABEL: func.func @no_kernels
// CHECK-NEXT: kiln.relu
// CHECK-NEXT: return
// CHECK-NOT: func.func
func.func @no_kernels(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = kiln.relu %x : tensor<4xf32>
  return %r : tensor<4xf32>
}
