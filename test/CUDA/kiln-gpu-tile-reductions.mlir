// RUN: kiln-opt %s --kiln-gpu-tile-reductions --split-input-file | FileCheck %s
// RUN: kiln-opt %s --kiln-gpu-tile-reductions="host-emulation=true" --split-input-file | FileCheck %s --check-prefix=HOST

// A sum of squares over 768 for 128 outputs: too few outputs for warps, so
// one 256-thread block per output. Lanes fold x*x over r = tid, tid + 256,
// ...; five shuffles per warp, the 8 warp totals through shared memory, five
// more shuffles, and thread 0 adds the total to C.

// CHECK-LABEL: func.func @sum_squares_block
// CHECK-NOT:     linalg.generic
// CHECK-DAG:     %[[C128:.+]] = arith.constant 128 : index
// CHECK-DAG:     %[[C256:.+]] = arith.constant 256 : index
// CHECK:         gpu.launch blocks({{.*}}) in ({{.*}} = %[[C128]], {{.*}}) threads({{.*}}) in ({{.*}} = %[[C256]], {{.*}}) workgroup(%[[WS:.+]] : memref<8xf32, #gpu.address_space<workgroup>>)
// CHECK:           %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK:           scf.for {{.*}} iter_args(%{{.+}} = %[[ZERO]])
// CHECK:             memref.load
// CHECK:             arith.mulf
// CHECK:             arith.addf
// CHECK-COUNT-5:   gpu.shuffle  xor
// CHECK:           memref.store {{.*}}, %[[WS]]
// CHECK:           gpu.barrier
// CHECK:           memref.load %[[WS]]
// CHECK-COUNT-5:   gpu.shuffle  xor
// CHECK:           scf.if
// CHECK:             memref.load
// CHECK:             arith.addf
// CHECK:             memref.store
// CHECK:           gpu.terminator

// HOST-LABEL: func.func @sum_squares_block
// HOST-NOT:     gpu.
// HOST:         scf.parallel
// HOST:           memref.alloc() : memref<256xf32>
// HOST:           arith.xori
// HOST:           memref.dealloc
func.func @sum_squares_block(%x: memref<2x64x768xf32>, %c: memref<2x64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i, j)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : memref<2x64x768xf32>) outs(%c : memref<2x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %sq = arith.mulf %in, %in : f32
    %s = arith.addf %sq, %out : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A max over 100 for 1200 outputs: a warp per output, 8 per block (150
// blocks), no shared memory; lanes start at -inf.

// CHECK-LABEL: func.func @max_warps
// CHECK-DAG:     %[[C150:.+]] = arith.constant 150 : index
// CHECK:         gpu.launch blocks({{.*}}) in ({{.*}} = %[[C150]], {{.*}}) threads
// CHECK-NOT:       workgroup
// CHECK:           arith.constant 0xFF800000 : f32
// CHECK:           arith.maximumf
// CHECK-COUNT-5:   gpu.shuffle  xor
// CHECK-NOT:       gpu.barrier
// CHECK:           gpu.terminator
func.func @max_warps(%x: memref<1200x100xf32>, %c: memref<1200xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<1200x100xf32>) outs(%c : memref<1200xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %out : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Left to the naive mapping: a reduction over a middle axis (lanes would
// not read adjacent elements), one too short for a warp, a body whose last
// op is not a combiner of `out`, 16-bit results (shuffles move 32 bits),
// and a matrix-vector product with its matrix stored [k][n] (threads along
// n read it coalesced; lanes along k would not).

// CHECK-LABEL: func.func @not_tiled
// CHECK-NOT:     gpu.launch
// CHECK-COUNT-4: linalg.generic
// CHECK:         linalg.vecmat
// HOST-LABEL: func.func @not_tiled
// HOST-NOT:     scf.parallel
func.func @not_tiled(%x: memref<64x200x16xf32>, %c: memref<64x16xf32>,
                     %y: memref<64x16xf32>, %d: memref<64xf32>,
                     %h: memref<64x200xf16>, %e: memref<64xf16>,
                     %h32: memref<64x200xf32>, %w: memref<200x64xf32>,
                     %v: memref<200xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, k, j) -> (i, k, j)>, affine_map<(i, k, j) -> (i, j)>],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x : memref<64x200x16xf32>) outs(%c : memref<64x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%y : memref<64x16xf32>) outs(%d : memref<64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%h32 : memref<64x200xf32>) outs(%d : memref<64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.subf %out, %in : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%h : memref<64x200xf16>) outs(%e : memref<64xf16>) {
  ^bb0(%in: f16, %out: f16):
    %s = arith.addf %in, %out : f16
    linalg.yield %s : f16
  }
  linalg.vecmat ins(%v, %w : memref<200xf32>, memref<200x64xf32>) outs(%d : memref<64xf32>)
  return
}
