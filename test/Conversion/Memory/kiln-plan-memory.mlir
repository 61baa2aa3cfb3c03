// RUN: kiln-opt %s --kiln-plan-memory --allow-unregistered-dialect --split-input-file --verify-diagnostics | FileCheck %s

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

// A dynamically shaped buffer stays on the heap and is freed after its last
// use; the static one next to it still goes to the arena.
// CHECK-LABEL: func.func @main
// CHECK-SAME: kiln.arena_bytes = 256 : i64
// CHECK: %[[D:.+]] = memref.alloc(%{{.+}}) {alignment = 64 : i64} : memref<?x64xf32>
// CHECK: memref.view
// CHECK: call @k(%{{.+}}, %[[D]])
// CHECK-NEXT: call @k(%[[D]], %{{.+}})
// CHECK-NEXT: memref.dealloc %[[D]] : memref<?x64xf32>
// CHECK-NEXT: return
func.func private @k(memref<?x64xf32>, memref<?x64xf32>)
func.func @main(%in: memref<?x64xf32>, %out: memref<?x64xf32>) attributes {kiln.entry} {
  %c0 = arith.constant 0 : index
  %n = memref.dim %in, %c0 : memref<?x64xf32>
  %d = memref.alloc(%n) {alignment = 64 : i64} : memref<?x64xf32>
  %s = memref.alloc() : memref<64xf32>
  "test.use"(%s) : (memref<64xf32>) -> ()
  call @k(%in, %d) : (memref<?x64xf32>, memref<?x64xf32>) -> ()
  call @k(%d, %out) : (memref<?x64xf32>, memref<?x64xf32>) -> ()
  return
}

// -----

// A kernel returning a dynamically shaped buffer it allocates: the caller
// owns it and frees it after its last use; the kernel's own dynamic
// temporary is freed inside the kernel. The entry function returns a
// dynamic output: a fresh buffer it owns is returned as is (not freed); an
// input returned as an output is copied into a fresh buffer first.
// CHECK-LABEL: func.func private @kernel
// CHECK: %[[T:.+]] = memref.alloc(%{{.+}}) : memref<?xf32>
// CHECK: %[[R:.+]] = memref.alloc(%{{.+}}) : memref<?xf32>
// CHECK: "test.use"(%[[T]], %[[R]])
// CHECK-NEXT: memref.dealloc %[[T]]
// CHECK-NEXT: return %[[R]]
// CHECK-LABEL: func.func @main
// CHECK-SAME: -> (memref<?xf32>, memref<?xf32>, memref<?xf32>)
// CHECK: %[[A:.+]] = call @kernel(%[[IN:.+]]) :
// CHECK: %[[B:.+]] = call @kernel(%[[A]]) :
// CHECK-NEXT: memref.dealloc %[[A]]
// CHECK: %[[C:.+]] = call @kernel(%[[B]]) :
// CHECK: %[[FRESH:.+]] = memref.alloc(%{{.+}}) {alignment = 64 : i64} : memref<?xf32>
// CHECK-NEXT: memref.copy %[[IN]], %[[FRESH]]
// CHECK-NOT: memref.dealloc
// CHECK: return %[[B]], %[[C]], %[[FRESH]]
func.func private @kernel(%x: memref<?xf32>) -> memref<?xf32> {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?xf32>
  %t = memref.alloc(%n) : memref<?xf32>
  %r = memref.alloc(%n) : memref<?xf32>
  "test.use"(%t, %r) : (memref<?xf32>, memref<?xf32>) -> ()
  return %r : memref<?xf32>
}
func.func @main(%in: memref<?xf32>) -> (memref<?xf32>, memref<?xf32>, memref<?xf32>) attributes {kiln.entry} {
  %a = call @kernel(%in) : (memref<?xf32>) -> memref<?xf32>
  %b = call @kernel(%a) : (memref<?xf32>) -> memref<?xf32>
  %c = call @kernel(%b) : (memref<?xf32>) -> memref<?xf32>
  return %b, %c, %in : memref<?xf32>, memref<?xf32>, memref<?xf32>
}

// -----

// Static buffers with a non-identity layout still cannot be placed.
func.func @main() attributes {kiln.entry} {
  // expected-error @below {{kiln-plan-memory: cannot place an allocation of 'memref<16xf32, strided<[2]>>' in the arena (layout or memory space)}}
  %b = memref.alloc() : memref<16xf32, strided<[2]>>
  "test.use"(%b) : (memref<16xf32, strided<[2]>>) -> ()
  return
}
