// RUN: kiln-opt %s --split-input-file --verify-diagnostics | FileCheck %s

// Result types inferred with dynamic (`?`) dims: the `return` types check
// them (a wrong inference fails verification).

// Broadcasting: `?` against 1 stays `?`; `?` against a size takes the size
// (ONNX: a dim broadcast against N must be 1 or N); `?` against `?` stays `?`.
// CHECK-LABEL: func @broadcast
func.func @broadcast(%a: tensor<?x1x64xf32>, %b: tensor<64xf32>, %c: tensor<?x5x1xf32>, %d: tensor<1x?x64xf32>)
    -> (tensor<?x1x64xf32>, tensor<?x5x64xf32>, tensor<?x?x64xf32>) {
  %0 = kiln.add %a, %b : tensor<?x1x64xf32>, tensor<64xf32>
  %1 = kiln.mul %a, %c : tensor<?x1x64xf32>, tensor<?x5x1xf32>
  %2 = kiln.sub %a, %d : tensor<?x1x64xf32>, tensor<1x?x64xf32>
  return %0, %1, %2 : tensor<?x1x64xf32>, tensor<?x5x64xf32>, tensor<?x?x64xf32>
}

// -----

// MatMul with a dynamic batch and seq; transpose moves the `?`.
// CHECK-LABEL: func @matmul_seq
func.func @matmul_seq(%x: tensor<1x?x64xf32>, %w: tensor<64x32xf32>, %q: tensor<1x4x?x16xf32>, %k: tensor<1x4x16x?xf32>)
    -> (tensor<1x?x32xf32>, tensor<1x4x?x?xf32>, tensor<?x1x32xf32>) {
  %0 = kiln.matmul %x, %w : tensor<1x?x64xf32>, tensor<64x32xf32>
  %1 = kiln.matmul %q, %k : tensor<1x4x?x16xf32>, tensor<1x4x16x?xf32>
  %2 = kiln.transpose %0 {perm = array<i64: 1, 0, 2>} : tensor<1x?x32xf32>
  return %0, %1, %2 : tensor<1x?x32xf32>, tensor<1x4x?x?xf32>, tensor<?x1x32xf32>
}

// -----

// Conv, pooling and gemm with a dynamic batch.
// CHECK-LABEL: func @conv_pool_batch
func.func @conv_pool_batch(%x: tensor<?x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %f: tensor<?x16xf32>, %fc: tensor<10x16xf32>)
    -> (tensor<?x4x4x4xf32>, tensor<?x4x2x2xf32>, tensor<?x4x1x1xf32>, tensor<?x10xf32>) {
  %c = kiln.conv %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<?x4x4x4xf32>
  %p = kiln.max_pool %c {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false} : tensor<?x4x4x4xf32> -> tensor<?x4x2x2xf32>
  %g = kiln.global_avg_pool %p : tensor<?x4x2x2xf32>
  %y = kiln.gemm %f, %fc {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<?x16xf32>, tensor<10x16xf32>) -> tensor<?x10xf32>
  return %c, %p, %g, %y : tensor<?x4x4x4xf32>, tensor<?x4x2x2xf32>, tensor<?x4x1x1xf32>, tensor<?x10xf32>
}

// -----

// A dynamic dim does not hide a static mismatch (must not infer).
func.func @matmul_mismatch(%x: tensor<?x64xf32>, %w: tensor<32x8xf32>) {
  // expected-error @below {{matmul inner dims differ: 64 vs 32}}
  %0 = kiln.matmul %x, %w : tensor<?x64xf32>, tensor<32x8xf32>
  return
}
