// End to end through the CPU back end alone: the kernel is tiled and
// vectorized, bufferized, lowered with buildCPULoweringPipeline, emitted by
// emitCPUObject, linked with a C main (Inputs/matmul_main.c) that calls
// kiln_entry with ABI descriptors and checks the product against a naive
// reference. Emission must be deterministic.
// The async runtime is MLIR's until runtime/AsyncRuntime.cpp lands.
// RUN: kiln-opt %s --kiln-cpu-tile-and-vectorize --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --buffer-results-to-out-params --canonicalize -o %t.mlir
// RUN: kiln-cpu-emit %t.mlir -o %t.o
// RUN: kiln-cpu-emit %t.mlir -o %t.again.o
// RUN: cmp %t.o %t.again.o
// RUN: clang-22 -O2 %S/Inputs/matmul_main.c %t.o -o %t.exe -L/usr/lib/llvm-22/lib -lmlir_async_runtime -Wl,-rpath,/usr/lib/llvm-22/lib -lm
// RUN: %t.exe | FileCheck %s
// CHECK: manifest: kiln-manifest
// CHECK: OK

func.func private @k1(%a: tensor<256x1024xf32>, %b: tensor<1024x1024xf32>) -> tensor<256x1024xf32> {
  %e = tensor.empty() : tensor<256x1024xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<256x1024xf32>) -> tensor<256x1024xf32>
  %c = linalg.matmul ins(%a, %b : tensor<256x1024xf32>, tensor<1024x1024xf32>) outs(%f : tensor<256x1024xf32>) -> tensor<256x1024xf32>
  return %c : tensor<256x1024xf32>
}

func.func @main(%w: memref<?xi8>, %arena: memref<?xi8>, %a: memref<256x1024xf32>, %b: memref<1024x1024xf32>, %out: memref<256x1024xf32>)
    attributes {kiln.entry, llvm.emit_c_interface} {
  %ta = bufferization.to_tensor %a restrict : memref<256x1024xf32> to tensor<256x1024xf32>
  %tb = bufferization.to_tensor %b restrict : memref<1024x1024xf32> to tensor<1024x1024xf32>
  %r = call @k1(%ta, %tb) : (tensor<256x1024xf32>, tensor<1024x1024xf32>) -> tensor<256x1024xf32>
  bufferization.materialize_in_destination %r in restrict writable %out : (tensor<256x1024xf32>, memref<256x1024xf32>) -> ()
  return
}
