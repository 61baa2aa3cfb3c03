// RUN: kiln-opt %s --convert-kiln-to-linalg --split-input-file | FileCheck %s

// f32 → i32: one arith.bitcast per element.
// CHECK-LABEL: func.func @float_to_int
// CHECK: linalg.generic
// CHECK: ^bb0(%[[IN:.+]]: f32, %{{.+}}: i32):
// CHECK: %[[B:.+]] = arith.bitcast %[[IN]] : f32 to i32
// CHECK: linalg.yield %[[B]] : i32
func.func @float_to_int(%x: tensor<2x3xf32>) -> tensor<2x3xi32> {
  %y = kiln.bitcast %x : tensor<2x3xf32> -> tensor<2x3xi32>
  return %y : tensor<2x3xi32>
}

// -----

// Unsigned integers are reinterpreted as signless around the bitcast.
// CHECK-LABEL: func.func @unsigned
// CHECK: %[[S:.+]] = builtin.unrealized_conversion_cast %{{.+}} : ui16 to i16
// CHECK: arith.bitcast %[[S]] : i16 to f16
func.func @unsigned(%x: tensor<4xui16>) -> tensor<4xf16> {
  %y = kiln.bitcast %x : tensor<4xui16> -> tensor<4xf16>
  return %y : tensor<4xf16>
}

// -----

// The one-byte ONNX bool widens to 0/1.
// CHECK-LABEL: func.func @bool_to_byte
// CHECK: %[[E:.+]] = arith.extui %{{.+}} : i1 to i8
// CHECK: builtin.unrealized_conversion_cast %[[E]] : i8 to ui8
func.func @bool_to_byte(%x: tensor<4xi1>) -> tensor<4xui8> {
  %y = kiln.bitcast %x : tensor<4xi1> -> tensor<4xui8>
  return %y : tensor<4xui8>
}

// -----

// A non-zero byte reads as true.
// CHECK-LABEL: func.func @byte_to_bool
// CHECK: arith.cmpi ne
// CHECK-NOT: arith.bitcast
func.func @byte_to_bool(%x: tensor<4xi8>) -> tensor<4xi1> {
  %y = kiln.bitcast %x : tensor<4xi8> -> tensor<4xi1>
  return %y : tensor<4xi1>
}

// -----

// Signless ↔ unsigned of one width: no bitcast, the bits pass through.
// CHECK-LABEL: func.func @same_bits
// CHECK-NOT: arith.bitcast
// CHECK: builtin.unrealized_conversion_cast %{{.+}} : i32 to ui32
func.func @same_bits(%x: tensor<3xi32>) -> tensor<3xui32> {
  %y = kiln.bitcast %x : tensor<3xi32> -> tensor<3xui32>
  return %y : tensor<3xui32>
}
