// conv_2d_nchw_fchw + bias + relu through tile-and-vectorize and the CPU back
// end, checked by Inputs/conv_main.c against a naive reference.
// RUN: kiln-opt %s --kiln-cpu-tile-and-vectorize --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --buffer-results-to-out-params --canonicalize -o %t.mlir
// RUN: kiln-cpu-emit %t.mlir -o %t.o
// RUN: clang-22 -O2 %S/Inputs/conv_main.c %t.o -o %t.exe -L/usr/lib/llvm-22/lib -lmlir_async_runtime -Wl,-rpath,/usr/lib/llvm-22/lib -lm
// RUN: %t.exe | FileCheck %s
// CHECK: OK

func.func private @k0(%x: tensor<1x64x58x58xf32>, %w: tensor<64x64x3x3xf32>, %b: tensor<64xf32>) -> tensor<1x64x56x56xf32> {
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
func.func @main(%wts: memref<?xi8>, %arena: memref<?xi8>, %x: memref<1x64x58x58xf32>, %w: memref<64x64x3x3xf32>, %b: memref<64xf32>, %out: memref<1x64x56x56xf32>) attributes {kiln.entry} {
  %tx = bufferization.to_tensor %x restrict : memref<1x64x58x58xf32> to tensor<1x64x58x58xf32>
  %tw = bufferization.to_tensor %w restrict : memref<64x64x3x3xf32> to tensor<64x64x3x3xf32>
  %tb = bufferization.to_tensor %b restrict : memref<64xf32> to tensor<64xf32>
  %r = call @k0(%tx, %tw, %tb) : (tensor<1x64x58x58xf32>, tensor<64x64x3x3xf32>, tensor<64xf32>) -> tensor<1x64x56x56xf32>
  bufferization.materialize_in_destination %r in restrict writable %out : (tensor<1x64x56x56xf32>, memref<1x64x56x56xf32>) -> ()
  return
}
