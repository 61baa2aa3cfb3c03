// RUN: kiln-opt %s --kiln-fuse-elementwise | FileCheck %s

// A splat constant of unsigned integers feeding a generic (a scalar uint8
// zero point) is re-typed signless, so it folds through the widening into
// the consumer (7 as i32) instead of into an invalid ui8 scalar constant
// (without the re-typing this fails to verify).

// CHECK-LABEL: func.func @unsigned_splat
// CHECK-NOT:     ui8
// CHECK:         %[[ZP:.+]] = arith.constant 7 : i32
// CHECK:         linalg.generic
// CHECK:           arith.subi %{{.*}}, %[[ZP]] : i32
func.func @unsigned_splat(%x: tensor<4x8xi32>) -> tensor<4x8xi32> {
  %cst = arith.constant dense<7> : tensor<ui8>
  %e0 = tensor.empty() : tensor<i32>
  %zp = linalg.generic {indexing_maps = [affine_map<() -> ()>, affine_map<() -> ()>],
                        iterator_types = []}
      ins(%cst : tensor<ui8>) outs(%e0 : tensor<i32>) {
  ^bb0(%in: ui8, %out: i32):
    %s = builtin.unrealized_conversion_cast %in : ui8 to i8
    %w = arith.extui %s : i8 to i32
    linalg.yield %w : i32
  } -> tensor<i32>
  %e1 = tensor.empty() : tensor<4x8xi32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> ()>,
                                        affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x, %zp : tensor<4x8xi32>, tensor<i32>) outs(%e1 : tensor<4x8xi32>) {
  ^bb0(%a: i32, %b: i32, %out: i32):
    %d = arith.subi %a, %b : i32
    linalg.yield %d : i32
  } -> tensor<4x8xi32>
  return %r : tensor<4x8xi32>
}
