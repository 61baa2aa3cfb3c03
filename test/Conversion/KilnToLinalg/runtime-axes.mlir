// RUN: kiln-opt %s --convert-kiln-to-linalg --split-input-file | FileCheck %s

// Two axes of three read at run time: the bitmask of the normalised axes
// (an axis out of range or seen before fails the assert) selects one of the
// 3-choose-2 static reductions, each cast to the common result type.
// CHECK-DAG: #[[IN:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[KEEP2:.+]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-DAG: #[[KEEP1:.+]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-DAG: #[[KEEP0:.+]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-LABEL: func.func @reduce_two_axes
// CHECK-SAME: (%[[X:.+]]: tensor<2x3x4xf32>, %[[A:.+]]: tensor<2xi64>)
// CHECK: %[[A0:.+]] = tensor.extract %[[A]][%{{.+}}] : tensor<2xi64>
// CHECK: %[[I0:.+]] = arith.index_cast %[[A0]] : i64 to index
// CHECK: arith.addi %[[I0]], %[[C3:.+]] : index
// CHECK: %[[BIT0:.+]] = arith.shli
// CHECK: %[[MASK0:.+]] = arith.ori %{{.+}}, %[[BIT0]] : index
// CHECK: tensor.extract %[[A]][%{{.+}}] : tensor<2xi64>
// CHECK: %[[BIT1:.+]] = arith.shli
// CHECK: %[[SEEN:.+]] = arith.andi %[[MASK0]], %[[BIT1]] : index
// CHECK: %[[UNSEEN:.+]] = arith.cmpi eq, %[[SEEN]]
// CHECK: %[[VALID1:.+]] = arith.andi %{{.+}}, %[[UNSEEN]] : i1
// CHECK: %[[OK:.+]] = arith.andi %{{.+}}, %[[VALID1]] : i1
// CHECK: %[[MASK:.+]] = arith.ori %[[MASK0]], %[[BIT1]] : index
// CHECK: cf.assert %[[OK]], "kiln: node 'ReduceSum_0' (kiln.reduce_dynamic_axes): axes out of range or repeated"
// CHECK: %[[R:.+]] = scf.index_switch %[[MASK]] -> tensor<?xf32>
// CHECK: case 3 {
// CHECK: %[[S3:.+]] = linalg.generic {indexing_maps = [#[[IN]], #[[KEEP2]]], iterator_types = ["reduction", "reduction", "parallel"]} ins(%[[X]]
// CHECK: %[[C3R:.+]] = tensor.cast %[[S3]] : tensor<4xf32> to tensor<?xf32>
// CHECK: scf.yield %[[C3R]]
// CHECK: case 5 {
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[KEEP1]]], iterator_types = ["reduction", "parallel", "reduction"]}
// CHECK: tensor.cast %{{.+}} : tensor<3xf32> to tensor<?xf32>
// CHECK: default {
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[KEEP0]]], iterator_types = ["parallel", "reduction", "reduction"]}
// CHECK: tensor.cast %{{.+}} : tensor<2xf32> to tensor<?xf32>
// CHECK: return %[[R]]
func.func @reduce_two_axes(%x: tensor<2x3x4xf32>, %a: tensor<2xi64>) -> tensor<?xf32> {
  %y = kiln.reduce_dynamic_axes %x, %a {kind = "sum", keepdims = false} : tensor<2x3x4xf32>, tensor<2xi64> loc("ReduceSum_0")
  return %y : tensor<?xf32>
}

// -----

// keepdims: each case expands back to rank 3 before the cast; an input with
// a zero-size dim gives empty results for the cases that keep it.
// CHECK-LABEL: func.func @reduce_keepdims_empty
// CHECK: scf.index_switch %{{.+}} -> tensor<?x?x?xf32>
// CHECK: case 1 {
// CHECK: %[[E:.+]] = tensor.empty() : tensor<1x0x4xf32>
// CHECK: tensor.cast %[[E]] : tensor<1x0x4xf32> to tensor<?x?x?xf32>
// CHECK: case 2 {
// CHECK: %[[F:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<2x1x4xf32>)
// CHECK: tensor.cast %[[F]] : tensor<2x1x4xf32> to tensor<?x?x?xf32>
// CHECK: default {
// CHECK: tensor.empty() : tensor<2x0x1xf32>
func.func @reduce_keepdims_empty(%x: tensor<2x0x4xf32>, %a: tensor<1xi64>) -> tensor<?x?x?xf32> {
  %y = kiln.reduce_dynamic_axes %x, %a {kind = "max", keepdims = true} : tensor<2x0x4xf32>, tensor<1xi64>
  return %y : tensor<?x?x?xf32>
}

// -----

// CumSum with a run-time axis: a switch over the rank possible axes, the
// result type unchanged.
// CHECK-DAG: #[[ALONG0:.+]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[ALONG1:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @cumsum_dynamic_axis
// CHECK-SAME: (%[[X:.+]]: tensor<2x5xf32>, %[[A:.+]]: tensor<i32>)
// CHECK: %[[V:.+]] = tensor.extract %[[A]][] : tensor<i32>
// CHECK: %[[I:.+]] = arith.index_cast %[[V]] : i32 to index
// CHECK: %[[AXIS:.+]] = arith.select %{{.+}}, %{{.+}}, %[[I]] : index
// CHECK: cf.assert %{{.+}}, "kiln: node 'CumSum_0' (kiln.cumsum): axis out of range"
// CHECK: scf.index_switch %[[AXIS]] -> tensor<2x5xf32>
// CHECK: case 0 {
// CHECK: linalg.generic {indexing_maps = [#[[ALONG0]], #{{.+}}]
// CHECK: default {
// CHECK: linalg.generic {indexing_maps = [#[[ALONG1]], #{{.+}}]
func.func @cumsum_dynamic_axis(%x: tensor<2x5xf32>, %a: tensor<i32>) -> tensor<2x5xf32> {
  %y = kiln.cumsum %x, %a {exclusive = false, reverse = false} : tensor<2x5xf32>, tensor<i32> loc("CumSum_0")
  return %y : tensor<2x5xf32>
}

// -----

// A constant axis takes the static lowering: no switch, no assert.
// CHECK-LABEL: func.func @cumsum_static_axis
// CHECK-NOT: cf.assert
// CHECK-NOT: scf.index_switch
// CHECK: linalg.generic
// CHECK-NOT: scf.index_switch
// CHECK: return
func.func @cumsum_static_axis(%x: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %y = kiln.cumsum %x {axis = 1 : i64, exclusive = false, reverse = false} : tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}

// -----

// Trilu with a run-time k needs no switch: k is read once and compared with
// col - row in the generic.
// CHECK-LABEL: func.func @trilu_dynamic_k
// CHECK-SAME: (%[[X:.+]]: tensor<4x5xi64>, %[[K:.+]]: tensor<i64>)
// CHECK: %[[KV:.+]] = tensor.extract %[[K]][] : tensor<i64>
// CHECK: %[[KI:.+]] = arith.index_cast %[[KV]] : i64 to index
// CHECK-NOT: scf.index_switch
// CHECK: linalg.generic
// CHECK: %[[ROW:.+]] = linalg.index 0 : index
// CHECK: %[[COL:.+]] = linalg.index 1 : index
// CHECK: %[[DIFF:.+]] = arith.subi %[[COL]], %[[ROW]] : index
// CHECK: arith.cmpi sge, %[[DIFF]], %[[KI]] : index
func.func @trilu_dynamic_k(%x: tensor<4x5xi64>, %k: tensor<i64>) -> tensor<4x5xi64> {
  %y = kiln.trilu %x, %k {upper = true} : tensor<4x5xi64>, tensor<i64>
  return %y : tensor<4x5xi64>
}
