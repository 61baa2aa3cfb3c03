// RUN: kiln-opt %s --convert-kiln-to-linalg --split-input-file --verify-diagnostics | FileCheck %s

// A reshape of dynamic dims that is not a collapse or expand of adjacent
// dims: flatten, then expand with the one dynamic result dim computed as the
// element count over the static result dims.
// CHECK-LABEL: func.func @regroup
// CHECK-SAME: (%[[X:.+]]: tensor<?x6xf32>)
// CHECK: %[[FLAT:.+]] = tensor.collapse_shape %[[X]] {{\[\[}}0, 1]] : tensor<?x6xf32> into tensor<?xf32>
// CHECK: %[[C0:.+]] = arith.constant 0 : index
// CHECK: %[[N:.+]] = tensor.dim %[[FLAT]], %[[C0]]
// CHECK: %[[C4:.+]] = arith.constant 4 : index
// CHECK: %[[ROWS:.+]] = arith.divui %[[N]], %[[C4]]
// CHECK: tensor.expand_shape %[[FLAT]] {{\[\[}}0, 1]] output_shape [%[[ROWS]], 4] : tensor<?xf32> into tensor<?x4xf32>
func.func @regroup(%x: tensor<?x6xf32>) -> tensor<?x4xf32> {
  %r = kiln.reshape %x : tensor<?x6xf32> -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

// A pure expand with a dynamic dim stays one tensor.expand_shape.
// CHECK-LABEL: func.func @expand
// CHECK: tensor.expand_shape %{{.+}} {{\[\[}}0], [1, 2]]
// CHECK-NOT: tensor.collapse_shape
func.func @expand(%x: tensor<?x64xf32>) -> tensor<?x8x8xf32> {
  %r = kiln.reshape %x : tensor<?x64xf32> -> tensor<?x8x8xf32>
  return %r : tensor<?x8x8xf32>
}

// -----

// Two dynamic result dims that do not come from adjacent input dims: the
// element count cannot be split, so the pattern must not fire.
func.func @two_dynamic(%x: tensor<?x6xf32>) -> tensor<?x?x4xf32> {
  // expected-error @+2 {{cannot lower to linalg: reshape to more than one dynamic dim}}
  // expected-error @+1 {{failed to legalize operation 'kiln.reshape' that was explicitly marked illegal}}
  %r = kiln.reshape %x : tensor<?x6xf32> -> tensor<?x?x4xf32>
  return %r : tensor<?x?x4xf32>
}
