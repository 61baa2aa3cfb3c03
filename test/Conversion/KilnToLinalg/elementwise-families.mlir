// RUN: kiln-opt %s --convert-kiln-to-linalg --split-input-file | FileCheck %s

// 16-bit floats compute in f32: extf → math op → truncf.
// CHECK-LABEL: func.func @erf_f16
// CHECK: linalg.generic
// CHECK: ^bb0(%[[IN:.+]]: f16, %{{.+}}: f16):
// CHECK: %[[E:.+]] = arith.extf %[[IN]] : f16 to f32
// CHECK: %[[R:.+]] = math.erf %[[E]] : f32
// CHECK: %[[T:.+]] = arith.truncf %[[R]] : f32 to f16
// CHECK: linalg.yield %[[T]] : f16
func.func @erf_f16(%x: tensor<4xf16>) -> tensor<4xf16> {
  %r = kiln.unary erf %x : tensor<4xf16>
  return %r : tensor<4xf16>
}

// -----

// f32 needs no conversion.
// CHECK-LABEL: func.func @sqrt_f32
// CHECK-NOT: arith.extf
// CHECK: math.sqrt %{{.+}} : f32
// CHECK-NOT: arith.truncf
func.func @sqrt_f32(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = kiln.unary sqrt %x : tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// Integer Mod takes the divisor's sign: the remainder is moved by the
// divisor when they disagree.
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @mod_int
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]]
// CHECK: ^bb0(%[[A:.+]]: i32, %[[B:.+]]: i32, %{{.+}}: i32):
// CHECK: %[[REM:.+]] = arith.remsi %[[A]], %[[B]] : i32
// CHECK: %[[FIX:.+]] = arith.addi %[[REM]], %[[B]] : i32
// CHECK: arith.select %{{.+}}, %[[FIX]], %[[REM]] : i32
func.func @mod_int(%a: tensor<2x3xi32>, %b: tensor<3xi32>) -> tensor<2x3xi32> {
  %r = kiln.binary mod %a, %b : tensor<2x3xi32>, tensor<3xi32>
  return %r : tensor<2x3xi32>
}

// -----

// Where broadcasts all three operands (a rank-0 operand reads `()`).
// CHECK-DAG: #[[C:.+]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[A:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[S:.+]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @where
// CHECK: linalg.generic {indexing_maps = [#[[C]], #[[A]], #[[S]], #{{.+}}]
// CHECK: ^bb0(%[[CI:.+]]: i1, %[[AI:.+]]: f32, %[[BI:.+]]: f32, %{{.+}}: f32):
// CHECK: arith.select %[[CI]], %[[AI]], %[[BI]] : f32
func.func @where(%c: tensor<2x1xi1>, %a: tensor<3xf32>, %b: tensor<f32>) -> tensor<2x3xf32> {
  %r = kiln.where %c, %a, %b : tensor<2x1xi1>, tensor<3xf32>, tensor<f32>
  return %r : tensor<2x3xf32>
}

// -----

// Comparisons yield i1; dynamic dims size the init with tensor.dim.
// CHECK-LABEL: func.func @compare_dynamic
// CHECK: %[[D:.+]] = tensor.dim
// CHECK: tensor.empty(%[[D]]) : tensor<?x3xi1>
// CHECK: arith.cmpi slt, %{{.+}}, %{{.+}} : i64
// CHECK: linalg.yield %{{.+}} : i1
func.func @compare_dynamic(%a: tensor<?x3xi64>, %b: tensor<3xi64>) -> tensor<?x3xi1> {
  %r = kiln.compare lt %a, %b : tensor<?x3xi64>, tensor<3xi64>
  return %r : tensor<?x3xi1>
}

// -----

// bool → number is 0 or 1 (unsigned); number → bool is != 0.
// CHECK-LABEL: func.func @casts
// CHECK: arith.uitofp %{{.+}} : i1 to f32
// CHECK: arith.cmpf une, %{{.+}}, %{{.+}} : f32
// CHECK: arith.extf %{{.+}} : f16 to f32
// CHECK-NEXT: arith.truncf %{{.+}} : f32 to bf16
func.func @casts(%x: tensor<4xi1>, %h: tensor<4xf16>) -> (tensor<4xi1>, tensor<4xbf16>) {
  %f = kiln.cast %x : tensor<4xi1> -> tensor<4xf32>
  %b = kiln.cast %f : tensor<4xf32> -> tensor<4xi1>
  %bf = kiln.cast %h : tensor<4xf16> -> tensor<4xbf16>
  return %b, %bf : tensor<4xi1>, tensor<4xbf16>
}

// -----

// CHECK-LABEL: func.func @isinf
// CHECK: %[[ABS:.+]] = math.absf %{{.+}} : f64
// CHECK: %[[INF:.+]] = arith.constant 0x7FF0000000000000 : f64
// CHECK: arith.cmpf oeq, %[[ABS]], %[[INF]] : f64
func.func @isinf(%x: tensor<4xf64>) -> tensor<4xi1> {
  %r = kiln.classify isinf %x : tensor<4xf64>
  return %r : tensor<4xi1>
}

// -----

// Integer Relu and Clip use signed max/min; an infinite bound clamps nothing.
// CHECK-LABEL: func.func @int_relu_clip
// CHECK: arith.maxsi
// CHECK: linalg.generic
// CHECK: %[[LO:.+]] = arith.constant -3 : i8
// CHECK: arith.maxsi %{{.+}}, %[[LO]] : i8
// CHECK-NOT: arith.minsi
// CHECK: linalg.yield
func.func @int_relu_clip(%x: tensor<4xi8>) -> tensor<4xi8> {
  %r = kiln.relu %x : tensor<4xi8>
  %c = kiln.clip %r {min = -3.0 : f64, max = 0x7FF0000000000000 : f64} : tensor<4xi8>
  return %c : tensor<4xi8>
}

// -----

// Shift counts outside [0, width) saturate: an arithmetic shift by width-1
// fills with the sign for shr.
// CHECK-LABEL: func.func @shift_right
// CHECK: ^bb0(%[[X:.+]]: i8, %[[Y:.+]]: i8, %{{.+}}: i8):
// CHECK: %[[W:.+]] = arith.constant 8 : i8
// CHECK: %[[OUT:.+]] = arith.cmpi uge, %[[Y]], %[[W]] : i8
// CHECK: %[[W1:.+]] = arith.constant 7 : i8
// CHECK: %[[FILL:.+]] = arith.shrsi %[[X]], %[[W1]] : i8
// CHECK: %[[SH:.+]] = arith.shrsi %[[X]], %[[Y]] : i8
// CHECK: arith.select %[[OUT]], %[[FILL]], %[[SH]] : i8
func.func @shift_right(%x: tensor<4xi8>, %y: tensor<4xi8>) -> tensor<4xi8> {
  %r = kiln.binary shr %x, %y : tensor<4xi8>, tensor<4xi8>
  return %r : tensor<4xi8>
}

// -----

// Unsigned integers compute as signless ones of the same width (arith has
// no unsigned types), with the unsigned flavour of each op.
// CHECK-LABEL: func.func @unsigned
// CHECK: ^bb0(%[[A:.+]]: ui8, %[[B:.+]]: ui8, %{{.+}}: ui8):
// CHECK: %[[SA:.+]] = builtin.unrealized_conversion_cast %[[A]] : ui8 to i8
// CHECK: %[[SB:.+]] = builtin.unrealized_conversion_cast %[[B]] : ui8 to i8
// CHECK: %[[M:.+]] = arith.maxui %[[SA]], %[[SB]] : i8
// CHECK: %[[R:.+]] = builtin.unrealized_conversion_cast %[[M]] : i8 to ui8
// CHECK: linalg.yield %[[R]] : ui8
// CHECK: arith.cmpi ult, %{{.+}}, %{{.+}} : i8
// CHECK: linalg.yield %{{.+}} : i1
// CHECK: arith.uitofp %{{.+}} : i8 to f32
func.func @unsigned(%a: tensor<4xui8>, %b: tensor<4xui8>) -> (tensor<4xui8>, tensor<4xi1>, tensor<4xf32>) {
  %m = kiln.binary max %a, %b : tensor<4xui8>, tensor<4xui8>
  %c = kiln.compare lt %a, %b : tensor<4xui8>, tensor<4xui8>
  %f = kiln.cast %a : tensor<4xui8> -> tensor<4xf32>
  return %m, %c, %f : tensor<4xui8>, tensor<4xi1>, tensor<4xf32>
}
