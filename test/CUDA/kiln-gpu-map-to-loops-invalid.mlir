// RUN: kiln-opt %s --kiln-gpu-map-to-loops --split-input-file -verify-diagnostics

// The host may only pass device pointers on, never read through them.
func.func @host_load(%a: memref<4xf32>, %b: memref<f32>) {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{buffer access outside any kernel loop cannot run on the GPU target}}
  %x = memref.load %a[%c0] : memref<4xf32>
  memref.store %x, %b[] : memref<f32>
  return
}

// -----

func.func @tensor_linalg(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{GPU mapping expects bufferized linalg ops}}
  %r = linalg.copy ins(%a : tensor<4xf32>) outs(%a : tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @host_alloc(%a: memref<4xf32>) {
  // expected-error @+1 {{a buffer allocated outside the arena cannot live on the GPU target}}
  %t = memref.alloc() : memref<4xf32>
  memref.copy %a, %t : memref<4xf32> to memref<4xf32>
  return
}
