// RUN: kiln-opt %s --kiln-cpu-tile-and-vectorize --split-input-file | FileCheck %s

// matmul + fill: the root is split into forall tiles (32x256: 8x4 tasks),
// the fill is fused, the 8x32 accumulator stays in registers across k and
// the contraction becomes broadcast-FMAs.
// CHECK-LABEL: func.func private @k_matmul
// CHECK:       scf.forall ({{.*}}) = (0, 0) to (256, 1024) step (32, 256)
// CHECK:         vector.transfer_write {{.*}} : vector<1x64xf32>
// CHECK:         %[[ACC:.+]] = vector.transfer_read {{.*}} : tensor<32x256xf32>, vector<8x32xf32>
// CHECK:         scf.for {{.*}} iter_args(%{{.*}} = %[[ACC]]) -> (vector<8x32xf32>)
// CHECK-COUNT-8:   vector.fma {{.*}} : vector<32xf32>
// CHECK-NOT:     linalg.
// CHECK:         scf.forall.in_parallel
func.func private @k_matmul(%a: tensor<256x1024xf32>, %b: tensor<1024x1024xf32>) -> tensor<256x1024xf32> {
  %e = tensor.empty() : tensor<256x1024xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<256x1024xf32>) -> tensor<256x1024xf32>
  %c = linalg.matmul ins(%a, %b : tensor<256x1024xf32>, tensor<1024x1024xf32>) outs(%f : tensor<256x1024xf32>) -> tensor<256x1024xf32>
  return %c : tensor<256x1024xf32>
}

// -----

// conv + bias/relu generic: the generic is the root, the conv and its fill
// are fused into the forall; the conv is decomposed to 1-D and vectorized.
// CHECK-LABEL: func.func private @k_conv
// CHECK:       scf.forall ({{.*}}) = (0, 0, 0) to (64, 56, 56) step
// CHECK:         vector.fma
// CHECK:         arith.maximumf {{.*}} : vector<{{.*}}xf32>
// CHECK-NOT:     linalg.
// CHECK:         scf.forall.in_parallel
func.func private @k_conv(%x: tensor<1x64x58x58xf32>, %w: tensor<64x64x3x3xf32>, %b: tensor<64xf32>) -> tensor<1x64x56x56xf32> {
  %e = tensor.empty() : tensor<1x64x56x56xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x64x58x58xf32>, tensor<64x64x3x3xf32>) outs(%f : tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(n,c,h,w)->(n,c,h,w)>, affine_map<(n,c,h,w)->(c)>, affine_map<(n,c,h,w)->(n,c,h,w)>],
       iterator_types = ["parallel","parallel","parallel","parallel"]} ins(%c, %b : tensor<1x64x56x56xf32>, tensor<64xf32>) outs(%e : tensor<1x64x56x56xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    %m = arith.maximumf %s, %z : f32
    linalg.yield %m : f32
  } -> tensor<1x64x56x56xf32>
  return %r : tensor<1x64x56x56xf32>
}

// -----

// Elementwise with a dynamic dim: the static dim gives 2 tasks, too few (a
// quarter of target-tiles, 8), so the dynamic dim is split too, into 4 chunks
// of a size known at run time; inside, it is stepped by one, so the register
// tile is static again.
// CHECK:       #[[CHUNK:.+]] = affine_map<()[s0] -> (s0 ceildiv 4)>
// CHECK-LABEL: func.func private @k_dynamic
// CHECK:         %[[C:.+]] = affine.apply #[[CHUNK]]()[%{{.+}}]
// CHECK:         %[[S:.+]] = arith.maxsi %[[C]], %c1
// CHECK:       scf.forall ({{.*}}) = (0, 0) to (%{{.+}}, 100) step (%[[S]], 50)
// CHECK:         scf.for {{.*}} to %{{.*}} step %c1
// CHECK:           math.exp {{.*}} : vector<1x50xf32>
// CHECK-NOT:   linalg.generic
func.func private @k_dynamic(%x: tensor<?x100xf32>) -> tensor<?x100xf32> {
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?x100xf32>
  %e = tensor.empty(%d) : tensor<?x100xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i,j)->(i,j)>, affine_map<(i,j)->(i,j)>],
       iterator_types = ["parallel","parallel"]} ins(%x : tensor<?x100xf32>) outs(%e : tensor<?x100xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = math.exp %a : f32
    linalg.yield %m : f32
  } -> tensor<?x100xf32>
  return %r : tensor<?x100xf32>
}

// -----

// The entry function is left alone (it only calls kernels).
// CHECK-LABEL: func.func @main
// CHECK:       linalg.fill
// CHECK-NOT:   scf.forall
func.func @main(%o: tensor<4x4xf32>) -> tensor<4x4xf32> attributes {kiln.entry} {
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%o : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %f : tensor<4x4xf32>
}

// -----

// Reduction over the last dim with a fused elementwise producer: rows are
// distributed, the row is reduced as one vector.
// CHECK-LABEL: func.func private @k_reduce
// CHECK:       scf.forall
// CHECK:         math.exp {{.*}} : vector<
// CHECK:         vector.multi_reduction <add>
// CHECK-NOT:     linalg.generic
func.func private @k_reduce(%x: tensor<64x128xf32>) -> tensor<64xf32> {
  %z = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<64x128xf32>
  %ex = linalg.generic {indexing_maps = [affine_map<(i,j)->(i,j)>, affine_map<(i,j)->(i,j)>],
       iterator_types = ["parallel","parallel"]} ins(%x : tensor<64x128xf32>) outs(%e0 : tensor<64x128xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = math.exp %a : f32
    linalg.yield %m : f32
  } -> tensor<64x128xf32>
  %e = tensor.empty() : tensor<64xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<64xf32>) -> tensor<64xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i,j)->(i,j)>, affine_map<(i,j)->(i)>],
       iterator_types = ["parallel","reduction"]} ins(%ex : tensor<64x128xf32>) outs(%f : tensor<64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<64xf32>
  return %r : tensor<64xf32>
}

// -----

// f16 batch matmul with an f32 accumulator (how f16 MatMuls are lowered): the
// f16 operand vectors are extended to f32 before the contraction, which then
// becomes FMAs; no mixed-precision vector.contract is left for LLVM.
// CHECK-LABEL: func.func private @k_batch_matmul_f16
// CHECK:         arith.extf {{.*}} : vector<{{.*}}xf16> to vector<{{.*}}xf32>
// CHECK:         vector.fma {{.*}} : vector<{{.*}}xf32>
// CHECK-NOT:     vector.contract
// CHECK:         scf.forall.in_parallel
func.func private @k_batch_matmul_f16(%a: tensor<12x4x8xf16>, %b: tensor<12x8x6xf16>) -> tensor<12x4x6xf32> {
  %e = tensor.empty() : tensor<12x4x6xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<12x4x6xf32>) -> tensor<12x4x6xf32>
  %c = linalg.batch_matmul ins(%a, %b : tensor<12x4x8xf16>, tensor<12x8x6xf16>) outs(%f : tensor<12x4x6xf32>) -> tensor<12x4x6xf32>
  return %c : tensor<12x4x6xf32>
}

// -----

// A 3-D MatMul folded into a 2-D matmul, then expanded and given a bias: the
// bias generic is collapsed onto the matmul's 2-D result so that the matmul
// is fused into the forall (it ran outside it, on one thread); the result is
// expanded after the forall.
// CHECK-LABEL: func.func private @k_matmul_epilogue
// CHECK:         scf.forall ({{.*}}) = (0, 0) to (64, 512)
// CHECK:           vector.fma
// CHECK:         scf.forall.in_parallel
// CHECK:         tensor.expand_shape {{.*}} into tensor<1x64x512xf32>
func.func private @k_matmul_epilogue(%a: tensor<64x256xf32>, %b: tensor<256x512xf32>, %bias: tensor<512xf32>) -> tensor<1x64x512xf32> {
  %e = tensor.empty() : tensor<64x512xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<64x512xf32>) -> tensor<64x512xf32>
  %c = linalg.matmul ins(%a, %b : tensor<64x256xf32>, tensor<256x512xf32>) outs(%f : tensor<64x512xf32>) -> tensor<64x512xf32>
  %x = tensor.expand_shape %c [[0, 1], [2]] output_shape [1, 64, 512] : tensor<64x512xf32> into tensor<1x64x512xf32>
  %e3 = tensor.empty() : tensor<1x64x512xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(n,m,k)->(n,m,k)>, affine_map<(n,m,k)->(k)>, affine_map<(n,m,k)->(n,m,k)>],
       iterator_types = ["parallel","parallel","parallel"]} ins(%x, %bias : tensor<1x64x512xf32>, tensor<512xf32>) outs(%e3 : tensor<1x64x512xf32>) {
  ^bb0(%v: f32, %bb: f32, %o: f32):
    %s = arith.addf %v, %bb : f32
    linalg.yield %s : f32
  } -> tensor<1x64x512xf32>
  return %r : tensor<1x64x512xf32>
}

// -----

// The expand_shape of an elementwise result is not collapsed away (only
// contraction epilogues are): the consumer keeps its 3-D iteration space.
// CHECK-LABEL: func.func private @k_elementwise_expand
// CHECK:         tensor.expand_shape {{.*}} into tensor<4x16x64xf32>
// CHECK:         scf.forall
func.func private @k_elementwise_expand(%a: tensor<64x64xf32>) -> tensor<4x16x64xf32> {
  %e = tensor.empty() : tensor<64x64xf32>
  %n = linalg.generic {indexing_maps = [affine_map<(m,k)->(m,k)>, affine_map<(m,k)->(m,k)>],
       iterator_types = ["parallel","parallel"]} ins(%a : tensor<64x64xf32>) outs(%e : tensor<64x64xf32>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.negf %v : f32
    linalg.yield %s : f32
  } -> tensor<64x64xf32>
  %x = tensor.expand_shape %n [[0, 1], [2]] output_shape [4, 16, 64] : tensor<64x64xf32> into tensor<4x16x64xf32>
  %e3 = tensor.empty() : tensor<4x16x64xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(n,m,k)->(n,m,k)>, affine_map<(n,m,k)->(n,m,k)>],
       iterator_types = ["parallel","parallel","parallel"]} ins(%x : tensor<4x16x64xf32>) outs(%e3 : tensor<4x16x64xf32>) {
  ^bb0(%v: f32, %o: f32):
    %s = math.exp %v : f32
    linalg.yield %s : f32
  } -> tensor<4x16x64xf32>
  return %r : tensor<4x16x64xf32>
}

// -----

// 197 rows (ViT tokens; prime): the 8-row register tile does not divide it,
// so the row loop is peeled into 24 full 8x32 blocks and one static 5x32 block
// (before, the tile fell back to a single row).
// CHECK-LABEL: func.func private @k_matmul_prime
// CHECK:         scf.for %{{.*}} = %{{.*}} to %c192 step %c8
// CHECK:           vector.transfer_read {{.*}} vector<8x32xf32>
// CHECK:         vector.transfer_read {{.*}} vector<5x32xf32>
// CHECK-COUNT-5:   vector.fma {{.*}} : vector<32xf32>
func.func private @k_matmul_prime(%a: tensor<197x64xf32>, %b: tensor<64x128xf32>) -> tensor<197x128xf32> {
  %e = tensor.empty() : tensor<197x128xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<197x128xf32>) -> tensor<197x128xf32>
  %c = linalg.matmul ins(%a, %b : tensor<197x64xf32>, tensor<64x128xf32>) outs(%f : tensor<197x128xf32>) -> tensor<197x128xf32>
  return %c : tensor<197x128xf32>
}
