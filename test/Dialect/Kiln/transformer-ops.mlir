// RUN: kiln-opt %s --split-input-file | kiln-opt | FileCheck %s
// Round trip of the reduction, normalisation and attention ops; result types
// are inferred from the operands and attributes.

// CHECK-LABEL: func @reductions
func.func @reductions(%x: tensor<2x3x4xf32>, %i: tensor<2x5xi32>) -> (tensor<3xf32>, tensor<2x1xi32>, tensor<2x4xi64>) {
  // CHECK: kiln.reduce %{{.*}} {axes = array<i64: 0, 2>, keepdims = false, kind = "log_sum_exp"} : tensor<2x3x4xf32>
  %s = kiln.reduce %x {kind = "log_sum_exp", axes = array<i64: 0, 2>, keepdims = false} : tensor<2x3x4xf32>
  // CHECK: kiln.reduce %{{.*}} {axes = array<i64: 1>, keepdims = true, kind = "max"} : tensor<2x5xi32>
  %m = kiln.reduce %i {kind = "max", axes = array<i64: 1>, keepdims = true} : tensor<2x5xi32>
  // CHECK: kiln.arg_reduce %{{.*}} {axis = 1 : i64, keepdims = false, kind = "max", select_last_index = true} : tensor<2x3x4xf32>
  %a = kiln.arg_reduce %x {kind = "max", axis = 1 : i64, keepdims = false, select_last_index = true} : tensor<2x3x4xf32>
  return %s, %m, %a : tensor<3xf32>, tensor<2x1xi32>, tensor<2x4xi64>
}

// -----

// CHECK-LABEL: func @softmaxes
func.func @softmaxes(%x: tensor<2x7xf16>) -> (tensor<2x7xf16>, tensor<2x7xf16>) {
  // CHECK: kiln.log_softmax %{{.*}} {axis = 1 : i64} : tensor<2x7xf16>
  %l = kiln.log_softmax %x {axis = 1 : i64} : tensor<2x7xf16>
  // CHECK: kiln.hardmax %{{.*}} {axis = 0 : i64} : tensor<2x7xf16>
  %h = kiln.hardmax %x {axis = 0 : i64} : tensor<2x7xf16>
  return %l, %h : tensor<2x7xf16>, tensor<2x7xf16>
}

// -----

// CHECK-LABEL: func @normalize
func.func @normalize(%x: tensor<2x4x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> (tensor<2x4x8xf32>, tensor<2x4x8xf32>) {
  // CHECK: kiln.normalize %{{.*}} scale %{{.*}} bias %{{.*}} {axes = array<i64: 2>, epsilon = 1.000000e-05 : f64, rms = false} : (tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
  %y = kiln.normalize %x scale %g bias %b {axes = array<i64: 2>, epsilon = 1.0e-05 : f64, rms = false} : (tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
  // CHECK: kiln.normalize %{{.*}} {axes = array<i64: 1, 2>, epsilon = {{.+}} : f64, rms = true} : (tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %r = kiln.normalize %x {axes = array<i64: 1, 2>, epsilon = 1.0e-06 : f64, rms = true} : (tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %y, %r : tensor<2x4x8xf32>, tensor<2x4x8xf32>
}

// -----

// CHECK-LABEL: func @attention_gqa
func.func @attention_gqa(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x32xf32>, %m: tensor<1x1x16x16xi1>) -> tensor<1x8x16x32xf32> {
  // CHECK: kiln.attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} {is_causal = true, scale = 1.250000e-01 : f64, softcap = 0.000000e+00 : f64} : (tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x32xf32>, tensor<1x1x16x16xi1>) -> tensor<1x8x16x32xf32>
  %y = kiln.attention %q, %k, %v mask %m {scale = 0.125 : f64, is_causal = true, softcap = 0.0 : f64} : (tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x32xf32>, tensor<1x1x16x16xi1>) -> tensor<1x8x16x32xf32>
  return %y : tensor<1x8x16x32xf32>
}

// -----

// kv_seqlen padding with a per-batch causal offset, a window, and the
// post-softmax probabilities as the second result.
// CHECK-LABEL: func @attention_qk_kv_seqlen
func.func @attention_qk_kv_seqlen(%q: tensor<2x2x3x8xf32>, %k: tensor<2x2x6x8xf32>, %v: tensor<2x2x6x8xf32>, %n: tensor<2xi64>) -> (tensor<2x2x3x8xf32>, tensor<2x2x3x6xf32>) {
  // CHECK: %{{.+}}, %{{.+}} = kiln.attention %{{.*}}, %{{.*}}, %{{.*}} kv_seqlen %{{.*}} {is_causal = true, left_window = 2 : i64, qk_mode = 3 : i64, scale = 1.250000e-01 : f64, softcap = 0.000000e+00 : f64} : (tensor<2x2x3x8xf32>, tensor<2x2x6x8xf32>, tensor<2x2x6x8xf32>, tensor<2xi64>) -> (tensor<2x2x3x8xf32>, tensor<2x2x3x6xf32>)
  %y, %p = kiln.attention %q, %k, %v kv_seqlen %n {scale = 0.125 : f64, is_causal = true, softcap = 0.0 : f64, left_window = 2 : i64, qk_mode = 3 : i64} : (tensor<2x2x3x8xf32>, tensor<2x2x6x8xf32>, tensor<2x2x6x8xf32>, tensor<2xi64>) -> (tensor<2x2x3x8xf32>, tensor<2x2x3x6xf32>)
  return %y, %p : tensor<2x2x3x8xf32>, tensor<2x2x3x6xf32>
}

// -----

// CHECK-LABEL: func @linear_attention
func.func @linear_attention(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %s: tensor<1x2x16x16xf32>, %g: tensor<1x2x8x1xf32>, %b: tensor<1x1x8x1xf32>) -> (tensor<1x4x8x16xf32>, tensor<1x2x16x16xf32>) {
  // CHECK: kiln.linear_attention %{{.*}}, %{{.*}}, %{{.*}} state %{{.*}} decay %{{.*}} beta %{{.*}} {scale = 2.500000e-01 : f64}
  %o, %n = kiln.linear_attention %q, %k, %v state %s decay %g beta %b {scale = 0.25 : f64} : (tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x8x1xf32>, tensor<1x1x8x1xf32>) -> (tensor<1x4x8x16xf32>, tensor<1x2x16x16xf32>)
  return %o, %n : tensor<1x4x8x16xf32>, tensor<1x2x16x16xf32>
}
