// RUN: kiln-opt %s --kiln-externalize-weights --split-input-file | FileCheck %s

// Large constants read by the entry function become views into the weights
// argument at 64-byte aligned offsets (a 100-byte one pushes the next to
// 128); a small one and a mutable global stay in the code.
// CHECK: module attributes {kiln.weights = [
// CHECK-SAME: {name = "big0", offset = 0 : i64, size = 400 : i64, value = dense_resource<blob0> : tensor<100xf32>}
// CHECK-SAME: {name = "big1", offset = 448 : i64, size = 1024 : i64, value = dense<1.000000e+00> : tensor<256xf32>}]}
// CHECK-NOT: memref.global "private" constant @big
// CHECK: memref.global "private" constant @small
// CHECK: memref.global "private" @state
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[W:.+]]: memref<?xi8> {kiln.weights_arg}, %[[A:.+]]: memref<?xi8> {kiln.arena_arg}, %[[X:.+]]: memref<4xf32>)
// CHECK-SAME: llvm.emit_c_interface
// CHECK: %[[C0:.+]] = arith.constant 0 : index
// CHECK: memref.view %[[W]][%[[C0]]][] : memref<?xi8> to memref<100xf32>
// CHECK: %[[C448:.+]] = arith.constant 448 : index
// CHECK: memref.view %[[W]][%[[C448]]][] : memref<?xi8> to memref<256xf32>
// CHECK: memref.get_global @small
// CHECK: memref.get_global @state
memref.global "private" constant @big0 : memref<100xf32> = dense_resource<blob0> {alignment = 64 : i64}
memref.global "private" constant @big1 : memref<256xf32> = dense<1.0> {alignment = 64 : i64}
memref.global "private" constant @small : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
memref.global "private" @state : memref<256xf32> = dense<0.0>
func.func private @k(memref<100xf32>, memref<256xf32>, memref<4xf32>, memref<256xf32>, memref<4xf32>)
func.func @main(%x: memref<4xf32>) attributes {kiln.entry} {
  %0 = memref.get_global @big0 : memref<100xf32>
  %1 = memref.get_global @big1 : memref<256xf32>
  %2 = memref.get_global @small : memref<4xf32>
  %3 = memref.get_global @state : memref<256xf32>
  call @k(%0, %1, %2, %3, %x) : (memref<100xf32>, memref<256xf32>, memref<4xf32>, memref<256xf32>, memref<4xf32>) -> ()
  return
}
{-#
  dialect_resources: {
    builtin: {
      blob0: "0x04000000000000000000803F0000004000004040000080400000A0400000C0400000E0400000004100001041000020410000304100004041000050410000604100007041000080410000884100009041000098410000A0410000A8410000B0410000B8410000C0410000C8410000D0410000D8410000E0410000E8410000F0410000F84100000042000004420000084200000C4200001042000014420000184200001C4200002042000024420000284200002C4200003042000034420000384200003C4200004042000044420000484200004C4200005042000054420000584200005C4200006042000064420000684200006C4200007042000074420000784200007C42000080420000824200008442000086420000884200008A4200008C4200008E42000090420000924200009442000096420000984200009A4200009C4200009E420000A0420000A2420000A4420000A6420000A8420000AA420000AC420000AE420000B0420000B2420000B4420000B6420000B8420000BA420000BC420000BE420000C0420000C2420000C4420000C642"
    }
  }
#-}

// -----

// A large constant read only by a kernel (not the entry function) stays.
// CHECK: module attributes {kiln.weights = []}
// CHECK: memref.global "private" constant @kernel_table
// CHECK-LABEL: func.func private @k
// CHECK: memref.get_global @kernel_table
memref.global "private" constant @kernel_table : memref<256xf32> = dense<2.0>
func.func private @k(%o: memref<256xf32>) {
  %0 = memref.get_global @kernel_table : memref<256xf32>
  memref.copy %0, %o : memref<256xf32> to memref<256xf32>
  return
}
func.func @main(%o: memref<256xf32>) attributes {kiln.entry} {
  call @k(%o) : (memref<256xf32>) -> ()
  return
}
