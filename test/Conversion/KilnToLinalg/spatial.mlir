// RUN: kiln-opt %s --convert-kiln-to-linalg --split-input-file | FileCheck %s

// grid_sample is one gather generic over the result: the grid coordinates
// (x first, so dim 3 reads component 0), denormalised, floor + fraction,
// then per tap a masked (zeros padding), clamped read.
// CHECK-LABEL: func.func @grid_sample_linear_zeros
// CHECK-SAME: (%[[X:.+]]: tensor<1x2x4x5xf32>, %[[G:.+]]: tensor<1x3x3x2xf32>)
// CHECK: linalg.generic {{.*}} outs(%{{.+}} : tensor<1x2x3x3xf32>)
// CHECK-DAG: %[[N:.+]] = linalg.index 0
// CHECK-DAG: %[[C:.+]] = linalg.index 1
// CHECK-DAG: %[[OH:.+]] = linalg.index 2
// CHECK-DAG: %[[OW:.+]] = linalg.index 3
// CHECK: %[[GY:.+]] = tensor.extract %[[G]][%[[N]], %[[OH]], %[[OW]], %c1]
// CHECK: math.floor
// CHECK: %[[GX:.+]] = tensor.extract %[[G]][%[[N]], %[[OH]], %[[OW]], %c0]
// CHECK: math.floor
// CHECK: arith.maxnumf
// CHECK: arith.minnumf
// CHECK: arith.fptosi
// CHECK: %[[V:.+]] = tensor.extract %[[X]][%[[N]], %[[C]], %{{.+}}, %{{.+}}]
// CHECK: arith.select %{{.+}}, %[[V]]
// CHECK-COUNT-3: tensor.extract %[[X]]
// CHECK-NOT: tensor.extract %[[X]]
// CHECK: linalg.yield
func.func @grid_sample_linear_zeros(%x: tensor<1x2x4x5xf32>, %g: tensor<1x3x3x2xf32>) -> tensor<1x2x3x3xf32> {
  %y = kiln.grid_sample %x, %g {mode = "linear", padding_mode = "zeros", align_corners = false} : (tensor<1x2x4x5xf32>, tensor<1x3x3x2xf32>) -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}

// -----

// Nearest rounds half to even and reads one tap; border clamps coordinates
// outside the image only; 3-D grids read three components.
// CHECK-LABEL: func.func @grid_sample_nearest_border_3d
// CHECK: math.roundeven
// CHECK: arith.ori
// CHECK: arith.select
// CHECK: math.roundeven
// CHECK: math.roundeven
// CHECK: tensor.extract %arg0
// CHECK-NOT: tensor.extract %arg0
// CHECK-NOT: arith.mulf
// CHECK: linalg.yield
func.func @grid_sample_nearest_border_3d(%x: tensor<1x1x3x2x2xf32>, %g: tensor<1x2x4x2x3xf32>) -> tensor<1x1x2x4x2xf32> {
  %y = kiln.grid_sample %x, %g {mode = "nearest", padding_mode = "border", align_corners = true} : (tensor<1x1x3x2x2xf32>, tensor<1x2x4x2x3xf32>) -> tensor<1x1x2x4x2xf32>
  return %y : tensor<1x1x2x4x2xf32>
}

// -----

// Cubic: 4 taps per dim, 16 reads in 2-D.
// CHECK-LABEL: func.func @grid_sample_cubic_reflection
// CHECK-COUNT-16: tensor.extract %arg0
// CHECK-NOT: tensor.extract %arg0
func.func @grid_sample_cubic_reflection(%x: tensor<2x3x4x4xf32>, %g: tensor<2x5x6x2xf32>) -> tensor<2x3x5x6xf32> {
  %y = kiln.grid_sample %x, %g {mode = "cubic", padding_mode = "reflection", align_corners = false} : (tensor<2x3x4x4xf32>, tensor<2x5x6x2xf32>) -> tensor<2x3x5x6xf32>
  return %y : tensor<2x3x5x6xf32>
}
