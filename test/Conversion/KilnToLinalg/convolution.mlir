// RUN: kiln-opt %s --convert-kiln-to-linalg --split-input-file | FileCheck %s

// Zero pad, bias broadcast into the accumulator, strides on the named op.
// CHECK-LABEL: func.func @conv_pads_bias
// CHECK-SAME: (%[[X:.+]]: tensor<?x3x8x8xf32>, %[[W:.+]]: tensor<4x3x3x3xf32>, %[[B:.+]]: tensor<4xf32>)
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[P:.+]] = tensor.pad %[[X]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: tensor.yield %[[ZERO]]
// CHECK: } : tensor<?x3x8x8xf32> to tensor<?x3x10x10xf32>
// CHECK: %[[N:.+]] = tensor.dim %[[P]], %{{.+}}
// CHECK: %[[E:.+]] = tensor.empty(%[[N]]) : tensor<?x4x4x4xf32>
// CHECK: %[[ACC:.+]] = linalg.broadcast ins(%[[B]] : tensor<4xf32>) outs(%[[E]] : tensor<?x4x4x4xf32>) dimensions = [0, 2, 3]
// CHECK: linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%[[P]], %[[W]] : {{.*}}) outs(%[[ACC]] : tensor<?x4x4x4xf32>)
func.func @conv_pads_bias(%x: tensor<?x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<?x4x4x4xf32> {
  %y = kiln.conv %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<?x4x4x4xf32>
  return %y : tensor<?x4x4x4xf32>
}

// -----

// No pads: no tensor.pad; no bias: zero fill.
// CHECK-LABEL: func.func @depthwise
// CHECK-NOT: tensor.pad
// CHECK: %[[ACC:.+]] = linalg.fill
// CHECK: %[[W:.+]] = tensor.collapse_shape %{{.+}} {{\[\[}}0, 1], [2], [3]] : tensor<8x1x3x3xf32> into tensor<8x3x3xf32>
// CHECK: linalg.depthwise_conv_2d_nchw_chw {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%{{.+}}, %[[W]] : {{.*}}) outs(%[[ACC]]
func.func @depthwise(%x: tensor<1x8x8x8xf32>, %w: tensor<8x1x3x3xf32>) -> tensor<1x8x4x4xf32> {
  %y = kiln.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 2, 2>, group = 8 : i64} : (tensor<1x8x8x8xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x4x4xf32>
  return %y : tensor<1x8x4x4xf32>
}

// -----

// Other groups: expand input, weight and accumulator by group.
// CHECK-LABEL: func.func @grouped
// CHECK: %[[P:.+]] = tensor.pad
// CHECK: %[[ACC:.+]] = linalg.broadcast
// CHECK: %[[XI:.+]] = tensor.expand_shape %[[P]] {{\[\[}}0], [1, 2], [3], [4]] {{.*}} into tensor<1x2x2x7x7xf32>
// CHECK: %[[WI:.+]] = tensor.expand_shape %{{.+}} {{\[\[}}0, 1], [2], [3], [4]] {{.*}} into tensor<2x3x2x3x3xf32>
// CHECK: %[[AI:.+]] = tensor.expand_shape %[[ACC]] {{\[\[}}0], [1, 2], [3], [4]] {{.*}} into tensor<1x2x3x3x3xf32>
// CHECK: %[[C:.+]] = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%[[XI]], %[[WI]] : {{.*}}) outs(%[[AI]]
// CHECK: tensor.collapse_shape %[[C]] {{\[\[}}0], [1, 2], [3], [4]] : tensor<1x2x3x3x3xf32> into tensor<1x6x3x3xf32>
func.func @grouped(%x: tensor<1x4x5x5xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>) -> tensor<1x6x3x3xf32> {
  %y = kiln.conv %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 2 : i64} : (tensor<1x4x5x5xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x3x3xf32>
  return %y : tensor<1x6x3x3xf32>
}

// -----

// CHECK-LABEL: func.func @conv_1d
// CHECK: linalg.conv_1d_ncw_fcw {dilations = dense<1> : tensor<1xi64>, strides = dense<2> : tensor<1xi64>}
func.func @conv_1d(%x: tensor<1x2x9xf32>, %w: tensor<3x2x3xf32>) -> tensor<1x3x4xf32> {
  %y = kiln.conv %x, %w {strides = array<i64: 2>, pads = array<i64: 0, 0>, dilations = array<i64: 1>, group = 1 : i64} : (tensor<1x2x9xf32>, tensor<3x2x3xf32>) -> tensor<1x3x4xf32>
  return %y : tensor<1x3x4xf32>
}

// -----

// CHECK-LABEL: func.func @conv_3d
// CHECK: linalg.conv_3d_ncdhw_fcdhw
func.func @conv_3d(%x: tensor<1x2x4x4x4xf32>, %w: tensor<2x2x2x2x2xf32>) -> tensor<1x2x3x3x3xf32> {
  %y = kiln.conv %x, %w {strides = array<i64: 1, 1, 1>, pads = array<i64: 0, 0, 0, 0, 0, 0>, dilations = array<i64: 1, 1, 1>, group = 1 : i64} : (tensor<1x2x4x4x4xf32>, tensor<2x2x2x2x2xf32>) -> tensor<1x2x3x3x3xf32>
  return %y : tensor<1x2x3x3x3xf32>
}

// -----

// conv_transpose: the input spread by the strides (a strided insert_slice
// into zeros), padded to a full correlation ((K-1)*dilation less the pads:
// 2-1 low, 2-0 high), convolved with the weight's channels swapped and its
// taps reversed (a gather generic).
// CHECK-LABEL: func.func @conv_transpose_stride2
// CHECK-SAME: (%[[X:.+]]: tensor<1x4x3x3xf32>, %[[W:.+]]: tensor<4x2x3x3xf32>, %[[B:.+]]: tensor<2xf32>)
// CHECK: %[[Z:.+]] = linalg.fill
// CHECK: %[[S:.+]] = tensor.insert_slice %[[X]] into %[[Z]][0, 0, 0, 0] [1, 4, 3, 3] [1, 1, 2, 2] : tensor<1x4x3x3xf32> into tensor<1x4x5x5xf32>
// CHECK: %[[P:.+]] = tensor.pad %[[S]] low[0, 0, 1, 1] high[0, 0, 2, 2]
// CHECK: %[[WE:.+]] = tensor.expand_shape %[[W]] {{\[\[}}0, 1], [2], [3], [4]] output_shape [1, 4, 2, 3, 3]
// CHECK: %[[F:.+]] = linalg.generic
// CHECK-DAG: %[[G:.+]] = linalg.index 0
// CHECK-DAG: %[[M:.+]] = linalg.index 1
// CHECK-DAG: %[[C:.+]] = linalg.index 2
// CHECK-DAG: %[[KH:.+]] = linalg.index 3
// CHECK-DAG: %[[KW:.+]] = linalg.index 4
// CHECK-DAG: %[[RH:.+]] = arith.subi %{{.+}}, %[[KH]]
// CHECK-DAG: %[[RW:.+]] = arith.subi %{{.+}}, %[[KW]]
// CHECK: tensor.extract %[[WE]][%[[G]], %[[C]], %[[M]], %[[RH]], %[[RW]]]
// CHECK: %[[CW:.+]] = tensor.collapse_shape %[[F]] {{\[\[}}0, 1], [2], [3], [4]] : tensor<1x2x4x3x3xf32> into tensor<2x4x3x3xf32>
// CHECK: %[[ACC:.+]] = linalg.broadcast ins(%[[B]]
// CHECK: linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[P]], %[[CW]] : tensor<1x4x8x8xf32>, tensor<2x4x3x3xf32>) outs(%[[ACC]] : tensor<1x2x6x6xf32>)
func.func @conv_transpose_stride2(%x: tensor<1x4x3x3xf32>, %w: tensor<4x2x3x3xf32>, %b: tensor<2xf32>) -> tensor<1x2x6x6xf32> {
  %y = kiln.conv_transpose %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x4x3x3xf32>, tensor<4x2x3x3xf32>, tensor<2xf32>) -> tensor<1x2x6x6xf32>
  return %y : tensor<1x2x6x6xf32>
}

// -----

// Pads beyond the full-correlation padding drop input instead (no spread
// at stride 1); grouped 1-D runs as 2-D with a unit height.
// CHECK-LABEL: func.func @conv_transpose_crop_grouped_1d
// CHECK-NOT: tensor.insert_slice
// CHECK: %[[S:.+]] = tensor.extract_slice %{{.+}}[0, 0, 1] [2, 4, 4] [1, 1, 1] : tensor<2x4x5xf32> to tensor<2x4x4xf32>
// CHECK-NOT: tensor.pad
// CHECK: %[[X2:.+]] = tensor.expand_shape %[[S]] {{\[\[}}0], [1], [2, 3]] output_shape [2, 4, 1, 4]
// CHECK: %[[C:.+]] = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
// CHECK: %[[C2:.+]] = tensor.collapse_shape %[[C]] {{\[\[}}0], [1, 2], [3], [4]] : tensor<2x2x3x1x3xf32> into tensor<2x6x1x3xf32>
// CHECK: tensor.collapse_shape %[[C2]] {{\[\[}}0], [1], [2, 3]] : tensor<2x6x1x3xf32> into tensor<2x6x3xf32>
func.func @conv_transpose_crop_grouped_1d(%x: tensor<2x4x5xf32>, %w: tensor<4x3x2xf32>) -> tensor<2x6x3xf32> {
  %y = kiln.conv_transpose %x, %w {strides = array<i64: 1>, pads = array<i64: 2, 1>, dilations = array<i64: 1>, group = 2 : i64} : (tensor<2x4x5xf32>, tensor<4x3x2xf32>) -> tensor<2x6x3xf32>
  return %y : tensor<2x6x3xf32>
}
