// RUN: kiln-opt %s --kiln-cpu-zero-fills --split-input-file | FileCheck %s

// The zero fill a bufferized tensor.pad starts with becomes a memset of the
// whole buffer (64 * 64 * 4 bytes).
// CHECK-LABEL: func.func @padded
// CHECK:         %[[P:.+]] = memref.extract_aligned_pointer_as_index %arg0
// CHECK:         %[[N:.+]] = arith.constant 16384 : index
// CHECK:         call @kiln_zero_fill(%[[P]], %[[N]])
// CHECK-NOT:     linalg.map
// CHECK:         func.func private @kiln_zero_fill(index, index)
func.func @padded(%buf: memref<64x64xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.map outs(%buf : memref<64x64xf32>)
    (%init: f32) {
      linalg.yield %zero : f32
    }
  return
}

// -----

// Left alone: a non-zero value, -0.0, a small buffer, a strided view, and a
// fill inside a parallel loop.
// CHECK-LABEL: func.func @kept
// CHECK-NOT:     kiln_zero_fill
// CHECK-COUNT-5: linalg.fill
func.func @kept(%a: memref<64x64xf32>, %small: memref<8x8xf32>,
                %view: memref<64x64xf32, strided<[128, 1]>>) {
  %one = arith.constant 1.0 : f32
  %neg = arith.constant -0.0 : f32
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%one : f32) outs(%a : memref<64x64xf32>)
  linalg.fill ins(%neg : f32) outs(%a : memref<64x64xf32>)
  linalg.fill ins(%zero : f32) outs(%small : memref<8x8xf32>)
  linalg.fill ins(%zero : f32) outs(%view : memref<64x64xf32, strided<[128, 1]>>)
  scf.forall (%i) in (2) {
    linalg.fill ins(%zero : f32) outs(%a : memref<64x64xf32>)
  }
  return
}
