// RUN: kiln-opt %s --kiln-plan-memory --split-input-file --verify-diagnostics | FileCheck %s

// Two buffers whose lifetimes do not overlap share offset 0; the one that
// overlaps both in time gets its own bytes. Deallocs disappear.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[W:.+]]: memref<?xi8> {kiln.weights_arg}, %[[A:.+]]: memref<?xi8> {kiln.arena_arg}, %[[IN:.+]]: memref<256xf32> {kiln.name = "x"}, %[[OUT:.+]]: memref<256xf32> {kiln.name = "y"})
// CHECK-SAME: attributes {kiln.arena_bytes = 2048 : i64, kiln.entry, llvm.emit_c_interface}
// CHECK: %[[C0:.+]] = arith.constant 0 : index
// CHECK: %[[B0:.+]] = memref.view %[[A]][%[[C0]]][] : memref<?xi8> to memref<256xf32>
// CHECK: call @k(%[[IN]], %[[B0]])
// CHECK: %[[C1024:.+]] = arith.constant 1024 : index
// CHECK: %[[B1:.+]] = memref.view %[[A]][%[[C1024]]][] : memref<?xi8> to memref<256xf32>
// CHECK: call @k(%[[B0]], %[[B1]])
// CHECK: %[[C0B:.+]] = arith.constant 0 : index
// CHECK: %[[B2:.+]] = memref.view %[[A]][%[[C0B]]][] : memref<?xi8> to memref<256xf32>
// CHECK: call @k(%[[B1]], %[[B2]])
// CHECK: call @k(%[[B2]], %[[OUT]])
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.dealloc
// CHECK-NOT: memref.copy
func.func private @k(memref<256xf32>, memref<256xf32>)
func.func @main(%in: memref<256xf32> {kiln.name = "x"}, %out: memref<256xf32> {kiln.name = "y"}) attributes {kiln.entry} {
  %b0 = memref.alloc() : memref<256xf32>
  call @k(%in, %b0) : (memref<256xf32>, memref<256xf32>) -> ()
  %b1 = memref.alloc() : memref<256xf32>
  call @k(%b0, %b1) : (memref<256xf32>, memref<256xf32>) -> ()
  memref.dealloc %b0 : memref<256xf32>
  %b2 = memref.alloc() : memref<256xf32>
  call @k(%b1, %b2) : (memref<256xf32>, memref<256xf32>) -> ()
  %b3 = memref.alloc() : memref<256xf32>
  call @k(%b2, %b3) : (memref<256xf32>, memref<256xf32>) -> ()
  memref.copy %b3, %out : memref<256xf32> to memref<256xf32>
  return
}

// -----

// A buffer stays live through an alias: %b0 is read (as %e) by the last
// call, so %b1 (allocated after %b0's last direct use) may not reuse it.
// CHECK-LABEL: func.func @main
// CHECK-SAME: kiln.arena_bytes = 2048 : i64
// CHECK: %[[C0:.+]] = arith.constant 0 : index
// CHECK: %[[B0:.+]] = memref.view %{{.+}}[%[[C0]]][] : memref<?xi8> to memref<256xf32>
// CHECK: %[[E:.+]] = memref.expand_shape %[[B0]]
// CHECK: %[[C1024:.+]] = arith.constant 1024 : index
// CHECK: memref.view %{{.+}}[%[[C1024]]][] : memref<?xi8> to memref<256xf32>
func.func private @k(memref<256xf32>, memref<256xf32>)
func.func private @k2(memref<16x16xf32>, memref<256xf32>, memref<256xf32>)
func.func @main(%in: memref<256xf32>, %out: memref<256xf32>) attributes {kiln.entry} {
  %b0 = memref.alloc() : memref<256xf32>
  call @k(%in, %b0) : (memref<256xf32>, memref<256xf32>) -> ()
  %e = memref.expand_shape %b0 [[0, 1]] output_shape [16, 16] : memref<256xf32> into memref<16x16xf32>
  %b1 = memref.alloc() : memref<256xf32>
  call @k(%in, %b1) : (memref<256xf32>, memref<256xf32>) -> ()
  call @k2(%e, %b1, %out) : (memref<16x16xf32>, memref<256xf32>, memref<256xf32>) -> ()
  return
}

// -----

// Kernel temporaries: a top-level alloc becomes a scratch argument planned in
// the arena; a per-iteration one is freed after its last use.
// CHECK-LABEL: func.func private @kernel
// CHECK-SAME: %{{.+}}: memref<64xf32> {kiln.scratch}
// CHECK-NOT: memref.alloc() : memref<64xf32>
// CHECK: scf.for
// CHECK: %[[T:.+]] = memref.alloc() : memref<8xf32>
// CHECK: memref.dealloc %[[T]]
// CHECK-LABEL: func.func @main
// CHECK-SAME: kiln.arena_bytes = 256 : i64
// CHECK: %[[S:.+]] = memref.view %{{.+}}[%{{.+}}][] : memref<?xi8> to memref<64xf32>
// CHECK: call @kernel(%{{.+}}, %{{.+}}, %[[S]])
func.func private @kernel(%in: memref<64xf32>, %out: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  %tmp = memref.alloc() : memref<64xf32>
  memref.copy %in, %tmp : memref<64xf32> to memref<64xf32>
  scf.for %i = %c0 to %c64 step %c8 {
    %t = memref.alloc() : memref<8xf32>
    %s = memref.subview %tmp[%i] [8] [1] : memref<64xf32> to memref<8xf32, strided<[1], offset: ?>>
    memref.copy %s, %t : memref<8xf32, strided<[1], offset: ?>> to memref<8xf32>
    %o = memref.subview %out[%i] [8] [1] : memref<64xf32> to memref<8xf32, strided<[1], offset: ?>>
    memref.copy %t, %o : memref<8xf32> to memref<8xf32, strided<[1], offset: ?>>
  }
  memref.dealloc %tmp : memref<64xf32>
  return
}
func.func @main(%in: memref<64xf32>, %out: memref<64xf32>) attributes {kiln.entry} {
  call @kernel(%in, %out) : (memref<64xf32>, memref<64xf32>) -> ()
  return
}

// -----

// Dynamic shapes cannot be planned yet: a clear error naming the op.
func.func @main(%n: index) attributes {kiln.entry} {
  // expected-error @below {{kiln-plan-memory: cannot place an allocation of 'memref<?xf32>' in the arena (dynamic shape, layout or memory space)}}
  %b = memref.alloc(%n) : memref<?xf32>
  return
}
