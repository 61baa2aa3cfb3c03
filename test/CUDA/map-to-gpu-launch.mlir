// The mapped loops through upstream's block/thread mapping: the tile loop
// becomes the grid (ceildiv of the trip count by the block size), the inner
// loop the threads of a block, and the guard keeps the tail in bounds.
// RUN: kiln-opt %s --kiln-gpu-map-to-loops --gpu-map-parallel-loops --convert-parallel-loops-to-gpu --canonicalize | FileCheck %s

// CHECK-LABEL: func.func @elementwise
// CHECK-DAG:     %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG:     %[[C3:.+]] = arith.constant 3 : index
// CHECK-DAG:     %[[C256:.+]] = arith.constant 256 : index
// CHECK-DAG:     %[[C600:.+]] = arith.constant 600 : index
// CHECK:         gpu.launch blocks(%[[BX:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %[[C3]], %{{.+}} = %[[C1]], %{{.+}} = %[[C1]]) threads(%[[TX:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %[[C256]], %{{.+}} = %[[C1]], %{{.+}} = %[[C1]])
// CHECK:           %[[B:.+]] = affine.apply #{{.+}}()[%[[BX]]]
// CHECK:           %[[I:.+]] = arith.addi %[[TX]], %[[B]] : index
// CHECK:           %[[J:.+]] = arith.addi %[[TX]], %[[B]] : index
// CHECK:           %[[IN:.+]] = arith.cmpi ult, %[[J]], %[[C600]] : index
// CHECK:           scf.if %[[IN]]
// CHECK:             arith.remsi %[[I]]
// CHECK:             math.exp
// CHECK:           gpu.terminator
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
