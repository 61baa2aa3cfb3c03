// RUN: kiln-opt %s --kiln-gpu-tile-contractions --split-input-file | FileCheck %s
// RUN: kiln-opt %s --kiln-gpu-tile-contractions="host-emulation=true" --split-input-file | FileCheck %s --check-prefix=HOST

// A matmul with its fill before and a bias + relu after: one kernel. 50x80
// outputs give 4 blocks of 64x64 (too few), so 32x32 tiles: 2x3 blocks of
// 256 threads; A is contiguous in k, B in n; K = 90 leaves a partial tile.
// Each thread copies two adjacent elements per load (K = 90 and the 512
// elements of a tile per 256 threads allow no more): A's pair lands in two
// shared rows ([k][m]), B's pair in one; a thread reads its 2 A and 2 B
// values per k step as one vector each. The host form states no alignment.

// CHECK-LABEL: func.func @matmul_fill_epilogue
// CHECK-NOT:     linalg.
// CHECK-DAG:     %[[C6:.+]] = arith.constant 6 : index
// CHECK-DAG:     %[[C256:.+]] = arith.constant 256 : index
// CHECK:         gpu.launch blocks({{.*}}) in ({{.*}} = %[[C6]], {{.*}}) threads({{.*}}) in ({{.*}} = %[[C256]], {{.*}}) workgroup(%[[AS:.+]] : memref<16x36xf32, #gpu.address_space<workgroup>>, %[[BS:.+]] : memref<16x36xf32, #gpu.address_space<workgroup>>)
// CHECK:           scf.for {{.*}} iter_args
// CHECK:             vector.load %{{.*}} {alignment = 8 : i64} : memref<50x90xf32>, vector<2xf32>
// CHECK:             memref.store {{.*}}, %[[AS]]
// CHECK:             memref.store {{.*}}, %[[AS]]
// CHECK:             vector.load %{{.*}} {alignment = 8 : i64} : memref<90x80xf32>, vector<2xf32>
// CHECK:             vector.store {{.*}}, %[[BS]][{{.*}}] {alignment = 8 : i64}
// CHECK:             gpu.barrier
// CHECK:             arith.minui
// CHECK:             scf.for
// CHECK:               vector.load %[[AS]][{{.*}}] {alignment = 8 : i64} : {{.*}}, vector<2xf32>
// CHECK:               vector.load %[[BS]][{{.*}}] {alignment = 8 : i64} : {{.*}}, vector<2xf32>
// CHECK:               arith.mulf
// CHECK:               arith.addf
// CHECK:             gpu.barrier
// CHECK:           arith.addf
// CHECK:           arith.maximumf
// CHECK:           memref.store
// CHECK:           gpu.terminator
// CHECK-NOT:     linalg.

// HOST-LABEL: func.func @matmul_fill_epilogue
// HOST-NOT:     gpu.
// HOST:         scf.parallel
// HOST:           memref.alloc() : memref<16x36xf32>
// HOST:           memref.alloc() : memref<256x4xf32>
// HOST-NOT:         alignment
// HOST:           memref.dealloc
func.func @matmul_fill_epilogue(%a: memref<50x90xf32>, %b: memref<90x80xf32>,
                                %bias: memref<80xf32>, %c: memref<50x80xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<50x80xf32>)
  linalg.matmul ins(%a, %b : memref<50x90xf32>, memref<90x80xf32>) outs(%c : memref<50x80xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c, %bias : memref<50x80xf32>, memref<80xf32>) outs(%c : memref<50x80xf32>) {
  ^bb0(%x: f32, %y: f32, %out: f32):
    %s = arith.addf %x, %y : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// bfloat16 operands, f32 result: tensor cores, 128 threads (4 warps), 32-deep
// k tiles stored [col][k]; 2x4 m16n8k16 mma.sync per warp and 16-step.
// A (k-contiguous) is copied 8 halves at a time into one shared row; B
// (n-contiguous) 8 at a time into 8 rows; fragment registers come in
// adjacent-k pairs, one 4-byte load each.

// CHECK-LABEL: func.func @matmul_bf16
// CHECK:         gpu.launch {{.*}} workgroup(%{{.+}} : memref<64x40xbf16, #gpu.address_space<workgroup>>, %{{.+}} : memref<64x40xbf16, #gpu.address_space<workgroup>>)
// CHECK:           vector.load {{.*}} {alignment = 16 : i64} : memref<128x200xbf16>, vector<8xbf16>
// CHECK:           vector.store {{.*}} {alignment = 16 : i64} : memref<64x40xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
// CHECK:           vector.load {{.*}} {alignment = 16 : i64} : memref<200x96xbf16>, vector<8xbf16>
// CHECK-COUNT-8:   memref.store {{.*}} : memref<64x40xbf16, #gpu.address_space<workgroup>>
// CHECK:           gpu.barrier
// CHECK-COUNT-16:  vector.load {{.*}} {alignment = 4 : i64} : memref<64x40xbf16, #gpu.address_space<workgroup>>, vector<2xbf16>
// CHECK-COUNT-16: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
// CHECK:           gpu.barrier

// HOST-LABEL: func.func @matmul_bf16
// HOST-NOT:     nvgpu.
// HOST:         memref.alloc() : memref<32x8xbf16>
// HOST:         memref.alloc() : memref<32x4xbf16>
func.func @matmul_bf16(%a: memref<128x200xbf16>, %b: memref<200x96xbf16>, %c: memref<128x96xf32>) {
  linalg.matmul ins(%a, %b : memref<128x200xbf16>, memref<200x96xbf16>) outs(%c : memref<128x96xf32>)
  return
}

// -----

// Three rows are too few to share: the matmul is left to the naive mapping,
// and so is an op that is not a two-input contraction.

// CHECK-LABEL: func.func @not_tiled
// CHECK-NOT:     gpu.launch
// CHECK:         linalg.matmul
// CHECK:         linalg.generic
func.func @not_tiled(%a: memref<3x40xf32>, %b: memref<40x50xf32>, %c: memref<3x50xf32>, %s: memref<3xf32>) {
  linalg.matmul ins(%a, %b : memref<3x40xf32>, memref<40x50xf32>) outs(%c : memref<3x50xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%c : memref<3x50xf32>) outs(%s : memref<3xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %r = arith.addf %x, %acc : f32
    linalg.yield %r : f32
  }
  return
}
