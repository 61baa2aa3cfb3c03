// RUN: kiln-opt %s --kiln-gpu-map-to-loops --split-input-file | FileCheck %s
// RUN: kiln-opt %s --kiln-gpu-map-to-loops="block-size=128" --split-input-file | FileCheck %s --check-prefix=B128

// An elementwise op: its 3 parallel dims collapse to one loop of 600
// iterations, tiled by 256 with a guard (no min/max bounds).
// CHECK-LABEL: func.func @elementwise
// CHECK:         %[[C256:.+]] = arith.constant 256 : index
// CHECK:         %[[TILE:.+]] = arith.muli %{{.+}}, %[[C256]] : index
// CHECK:         scf.parallel (%[[B:.+]]) = (%{{.+}}) to (%[[N:.+]]) step (%[[TILE]])
// CHECK:           scf.parallel (%[[T:.+]]) = (%{{.+}}) to (%[[TILE]])
// CHECK:             arith.addi %{{.+}}, %[[B]] : index
// CHECK:             arith.cmpi ult, %{{.+}}, %[[N]] : index
// CHECK:             scf.if
// CHECK:               arith.remsi
// CHECK:               arith.divsi
// CHECK:               math.exp
// CHECK-NOT:     linalg.generic
// B128-LABEL: func.func @elementwise
// B128:         arith.constant 128 : index
func.func @elementwise(%a: memref<2x3x100xf32>, %b: memref<2x3x100xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i, j, k)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%a : memref<2x3x100xf32>) outs(%b : memref<2x3x100xf32>) {
  ^bb0(%x: f32, %y: f32):
    %e = math.exp %x : f32
    linalg.yield %e : f32
  }
  return
}

// -----

// A matmul: the parallel dims (i, j) go to threads, the reduction stays a
// sequential loop inside each thread. 8 iterations: the tile is 8, not 256.
// CHECK-LABEL: func.func @matmul
// CHECK:         scf.parallel
// CHECK:           scf.parallel
// CHECK:             scf.if
// CHECK:               scf.for
// CHECK:                 arith.mulf
// CHECK:                 arith.addf
func.func @matmul(%a: memref<2x5xf32>, %b: memref<5x4xf32>, %c: memref<2x4xf32>) {
  linalg.matmul ins(%a, %b : memref<2x5xf32>, memref<5x4xf32>) outs(%c : memref<2x4xf32>)
  return
}

// -----

// A copy between buffers becomes a kernel, not a host memcpy.
// CHECK-LABEL: func.func @copy
// CHECK-NOT:     memref.copy
// CHECK:         scf.parallel
// CHECK:           memref.load
// CHECK:           memref.store
func.func @copy(%a: memref<4x8xf32>, %b: memref<4x8xf32, strided<[16, 1], offset: 4>>) {
  memref.copy %a, %b : memref<4x8xf32> to memref<4x8xf32, strided<[16, 1], offset: 4>>
  return
}

// -----

// A full reduction has no parallel dim: one thread runs it.
// CHECK-LABEL: func.func @full_reduction
// CHECK:         %[[C0:.+]] = arith.constant 0 : index
// CHECK-NEXT:    %[[C1:.+]] = arith.constant 1 : index
// CHECK:         scf.parallel (%{{.+}}) = (%[[C0]]) to (%[[C1]])
// CHECK:           scf.parallel
// CHECK:             scf.for %{{.+}} = %{{.+}} to %[[C64:.+]] step
// CHECK:               memref.load
// CHECK:               memref.store
func.func @full_reduction(%a: memref<64xf32>, %out: memref<f32>) {
  linalg.reduce ins(%a : memref<64xf32>) outs(%out : memref<f32>) dimensions = [0]
    (%x: f32, %acc: f32) {
      %s = arith.addf %x, %acc : f32
      linalg.yield %s : f32
    }
  return
}

// -----

// Nothing to map: views and calls stay on the host as they are.
// CHECK-LABEL: func.func @host_only
// CHECK-NEXT:    arith.constant
// CHECK-NEXT:    %[[V:.+]] = memref.view
// CHECK-NEXT:    call @k(%[[V]])
// CHECK-NEXT:    return
func.func private @k(memref<4xf32>)
func.func @host_only(%arena: memref<?xi8>) {
  %c0 = arith.constant 0 : index
  %v = memref.view %arena[%c0][] : memref<?xi8> to memref<4xf32>
  call @k(%v) : (memref<4xf32>) -> ()
  return
}

// -----

// A constant global is read inside the kernel loop, not passed in from the
// host: the get_global moves into the loop.
// CHECK-LABEL: func.func @global_read
// CHECK-NOT:     memref.get_global
// CHECK:         scf.parallel
// CHECK:           memref.get_global @table : memref<8xf32>
memref.global "private" constant @table : memref<8xf32> = dense<1.0>
func.func @global_read(%a: memref<8xf32>, %b: memref<8xf32>) {
  %t = memref.get_global @table : memref<8xf32>
  linalg.add ins(%a, %t : memref<8xf32>, memref<8xf32>) outs(%b : memref<8xf32>)
  return
}
