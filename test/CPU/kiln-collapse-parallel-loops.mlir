// RUN: kiln-opt %s --kiln-collapse-parallel-loops --split-input-file | FileCheck %s

// A 2-D loop becomes one loop over 28 * 7 = 196 iterations; the original
// indices come back through div/rem and the steps.
// CHECK-LABEL: func.func @two_dims
// CHECK:         scf.parallel (%[[I:.+]]) = (%{{.+}}) to (%[[N:.+]]) step (%{{.+}})
// CHECK-NOT:     scf.parallel
// CHECK:         arith.remsi %[[I]]
// CHECK:         arith.divsi %[[I]]
// CHECK:         memref.store
func.func @two_dims(%out: memref<56x56xf32>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %c56 = arith.constant 56 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c56, %c56) step (%c2, %c8) {
    memref.store %f, %out[%i, %j] : memref<56x56xf32>
    scf.reduce
  }
  return
}

// -----

// A 1-D loop is left alone.
// CHECK-LABEL: func.func @one_dim
// CHECK:         scf.parallel (%{{.+}}) = (%{{.+}}) to (%{{.+}}) step (%{{.+}})
// CHECK-NOT:     arith.remsi
// CHECK-NOT:     arith.divsi
func.func @one_dim(%out: memref<56xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c56 = arith.constant 56 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%c56) step (%c1) {
    memref.store %f, %out[%i] : memref<56xf32>
    scf.reduce
  }
  return
}
