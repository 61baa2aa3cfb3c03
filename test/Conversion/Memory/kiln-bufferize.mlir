// RUN: kiln-opt %s --kiln-bufferize="" | FileCheck %s
// RUN: kiln-opt %s --pass-pipeline="builtin.module(kiln-bufferize)" | FileCheck %s

// Tensor-level entry calling outlined kernels, to the runtime ABI form:
// weights, arena, inputs, outputs; the weight is a view into %weights, the
// intermediates share the arena, the output is written in place.
// CHECK: module attributes {kiln.weights = [{name = "{{.+}}", offset = 0 : i64, size = 1024 : i64, value = dense<5.000000e-01> : tensor<16x16xf32>}]}
// CHECK-LABEL: func.func private @matmul
// CHECK-SAME: (%{{.+}}: memref<16x16xf32>, %{{.+}}: memref<16x16xf32>, %{{.+}}: memref<16x16xf32>)
// CHECK-NOT: memref.alloc
// CHECK-LABEL: func.func private @add
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[W:.+]]: memref<?xi8> {kiln.weights_arg}, %[[A:.+]]: memref<?xi8> {kiln.arena_arg}, %[[X:.+]]: memref<16x16xf32> {kiln.name = "x"}, %[[Y:.+]]: memref<16x16xf32> {kiln.name = "y"})
// CHECK-SAME: attributes {kiln.arena_bytes = 2048 : i64, kiln.entry, llvm.emit_c_interface}
// CHECK-NOT: memref.alloc
// CHECK: %[[WV:.+]] = memref.view %[[W]][%{{.+}}][] : memref<?xi8> to memref<16x16xf32>
// CHECK: %[[T0:.+]] = memref.view %[[A]][%{{.+}}][] : memref<?xi8> to memref<16x16xf32>
// CHECK: call @matmul(%[[X]], %[[WV]], %[[T0]])
// CHECK: %[[T1:.+]] = memref.view %[[A]][%{{.+}}][] : memref<?xi8> to memref<16x16xf32>
// CHECK: call @matmul(%[[T0]], %[[WV]], %[[T1]])
// CHECK: call @add(%[[T0]], %[[T1]], %[[Y]])
// CHECK-NOT: memref.copy
// CHECK-NOT: memref.dealloc
// CHECK: return
#map = affine_map<(d0, d1) -> (d0, d1)>
func.func private @matmul(%a: tensor<16x16xf32>, %w: tensor<16x16xf32>) -> tensor<16x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<16x16xf32>) -> tensor<16x16xf32>
  %m = linalg.matmul ins(%a, %w : tensor<16x16xf32>, tensor<16x16xf32>) outs(%f : tensor<16x16xf32>) -> tensor<16x16xf32>
  return %m : tensor<16x16xf32>
}
func.func private @add(%a: tensor<16x16xf32>, %b: tensor<16x16xf32>) -> tensor<16x16xf32> {
  %e = tensor.empty() : tensor<16x16xf32>
  %r = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]} ins(%a, %b : tensor<16x16xf32>, tensor<16x16xf32>) outs(%e : tensor<16x16xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<16x16xf32>
  return %r : tensor<16x16xf32>
}
func.func @main(%x: tensor<16x16xf32> {kiln.name = "x"}) -> (tensor<16x16xf32> {kiln.name = "y"}) attributes {kiln.entry} {
  %w = arith.constant dense<0.5> : tensor<16x16xf32>
  %a = func.call @matmul(%x, %w) : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  %b = func.call @matmul(%a, %w) : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  %c = func.call @add(%a, %b) : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  return %c : tensor<16x16xf32>
}
