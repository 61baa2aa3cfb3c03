// RUN: kiln-opt %s --convert-kiln-to-linalg --split-input-file | FileCheck %s

// Casts from and to float8 and narrow types are integer bit manipulation on
// the bits (LowPrecision.cpp): no arith.extf/truncf ever touches an f8 type.

// CHECK-LABEL: func.func @from_f8
// CHECK: linalg.generic
// CHECK: ^bb0(%[[IN:.+]]: f8E5M2, %{{.+}}: f32):
// CHECK: %[[BYTE:.+]] = arith.bitcast %[[IN]] : f8E5M2 to i8
// CHECK: arith.extui %[[BYTE]] : i8 to i32
// CHECK-NOT: arith.extf
// CHECK: %[[F:.+]] = arith.bitcast %{{.+}} : i32 to f32
// CHECK: linalg.yield %[[F]] : f32
func.func @from_f8(%x: tensor<4xf8E5M2>) -> tensor<4xf32> {
  %r = kiln.cast %x : tensor<4xf8E5M2> -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// f16 widens exactly to f32 first; saturation clamps past-range codes to
// 0x7e (448) instead of the NaN code 0x7f.
// CHECK-LABEL: func.func @to_e4m3fn_saturate
// CHECK: ^bb0(%[[IN:.+]]: f16, %{{.+}}: f8E4M3FN):
// CHECK: %[[W:.+]] = arith.extf %[[IN]] : f16 to f32
// CHECK: arith.bitcast %[[W]] : f32 to i32
// CHECK: arith.constant 126 : i32
// CHECK: %[[OVER:.+]] = arith.cmpi sgt
// CHECK: %[[MAX:.+]] = arith.constant 126 : i32
// CHECK: arith.select %[[OVER]], %[[MAX]], %{{.+}} : i32
// CHECK: %[[B:.+]] = arith.trunci %{{.+}} : i32 to i8
// CHECK: %[[R:.+]] = arith.bitcast %[[B]] : i8 to f8E4M3FN
// CHECK: linalg.yield %[[R]] : f8E4M3FN
func.func @to_e4m3fn_saturate(%x: tensor<4xf16>) -> tensor<4xf8E4M3FN> {
  %r = kiln.cast %x {saturate} : tensor<4xf16> -> tensor<4xf8E4M3FN>
  return %r : tensor<4xf8E4M3FN>
}

// -----

// int4 wraps: shift the i32 left by 28 and arithmetically back.
// CHECK-LABEL: func.func @to_int4
// CHECK: arith.fptosi %{{.+}} : f32 to i32
// CHECK: %[[C28:.+]] = arith.constant 28 : i32
// CHECK: %[[L:.+]] = arith.shli %{{.+}}, %[[C28]] : i32
// CHECK: %[[S:.+]] = arith.shrsi %[[L]], %{{.+}} : i32
// CHECK: %[[T:.+]] = arith.trunci %[[S]] : i32 to i8
// CHECK: linalg.yield %[[T]] : i8
func.func @to_int4(%x: tensor<4xf32>) -> tensor<4xi8> {
  %r = kiln.cast %x {narrow = "int4"} : tensor<4xf32> -> tensor<4xi8>
  return %r : tensor<4xi8>
}

// -----

// An ordinary cast takes none of these paths.
// CHECK-LABEL: func.func @plain
// CHECK: arith.truncf %{{.+}} : f32 to f16
// CHECK-NOT: arith.bitcast
// CHECK: linalg.yield
func.func @plain(%x: tensor<4xf32>) -> tensor<4xf16> {
  %r = kiln.cast %x : tensor<4xf32> -> tensor<4xf16>
  return %r : tensor<4xf16>
}
