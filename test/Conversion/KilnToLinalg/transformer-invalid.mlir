// RUN: kiln-opt %s --convert-kiln-to-linalg --split-input-file --verify-diagnostics
// Transformer-family ops the conversion cannot lower: an error at the op
// saying why, then the driver's "failed to legalize".

func.func @einsum_dynamic(%a: tensor<?x4xf32>, %b: tensor<4x5xf32>) -> tensor<?x5xf32> {
  // expected-error @+2 {{cannot lower to linalg: einsum needs static shapes}}
  // expected-error @+1 {{failed to legalize operation 'kiln.einsum' that was explicitly marked illegal}}
  %y = kiln.einsum %a, %b {equation = "ij,jk->ik"} : (tensor<?x4xf32>, tensor<4x5xf32>) -> tensor<?x5xf32>
  return %y : tensor<?x5xf32>
}
