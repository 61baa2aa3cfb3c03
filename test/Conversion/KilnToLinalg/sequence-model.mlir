// RUN: kiln-opt %s --convert-kiln-to-linalg --split-input-file | FileCheck %s
// Lowering of the recurrent sequence-model ops.

// Gated delta rule with grouped query heads: q is scaled and the decay
// exp'd once; one scf.for over the 5 tokens carries the f32 state, the
// grouped output and the retrieval scratch; each step slices token t,
// retrieves S^T k into the scratch, updates the state in place (reading its
// init) and reads q^T S into row t of the output.
// CHECK-LABEL: func.func @linear_attention_gated_delta
// CHECK: %[[Q:.+]] = tensor.expand_shape %arg0 {{\[\[}}0], [1, 2], [3], [4]] output_shape [1, 2, 2, 5, 4] : tensor<1x4x5x4xf32> into tensor<1x2x2x5x4xf32>
// CHECK: %[[QS:.+]] = linalg.generic {{.*}} ins(%[[Q]]
// CHECK: %[[G:.+]] = linalg.generic {{.*}} ins(%arg4
// CHECK: math.exp
// CHECK: %[[LOOP:.+]]:3 = scf.for %[[T:.+]] = %c0 to %c5 step %c1 iter_args(%[[S:.+]] = %arg3, %[[O:.+]] = %{{.+}}, %[[R:.+]] = %{{.+}}) -> (tensor<1x2x4x3xf32>, tensor<1x2x2x5x3xf32>, tensor<1x2x3xf32>)
// CHECK: %[[K:.+]] = tensor.extract_slice %arg1[0, 0, %[[T]], 0] [1, 2, 1, 4] [1, 1, 1, 1] : tensor<1x2x5x4xf32> to tensor<1x2x4xf32>
// CHECK: %[[GT:.+]] = tensor.extract_slice %[[G]][0, 0, %[[T]], 0]
// CHECK: %[[RZ:.+]] = linalg.fill {{.*}} outs(%[[R]] :
// CHECK: %[[RET:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[S]], %[[K]], %[[GT]] : {{.*}} outs(%[[RZ]] :
// CHECK: %[[U:.+]] = linalg.generic {{.*}} ins(%{{.+}}, %[[RET]], %{{.+}} :
// CHECK: arith.subf
// CHECK: %[[NEW:.+]] = linalg.generic {{.*}} ins(%[[K]], %[[U]], %[[GT]] : {{.*}} outs(%[[S]] : tensor<1x2x4x3xf32>)
// CHECK: %[[QT:.+]] = tensor.extract_slice %[[QS]][0, 0, 0, %[[T]], 0] [1, 2, 2, 1, 4]
// CHECK: %[[ROW:.+]] = tensor.extract_slice %[[O]][0, 0, 0, %[[T]], 0] [1, 2, 2, 1, 3]
// CHECK: %[[ROWZ:.+]] = linalg.fill {{.*}} outs(%[[ROW]] :
// CHECK: %[[READ:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[QT]], %[[NEW]] : {{.*}} outs(%[[ROWZ]] :
// CHECK: %[[OUT:.+]] = tensor.insert_slice %[[READ]] into %[[O]][0, 0, 0, %[[T]], 0] [1, 2, 2, 1, 3]
// CHECK: scf.yield %[[NEW]], %[[OUT]], %[[RET]]
// CHECK: %[[Y:.+]] = tensor.collapse_shape %[[LOOP]]#1 {{\[\[}}0], [1, 2], [3], [4]] : tensor<1x2x2x5x3xf32> into tensor<1x4x5x3xf32>
// CHECK: return %[[Y]], %[[LOOP]]#0
func.func @linear_attention_gated_delta(%q: tensor<1x4x5x4xf32>, %k: tensor<1x2x5x4xf32>, %v: tensor<1x2x5x3xf32>, %s: tensor<1x2x4x3xf32>, %g: tensor<1x2x5x1xf32>, %b: tensor<1x1x5x1xf32>) -> (tensor<1x4x5x3xf32>, tensor<1x2x4x3xf32>) {
  %o, %n = kiln.linear_attention %q, %k, %v state %s decay %g beta %b {scale = 0.5 : f64} : (tensor<1x4x5x4xf32>, tensor<1x2x5x4xf32>, tensor<1x2x5x3xf32>, tensor<1x2x4x3xf32>, tensor<1x2x5x1xf32>, tensor<1x1x5x1xf32>) -> (tensor<1x4x5x3xf32>, tensor<1x2x4x3xf32>)
  return %o, %n : tensor<1x4x5x3xf32>, tensor<1x2x4x3xf32>
}

// -----

// The plain linear rule on f16: no retrieval reduction; the state starts at
// zero, and both results are converted back to f16.
// CHECK-LABEL: func.func @linear_attention_f16
// CHECK: linalg.fill
// CHECK: scf.for
// CHECK-NOT: arith.subf
// CHECK: scf.yield
// CHECK: arith.truncf
// CHECK: arith.truncf
func.func @linear_attention_f16(%q: tensor<1x2x3x4xf16>, %k: tensor<1x2x3x4xf16>, %v: tensor<1x2x3x4xf16>) -> (tensor<1x2x3x4xf16>, tensor<1x2x4x4xf16>) {
  %o, %n = kiln.linear_attention %q, %k, %v {scale = 0.5 : f64} : (tensor<1x2x3x4xf16>, tensor<1x2x3x4xf16>, tensor<1x2x3x4xf16>) -> (tensor<1x2x3x4xf16>, tensor<1x2x4x4xf16>)
  return %o, %n : tensor<1x2x3x4xf16>, tensor<1x2x4x4xf16>
}
