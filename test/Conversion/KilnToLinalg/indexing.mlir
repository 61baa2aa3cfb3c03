// RUN: kiln-opt %s --convert-kiln-to-linalg --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @gather
// CHECK-SAME: (%[[X:.+]]: tensor<5x4xf32>, %[[I:.+]]: tensor<2x3xi64>)
// CHECK: linalg.generic {{.+}} ins(%[[I]] : tensor<2x3xi64>) outs(%{{.+}} : tensor<2x3x4xf32>)
// CHECK: ^bb0(%[[IDX:.+]]: i64, %{{.+}}: f32):
// CHECK: %[[D2:.+]] = linalg.index 2 : index
// CHECK: %[[C:.+]] = arith.index_cast %[[IDX]] : i64 to index
// CHECK: arith.select
// CHECK: %[[W:.+]] = arith.minsi
// CHECK: tensor.extract %[[X]][%[[W]], %[[D2]]] : tensor<5x4xf32>
func.func @gather(%x: tensor<5x4xf32>, %i: tensor<2x3xi64>) -> tensor<2x3x4xf32> {
  %y = kiln.gather %x, %i {axis = 0 : i64} : tensor<5x4xf32>, tensor<2x3xi64>
  return %y : tensor<2x3x4xf32>
}

// -----

// Positive strides: a view of the input.
// CHECK-LABEL: func.func @slice_forward
// CHECK: tensor.extract_slice %{{.+}}[1, 0] [2, 3] [2, 1] : tensor<?x3xi8> to tensor<2x3xi8>
func.func @slice_forward(%x: tensor<?x3xi8>) -> tensor<2x3xi8> {
  %y = kiln.slice %x {offsets = array<i64: 1, 0>, sizes = array<i64: 2, 3>, strides = array<i64: 2, 1>} : tensor<?x3xi8>
  return %y : tensor<2x3xi8>
}

// -----

// A negative stride: extract_slice must not be used; a generic reads
// x[offset + i * stride].
// CHECK-LABEL: func.func @slice_backward
// CHECK-NOT: tensor.extract_slice
// CHECK: linalg.generic
// CHECK: arith.muli %{{.+}}, %c-1
// CHECK: tensor.extract
func.func @slice_backward(%x: tensor<4xi1>) -> tensor<4xi1> {
  %y = kiln.slice %x {offsets = array<i64: 3>, sizes = array<i64: 4>, strides = array<i64: -1>} : tensor<4xi1>
  return %y : tensor<4xi1>
}

// -----

// CHECK-LABEL: func.func @expand
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #{{.+}}], iterator_types = ["parallel", "parallel", "parallel"]} ins(%{{.+}} : tensor<3x1xf16>) outs(%{{.+}} : tensor<2x3x4xf16>)
func.func @expand(%x: tensor<3x1xf16>) -> tensor<2x3x4xf16> {
  %y = kiln.expand %x : tensor<3x1xf16> -> tensor<2x3x4xf16>
  return %y : tensor<2x3x4xf16>
}

// -----

// CHECK-LABEL: func.func @pad_constant
// CHECK: %[[V:.+]] = tensor.extract %{{.+}}[] : tensor<i32>
// CHECK: tensor.pad %{{.+}} low[1, 0] high[0, 2]
// CHECK: tensor.yield %[[V]] : i32
func.func @pad_constant(%x: tensor<2x3xi32>, %v: tensor<i32>) -> tensor<3x5xi32> {
  %y = kiln.pad %x, %v {mode = "constant", pads = array<i64: 1, 0, 0, 2>} : tensor<2x3xi32>, tensor<i32>
  return %y : tensor<3x5xi32>
}

// -----

// CHECK-LABEL: func.func @pad_reflect
// CHECK-NOT: tensor.pad
// CHECK: linalg.generic
// CHECK: tensor.extract
func.func @pad_reflect(%x: tensor<2x3xf32>, %v: tensor<f32>) -> tensor<2x5xf32> {
  %y = kiln.pad %x, %v {mode = "reflect", pads = array<i64: 0, 1, 0, 1>} : tensor<2x3xf32>, tensor<f32>
  return %y : tensor<2x5xf32>
}

// -----

// CHECK-LABEL: func.func @cumsum
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.cmpi sle
// CHECK: arith.addf
func.func @cumsum(%x: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %y = kiln.cumsum %x {axis = 1 : i64, exclusive = false, reverse = false} : tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}

// -----

// CHECK-LABEL: func.func @trilu
// CHECK: linalg.generic
// CHECK: arith.cmpi sge
// CHECK: arith.select
func.func @trilu(%x: tensor<4x5xi64>) -> tensor<4x5xi64> {
  %y = kiln.trilu %x {upper = true, k = 1 : i64} : tensor<4x5xi64>
  return %y : tensor<4x5xi64>
}

// -----

// CHECK-LABEL: func.func @one_hot
// CHECK: linalg.generic {{.+}} ins(%{{.+}} : tensor<3xi64>) outs(%{{.+}} : tensor<3x10xf32>)
// CHECK: linalg.index 1
// CHECK: arith.cmpi eq
func.func @one_hot(%i: tensor<3xi64>, %v: tensor<2xf32>) -> tensor<3x10xf32> {
  %y = kiln.one_hot %i, %v {axis = 1 : i64, depth = 10 : i64} : tensor<3xi64>, tensor<2xf32>
  return %y : tensor<3x10xf32>
}

// -----

// CHECK-LABEL: func.func @gather_nd
// CHECK-SAME: (%[[X:.+]]: tensor<2x3x4xf32>, %[[I:.+]]: tensor<2x1xi32>)
// CHECK: linalg.generic
// CHECK: %[[B:.+]] = linalg.index 0 : index
// CHECK: %[[J:.+]] = linalg.index 1 : index
// CHECK: tensor.extract %[[I]][%[[B]], %{{.+}}] : tensor<2x1xi32>
// CHECK: %[[W:.+]] = arith.minsi
// CHECK: tensor.extract %[[X]][%[[B]], %[[W]], %[[J]]] : tensor<2x3x4xf32>
func.func @gather_nd(%x: tensor<2x3x4xf32>, %i: tensor<2x1xi32>) -> tensor<2x4xf32> {
  %y = kiln.gather_nd %x, %i {batch_dims = 1 : i64} : tensor<2x3x4xf32>, tensor<2x1xi32>
  return %y : tensor<2x4xf32>
}

// -----

// Scatters are a sequential loop over the updates carrying the result.
// CHECK-LABEL: func.func @scatter_elements_add
// CHECK-SAME: (%[[D:.+]]: tensor<3x4xf32>, %[[I:.+]]: tensor<3x2xi64>, %[[U:.+]]: tensor<3x2xf32>)
// CHECK: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[T:.+]] = %[[D]]) -> (tensor<3x4xf32>)
// CHECK: tensor.extract %[[I]]
// CHECK: tensor.extract %[[U]]
// CHECK: %[[OLD:.+]] = tensor.extract %[[T]]
// CHECK: %[[NEW:.+]] = arith.addf %[[OLD]]
// CHECK: tensor.insert %[[NEW]] into %[[T]]
func.func @scatter_elements_add(%d: tensor<3x4xf32>, %i: tensor<3x2xi64>, %u: tensor<3x2xf32>) -> tensor<3x4xf32> {
  %y = kiln.scatter_elements %d, %i, %u {axis = 1 : i64, reduction = "add"} : tensor<3x4xf32>, tensor<3x2xi64>, tensor<3x2xf32>
  return %y : tensor<3x4xf32>
}

// -----

// Without a reduction the old value is not read.
// CHECK-LABEL: func.func @scatter_nd
// CHECK: scf.for
// CHECK-NOT: arith.addf
// CHECK: tensor.insert
func.func @scatter_nd(%d: tensor<4x3xi8>, %i: tensor<2x1xi64>, %u: tensor<2x3xi8>) -> tensor<4x3xi8> {
  %y = kiln.scatter_nd %d, %i, %u {reduction = "none"} : tensor<4x3xi8>, tensor<2x1xi64>, tensor<2x3xi8>
  return %y : tensor<4x3xi8>
}

// -----

// CHECK-LABEL: func.func @topk
// CHECK: %[[R:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: outs(%{{.+}} : tensor<3x4xi64>)
// CHECK: arith.cmpf ogt
// CHECK: %{{.+}}:2 = linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%{{.+}}, %[[R]] : tensor<3x4xf32>, tensor<3x4xi64>) outs(%{{.+}}, %{{.+}} : tensor<3x2xf32>, tensor<3x2xi64>)
func.func @topk(%x: tensor<3x4xf32>) -> (tensor<3x2xf32>, tensor<3x2xi64>) {
  %v, %i = kiln.topk %x {axis = 1 : i64, k = 2 : i64, largest = true} : tensor<3x4xf32>
  return %v, %i : tensor<3x2xf32>, tensor<3x2xi64>
}
