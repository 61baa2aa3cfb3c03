// RUN: kiln-opt %s --split-input-file | kiln-opt | FileCheck %s

// CHECK-LABEL: func @conv_relu
func.func @conv_relu(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  // CHECK: kiln.conv %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  %c = kiln.conv %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  // CHECK: kiln.relu %{{.*}} : tensor<1x4x4x4xf32>
  %r = kiln.relu %c : tensor<1x4x4x4xf32>
  return %r : tensor<1x4x4x4xf32>
}

// -----

// CHECK-LABEL: func @broadcast_add
func.func @broadcast_add(%a: tensor<2x1x5xf32>, %b: tensor<3x1xf32>) -> tensor<2x3x5xf32> {
  // CHECK: kiln.add %{{.*}}, %{{.*}} : tensor<2x1x5xf32>, tensor<3x1xf32>
  %r = kiln.add %a, %b : tensor<2x1x5xf32>, tensor<3x1xf32>
  return %r : tensor<2x3x5xf32>
}

// -----

// CHECK-LABEL: func @kernel
func.func @kernel(%x: tensor<1x4x8x8xf32>) -> tensor<1x4xf32> {
  // CHECK: kiln.kernel "k0" (%{{.*}}) : (tensor<1x4x8x8xf32>) -> tensor<1x4x1x1xf32> {
  // CHECK: kiln.global_avg_pool
  // CHECK: kiln.yield
  %k = kiln.kernel "k0" (%x) : (tensor<1x4x8x8xf32>) -> tensor<1x4x1x1xf32> {
  ^bb0(%z: tensor<1x4x8x8xf32>):
    %g = kiln.global_avg_pool %z : tensor<1x4x8x8xf32>
    kiln.yield %g : tensor<1x4x1x1xf32>
  }
  // CHECK: kiln.reshape %{{.*}} : tensor<1x4x1x1xf32> -> tensor<1x4xf32>
  %f = kiln.reshape %k : tensor<1x4x1x1xf32> -> tensor<1x4xf32>
  return %f : tensor<1x4xf32>
}
