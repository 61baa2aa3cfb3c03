// RUN: kiln-opt %s -split-input-file -verify-diagnostics

func.func @width(%x: tensor<3xf32>) -> tensor<3xi64> {
  // expected-error @+1 {{'kiln.bitcast' op element types 'f32' and 'i64' differ in width}}
  %y = kiln.bitcast %x : tensor<3xf32> -> tensor<3xi64>
  return %y : tensor<3xi64>
}

// -----

func.func @shape(%x: tensor<3xf32>) -> tensor<1x3xi32> {
  // expected-error @+1 {{'kiln.bitcast' op shape changes from 'tensor<3xf32>' to 'tensor<1x3xi32>'}}
  %y = kiln.bitcast %x : tensor<3xf32> -> tensor<1x3xi32>
  return %y : tensor<1x3xi32>
}

// -----

func.func @bool_is_a_byte(%x: tensor<3xi1>) -> tensor<3xi16> {
  // expected-error @+1 {{'kiln.bitcast' op element types 'i1' and 'i16' differ in width}}
  %y = kiln.bitcast %x : tensor<3xi1> -> tensor<3xi16>
  return %y : tensor<3xi16>
}
