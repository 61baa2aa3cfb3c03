// RUN: kiln-opt %s --convert-kiln-to-linalg --split-input-file --verify-diagnostics
// Indexing ops the conversion cannot lower (the patterns do not fire).

func.func @cumsum_bool(%x: tensor<4xi1>) -> tensor<4xi1> {
  // expected-error @+2 {{cannot lower to linalg: cumsum of booleans}}
  // expected-error @+1 {{failed to legalize operation 'kiln.cumsum'}}
  %y = kiln.cumsum %x {axis = 0 : i64, exclusive = false, reverse = false} : tensor<4xi1>
  return %y : tensor<4xi1>
}

// -----

func.func @expand_to_unknown_dim(%x: tensor<1xf32>) -> tensor<?xf32> {
  // expected-error @+2 {{cannot lower to linalg: expand to a dynamic dim the input does not have}}
  // expected-error @+1 {{failed to legalize operation 'kiln.expand'}}
  %y = kiln.expand %x : tensor<1xf32> -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

func.func @topk_unsigned(%x: tensor<4xui8>) -> (tensor<2xui8>, tensor<2xi64>) {
  // expected-error @+2 {{cannot lower to linalg: topk of unsigned integers}}
  // expected-error @+1 {{failed to legalize operation 'kiln.topk'}}
  %v, %i = kiln.topk %x {axis = 0 : i64, k = 2 : i64, largest = true} : tensor<4xui8>
  return %v, %i : tensor<2xui8>, tensor<2xi64>
}
