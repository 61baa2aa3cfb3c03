// RUN: kiln-opt %s --kiln-form-kernels --split-input-file | FileCheck %s

// The elementwise families fuse like add/relu: a chain of unary, compare,
// where and cast (changing element types along the way, through i1) becomes
// one kernel.

// CHECK-LABEL: func.func @gelu_gate
// CHECK-SAME: (%[[X:.+]]: tensor<2x8xf32>, %[[Y:.+]]: tensor<8xf32>)
// CHECK: %[[K:.+]] = kiln.kernel "unary_compare_where_cast_0" (%[[X]], %[[Y]])
// CHECK-NEXT: ^bb0(%[[BX:.+]]: tensor<2x8xf32>, %[[BY:.+]]: tensor<8xf32>):
// CHECK-NEXT: %[[G:.+]] = kiln.unary gelu %[[BX]]
// CHECK-NEXT: %[[C:.+]] = kiln.compare gt %[[G]], %[[BY]]
// CHECK-NEXT: %[[W:.+]] = kiln.where %[[C]], %[[G]], %[[BY]]
// CHECK-NEXT: %[[H:.+]] = kiln.cast %[[W]] : tensor<2x8xf32> -> tensor<2x8xf16>
// CHECK-NEXT: kiln.yield %[[H]] : tensor<2x8xf16>
// CHECK: return %[[K]]
func.func @gelu_gate(%x: tensor<2x8xf32>, %y: tensor<8xf32>) -> tensor<2x8xf16> {
  %g = kiln.unary gelu %x : tensor<2x8xf32>
  %c = kiln.compare gt %g, %y : tensor<2x8xf32>, tensor<8xf32>
  %w = kiln.where %c, %g, %y : tensor<2x8xi1>, tensor<2x8xf32>, tensor<8xf32>
  %h = kiln.cast %w : tensor<2x8xf32> -> tensor<2x8xf16>
  return %h : tensor<2x8xf16>
}

// -----

// An elementwise op whose result has two users does not pull either user in.
// CHECK-LABEL: func.func @shared_result
// CHECK: kiln.kernel "unary_0"
// CHECK: kiln.kernel "binary_1"
// CHECK: kiln.kernel "classify_2"
func.func @shared_result(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xi1>) {
  %e = kiln.unary exp %x : tensor<4xf32>
  %m = kiln.binary max %e, %x : tensor<4xf32>, tensor<4xf32>
  %n = kiln.classify isinf %e : tensor<4xf32>
  return %m, %n : tensor<4xf32>, tensor<4xi1>
}
