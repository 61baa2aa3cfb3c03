// RUN: kiln-opt %s --kiln-results-to-out-params --allow-unregistered-dialect | FileCheck %s

// Statically shaped results become out-params (the alloc is hoisted to the
// caller); a function with a dynamically shaped result keeps all its results.
// CHECK-LABEL: func.func private @static_kernel
// CHECK-SAME: (%{{.+}}: memref<8xf32>, %[[OUT:.+]]: memref<8xf32>)
// CHECK: "test.fill"(%[[OUT]])
// CHECK: return
// CHECK-NOT: memref
// CHECK-LABEL: func.func private @dynamic_kernel
// CHECK-SAME: (%{{.+}}: memref<?xf32>) -> (memref<?xf32>, memref<8xf32>)
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.+]]: memref<8xf32>, %[[D:.+]]: memref<?xf32>) -> (memref<8xf32>, memref<?xf32>)
// CHECK: %[[S:.+]] = memref.alloc() : memref<8xf32>
// CHECK: call @static_kernel(%[[X]], %[[S]])
// CHECK: %[[R:.+]]:2 = call @dynamic_kernel(%[[D]])
// CHECK: return %[[S]], %[[R]]#0
func.func private @static_kernel(%x: memref<8xf32>) -> memref<8xf32> {
  %b = memref.alloc() : memref<8xf32>
  "test.fill"(%b) : (memref<8xf32>) -> ()
  return %b : memref<8xf32>
}
func.func private @dynamic_kernel(%x: memref<?xf32>) -> (memref<?xf32>, memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?xf32>
  %b = memref.alloc(%n) : memref<?xf32>
  %s = memref.alloc() : memref<8xf32>
  return %b, %s : memref<?xf32>, memref<8xf32>
}
func.func @main(%x: memref<8xf32>, %d: memref<?xf32>) -> (memref<8xf32>, memref<?xf32>) {
  %s = call @static_kernel(%x) : (memref<8xf32>) -> memref<8xf32>
  %r:2 = call @dynamic_kernel(%d) : (memref<?xf32>) -> (memref<?xf32>, memref<8xf32>)
  return %s, %r#0 : memref<8xf32>, memref<?xf32>
}

// All-static public function: results become out-params too.
// CHECK-LABEL: func.func @all_static
// CHECK-SAME: (%{{.+}}: memref<8xf32>) {
func.func @all_static() -> memref<8xf32> {
  %b = memref.alloc() : memref<8xf32>
  "test.fill"(%b) : (memref<8xf32>) -> ()
  return %b : memref<8xf32>
}
