// RUN: kiln-opt %s --split-input-file | kiln-opt | FileCheck %s

// The enum-parameterised elementwise families round-trip; default-valued
// alpha/beta are elided.

// CHECK-LABEL: func @unary
func.func @unary(%x: tensor<2x3xf32>, %i: tensor<4xi32>, %b: tensor<4xi1>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<4xi32>, tensor<4xi1>) {
  // CHECK: kiln.unary exp %{{.*}} : tensor<2x3xf32>
  %e = kiln.unary exp %x : tensor<2x3xf32>
  // CHECK: kiln.unary selu %{{.*}} {alpha = 1.500000e+00 : f64, beta = 2.000000e+00 : f64} : tensor<2x3xf32>
  %s = kiln.unary selu %e {alpha = 1.5 : f64, beta = 2.0 : f64} : tensor<2x3xf32>
  // CHECK: kiln.unary abs %{{.*}} : tensor<4xi32>
  %a = kiln.unary abs %i : tensor<4xi32>
  // CHECK: kiln.unary not %{{.*}} : tensor<4xi1>
  %n = kiln.unary not %b : tensor<4xi1>
  return %e, %s, %a, %n : tensor<2x3xf32>, tensor<2x3xf32>, tensor<4xi32>, tensor<4xi1>
}

// -----

// Binary, compare and where infer broadcast shapes; compare and classify
// give i1.
// CHECK-LABEL: func @broadcasting
func.func @broadcasting(%a: tensor<2x1xf16>, %b: tensor<3xf16>, %c: tensor<1x3xi1>) -> (tensor<2x3xf16>, tensor<2x3xi1>, tensor<2x3xf16>, tensor<2x1xi1>) {
  // CHECK: %[[P:.+]] = kiln.binary pow %{{.*}}, %{{.*}} : tensor<2x1xf16>, tensor<3xf16>
  %p = kiln.binary pow %a, %b : tensor<2x1xf16>, tensor<3xf16>
  // CHECK: kiln.compare ge %[[P]], %{{.*}} : tensor<2x3xf16>, tensor<3xf16>
  %g = kiln.compare ge %p, %b : tensor<2x3xf16>, tensor<3xf16>
  // CHECK: kiln.where %{{.*}}, %{{.*}}, %{{.*}} : tensor<1x3xi1>, tensor<2x1xf16>, tensor<3xf16>
  %w = kiln.where %c, %a, %b : tensor<1x3xi1>, tensor<2x1xf16>, tensor<3xf16>
  // CHECK: kiln.classify isneginf %{{.*}} : tensor<2x1xf16>
  %i = kiln.classify isneginf %a : tensor<2x1xf16>
  return %p, %g, %w, %i : tensor<2x3xf16>, tensor<2x3xi1>, tensor<2x3xf16>, tensor<2x1xi1>
}

// -----

// CHECK-LABEL: func @cast
func.func @cast(%x: tensor<?x3xbf16>) -> tensor<?x3xi64> {
  // CHECK: kiln.cast %{{.*}} : tensor<?x3xbf16> -> tensor<?x3xi64>
  %r = kiln.cast %x : tensor<?x3xbf16> -> tensor<?x3xi64>
  return %r : tensor<?x3xi64>
}
