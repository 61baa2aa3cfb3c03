// RUN: kiln-opt %s --pass-pipeline="builtin.module(gpu.module(kiln-gpu-align-workgroup-buffers))" | FileCheck %s

// Every workgroup buffer gets llvm.align = 16 (vector accesses need it);
// a larger alignment already there is kept.

// CHECK-LABEL: gpu.func @kernel
// CHECK-SAME:    workgroup(%{{.+}} : memref<16x68xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.+}} : memref<64x40xf16, #gpu.address_space<workgroup>> {llvm.align = 32 : i64}, %{{.+}} : memref<8xi8, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
gpu.module @kernels {
  gpu.func @kernel(%arg0: memref<4xf32>)
      workgroup(%a : memref<16x68xf32, #gpu.address_space<workgroup>>,
                %b : memref<64x40xf16, #gpu.address_space<workgroup>> {llvm.align = 32 : i64},
                %c : memref<8xi8, #gpu.address_space<workgroup>>) kernel {
    gpu.return
  }
}
