// RUN: kiln-opt %s --kiln-cpu-microkernel-calls=isa=avx2 --split-input-file | FileCheck %s

// A matmul with B transposed (Gemm transB=1) whose B is a view of the weights:
// B becomes a memref.transpose view, every operand a fully dynamic strided
// memref, and the last argument says operand 1 is constant (bit 1 = 2).
// CHECK-LABEL: func.func private @kernel
// CHECK-SAME:    (%[[A:.+]]: memref<8x16xf32>, %[[B:.+]]: memref<4x16xf32>, %[[C:.+]]: memref<8x4xf32>)
// CHECK:         %[[T:.+]] = memref.transpose %[[B]] (d0, d1) -> (d1, d0)
// CHECK-DAG:     %[[CA:.+]] = memref.cast %[[A]] : memref<8x16xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK-DAG:     %[[CB:.+]] = memref.cast %[[T]]
// CHECK-DAG:     %[[CC:.+]] = memref.cast %[[C]]
// CHECK-DAG:     %[[K:.+]] = arith.constant 2 : i64
// CHECK:         call @kiln_uk_matmul_f32_avx2(%[[CA]], %[[CB]], %[[CC]], %[[K]])
// CHECK-NOT:     linalg.matmul
// CHECK:         func.func private @kiln_uk_matmul_f32_avx2(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64)
func.func private @kernel(%a: memref<8x16xf32>, %b: memref<4x16xf32>, %c: memref<8x4xf32>) {
  linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>,
                                 affine_map<(d0, d1, d2) -> (d1, d2)>,
                                 affine_map<(d0, d1, d2) -> (d0, d1)>]
      ins(%a, %b : memref<8x16xf32>, memref<4x16xf32>) outs(%c : memref<8x4xf32>)
  return
}
func.func @main(%weights: memref<?xi8> {kiln.weights_arg}, %a: memref<8x16xf32>, %c: memref<8x4xf32>) attributes {kiln.entry} {
  %c0 = arith.constant 0 : index
  %b = memref.view %weights[%c0][] : memref<?xi8> to memref<4x16xf32>
  call @kernel(%a, %b, %c) : (memref<8x16xf32>, memref<4x16xf32>, memref<8x4xf32>) -> ()
  return
}

// -----

// A convolution passes its strides and dilations; neither operand is a
// weight here (constants = 0). f16 operands name the f16 entry point.
// CHECK-LABEL: func.func @conv
// CHECK-DAG:     %[[S:.+]] = arith.constant 2 : i64
// CHECK-DAG:     %[[D:.+]] = arith.constant 3 : i64
// CHECK-DAG:     %[[Z:.+]] = arith.constant 0 : i64
// CHECK:         call @kiln_uk_conv2d_nchw_f16_avx2(%{{.+}}, %{{.+}}, %{{.+}}, %[[S]], %[[S]], %[[D]], %[[D]], %[[Z]])
func.func @conv(%x: memref<1x4x15x15xf16>, %w: memref<8x4x3x3xf16>, %y: memref<1x8x5x5xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<3> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : memref<1x4x15x15xf16>, memref<8x4x3x3xf16>) outs(%y : memref<1x8x5x5xf32>)
  return
}

// -----

// Integer and mixed-type contractions and a broadcasting matmul stay linalg.
// CHECK-LABEL: func.func @not_taken
// CHECK-NOT:     call
// CHECK:         linalg.matmul
// CHECK:         linalg.matmul
func.func @not_taken(%a: memref<4x4xi8>, %b: memref<4x4xi8>, %c: memref<4x4xi32>,
                     %x: memref<4x4xf32>, %y: memref<4x4xf16>, %z: memref<4x4xf32>) {
  linalg.matmul ins(%a, %b : memref<4x4xi8>, memref<4x4xi8>) outs(%c : memref<4x4xi32>)
  linalg.matmul ins(%x, %y : memref<4x4xf32>, memref<4x4xf16>) outs(%z : memref<4x4xf32>)
  return
}
