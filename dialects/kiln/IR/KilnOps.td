//===- KilnOps.td - kiln op definitions --------------------*- tablegen -*-===//
//
// The ops of the kiln dialect. Result types are inferred (InferTypeOpInterface)
// wherever ONNX defines them from operand shapes and attributes, so the
// importer and rewrites never compute shapes by hand and verifiers catch
// mismatches.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_OPS_TD
#define KILN_OPS_TD

include "dialects/kiln/IR/KilnBase.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/IR/RegionKindInterface.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def Kiln_ConstantOp : Kiln_Op<"constant",
    [ConstantLike, InferTypeOpAdaptor]> {
  let summary = "Tensor constant (ONNX Constant and graph initializers)";
  let description = [{
    A constant tensor. Weights are `dense_resource` blobs that point at the
    model file's bytes, so importing a model does not copy its weights.

    ```mlir
    %w = kiln.constant dense<[1.0, 2.0]> : tensor<2xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$value attr-dict";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class Kiln_BinaryOp<string mnemonic, string onnx>
    : Kiln_Op<mnemonic, [Kiln_ElementwiseTrait, InferTypeOpAdaptor,
                         AllElementTypesMatch<["lhs", "rhs", "result"]>]> {
  let summary = "Elementwise " # onnx # " with numpy broadcasting";
  let description = [{
    ONNX `}] # onnx # [{` (opset 7+): operands broadcast numpy-style; the
    result shape is their broadcast shape.

    ```mlir
    %r = kiln.}] # mnemonic # [{ %a, %b : tensor<1x64x56x56xf32>, tensor<64x1x1xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$lhs, AnyRankedTensor:$rhs);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
}

def Kiln_AddOp : Kiln_BinaryOp<"add", "Add">;
def Kiln_SubOp : Kiln_BinaryOp<"sub", "Sub">;
def Kiln_MulOp : Kiln_BinaryOp<"mul", "Mul">;
def Kiln_DivOp : Kiln_BinaryOp<"div", "Div">;

class Kiln_UnaryOp<string mnemonic, string onnx, list<Trait> traits = []>
    : Kiln_Op<mnemonic, !listconcat(traits, [Kiln_ElementwiseTrait,
                                             SameOperandsAndResultType])> {
  let summary = "Elementwise " # onnx;
  let description = [{
    ONNX `}] # onnx # [{`, applied to each element.

    ```mlir
    %r = kiln.}] # mnemonic # [{ %x : tensor<1x64xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Kiln_ReluOp : Kiln_UnaryOp<"relu", "Relu">;
def Kiln_SigmoidOp : Kiln_UnaryOp<"sigmoid", "Sigmoid">;

def Kiln_ClipOp : Kiln_Op<"clip", [Kiln_ElementwiseTrait,
                                   SameOperandsAndResultType]> {
  let summary = "Elementwise clamp to [min, max]";
  let description = [{
    ONNX `Clip`. The importer turns the optional `min`/`max` inputs of opset
    11+ into attributes (they must be constants); absent bounds are -inf/+inf.

    ```mlir
    %r = kiln.clip %x {min = 0.0 : f64, max = 6.0 : f64} : tensor<1x32xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, F64Attr:$min, F64Attr:$max);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

include "dialects/kiln/IR/KilnElementwiseOps.td"

//===----------------------------------------------------------------------===//
// Contractions and convolution
//===----------------------------------------------------------------------===//

def Kiln_ConvOp : Kiln_Op<"conv", [InferTypeOpAdaptor]> {
  let summary = "N-d grouped convolution (ONNX Conv), NCHW layout";
  let description = [{
    `input` is `N x C x D1 ... Dn`, `weight` is `M x C/group x K1 ... Kn`,
    the optional `bias` is `M`. `pads` holds the n begin pads then the n end
    pads (ONNX order); `auto_pad` is resolved by the importer.

    ```mlir
    %y = kiln.conv %x, %w, %b {strides = array<i64: 2, 2>,
           pads = array<i64: 3, 3, 3, 3>, dilations = array<i64: 1, 1>, group = 1 : i64}
         : (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>) -> tensor<1x64x112x112xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$weight,
                   Optional<AnyRankedTensor>:$bias,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$dilations, I64Attr:$group);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
}

def Kiln_GemmOp : Kiln_Op<"gemm", [InferTypeOpAdaptor]> {
  let summary = "alpha * op(A) * op(B) + beta * C (ONNX Gemm)";
  let description = [{
    `A` and `B` are 2-D; `op` transposes when `trans_a`/`trans_b` is set.
    The optional `C` broadcasts to the `M x N` result.

    ```mlir
    %y = kiln.gemm %a, %b, %c {alpha = 1.0 : f32, beta = 1.0 : f32,
           trans_a = false, trans_b = true}
         : (tensor<1x2048xf32>, tensor<1000x2048xf32>, tensor<1000xf32>) -> tensor<1x1000xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$a, AnyRankedTensor:$b,
                   Optional<AnyRankedTensor>:$c,
                   F32Attr:$alpha, F32Attr:$beta,
                   BoolAttr:$trans_a, BoolAttr:$trans_b);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $a `,` $b (`,` $c^)? attr-dict `:` functional-type(operands, results)
  }];
}

def Kiln_MatMulOp : Kiln_Op<"matmul", [InferTypeOpAdaptor,
                                       AllElementTypesMatch<["lhs", "rhs", "result"]>]> {
  let summary = "numpy matmul (ONNX MatMul)";
  let description = [{
    1-D operands are promoted as numpy does (and the added dim removed from
    the result); leading batch dims broadcast.

    ```mlir
    %y = kiln.matmul %a, %b : tensor<8x128x64xf32>, tensor<64x32xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$lhs, AnyRankedTensor:$rhs);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
}

//===----------------------------------------------------------------------===//
// Pooling and reductions
//===----------------------------------------------------------------------===//

def Kiln_MaxPoolOp : Kiln_Op<"max_pool", [InferTypeOpAdaptor]> {
  let summary = "N-d max pooling (ONNX MaxPool), NCHW layout";
  let description = [{
    `pads` holds begin pads then end pads; padded elements never win.
    With `ceil_mode` the output size rounds up (windows that start in the
    padding are dropped, as ONNX specifies).

    ```mlir
    %y = kiln.max_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>,
           pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, ceil_mode = false}
         : tensor<1x64x112x112xf32> -> tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$kernel_shape,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$dilations, BoolAttr:$ceil_mode);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Kiln_AvgPoolOp : Kiln_Op<"avg_pool", [InferTypeOpAdaptor]> {
  let summary = "N-d average pooling (ONNX AveragePool), NCHW layout";
  let description = [{
    Averages each window; `count_include_pad` decides whether padded
    positions count in the divisor.

    ```mlir
    %y = kiln.avg_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>,
           pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>,
           ceil_mode = false, count_include_pad = false}
         : tensor<1x8x8x8xf32> -> tensor<1x8x4x4xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$kernel_shape,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$dilations, BoolAttr:$ceil_mode,
                   BoolAttr:$count_include_pad);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Kiln_GlobalAvgPoolOp : Kiln_Op<"global_avg_pool", [InferTypeOpAdaptor]> {
  let summary = "Mean over all spatial dims (ONNX GlobalAveragePool)";
  let description = [{
    `N x C x D1 ... Dn` → `N x C x 1 ... 1`.

    ```mlir
    %y = kiln.global_avg_pool %x : tensor<1x2048x7x7xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Kiln_ReduceMeanOp : Kiln_Op<"reduce_mean", [InferTypeOpAdaptor]> {
  let summary = "Mean over the given axes (ONNX ReduceMean)";
  let description = [{
    `axes` are sorted, unique and non-negative; the importer resolves empty
    axes (reduce all, or identity with `noop_with_empty_axes`).

    ```mlir
    %y = kiln.reduce_mean %x {axes = array<i64: 2, 3>, keepdims = true} : tensor<1x1280x7x7xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$axes,
                   BoolAttr:$keepdims);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Kiln_SoftmaxOp : Kiln_Op<"softmax", [SameOperandsAndResultType]> {
  let summary = "Softmax along one axis (ONNX Softmax, opset 13 semantics)";
  let description = [{
    Normalises along `axis` (non-negative). Older opsets' flatten-to-2-D
    semantics are expressed by the importer with reshapes around this op.

    ```mlir
    %y = kiln.softmax %x {axis = 1 : i64} : tensor<1x1000xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, I64Attr:$axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Kiln_BatchNormOp : Kiln_Op<"batch_norm", [InferTypeOpAdaptor]> {
  let summary = "Inference-mode batch normalisation (ONNX BatchNormalization)";
  let description = [{
    `(x - mean) / sqrt(var + epsilon) * scale + bias` per channel (dim 1).

    ```mlir
    %y = kiln.batch_norm %x, %scale, %bias, %mean, %var {epsilon = 1.0e-05 : f32}
         : (tensor<1x64x56x56xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>)
           -> tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$scale,
                   AnyRankedTensor:$bias, AnyRankedTensor:$mean,
                   AnyRankedTensor:$variance, F32Attr:$epsilon);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale `,` $bias `,` $mean `,` $variance attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Kiln_ReshapeOp : Kiln_Op<"reshape"> {
  let summary = "Reshape to the result type (ONNX Reshape, Flatten)";
  let description = [{
    Reinterprets the row-major elements of `input` with the result's shape;
    element counts must agree. The importer computes the target shape
    (`0` and `-1` entries, Flatten's axis). `sizes` is empty or holds one
    run-time size per dynamic result dim, in order (shapes known only at run
    time); when empty, dynamic result dims follow from the input (a merge or
    split of adjacent dims, or the element count over the static dims).

    ```mlir
    %y = kiln.reshape %x : tensor<1x2048x1x1xf32> -> tensor<1x2048xf32>
    %z = kiln.reshape %x [%n] : tensor<?x768xf32> -> tensor<?x12x64xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, Variadic<Index>:$sizes);
  let results = (outs AnyRankedTensor:$result);
  let builders = [
    OpBuilder<(ins "Type":$result, "Value":$input), [{
      build($_builder, $_state, result, input, ValueRange{});
    }]>
  ];
  let assemblyFormat = [{
    $input (`[` $sizes^ `]`)? attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Kiln_TransposeOp : Kiln_Op<"transpose", [InferTypeOpAdaptor]> {
  let summary = "Permute dims (ONNX Transpose)";
  let description = [{
    Result dim `i` is input dim `perm[i]`.

    ```mlir
    %y = kiln.transpose %x {perm = array<i64: 0, 2, 1>} : tensor<2x3x4xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasFolder = 1;
}

def Kiln_ConcatOp : Kiln_Op<"concat", [InferTypeOpAdaptor]> {
  let summary = "Join tensors along an axis (ONNX Concat)";
  let description = [{
    All inputs agree except along the non-negative `axis`.

    ```mlir
    %y = kiln.concat %a, %b {axis = 1 : i64} : tensor<1x2xf32>, tensor<1x3xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$inputs, I64Attr:$axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` type($inputs)";
  let hasFolder = 1;
}

include "dialects/kiln/IR/KilnDataMovementOps.td"

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

def Kiln_KernelOp : Kiln_Op<"kernel", [IsolatedFromAbove,
    SingleBlockImplicitTerminator<"YieldOp">]> {
  let summary = "A group of ops that a backend compiles as one kernel";
  let description = [{
    The unit of code generation. Graph passes decide what goes into a kernel
    (e.g. a convolution with its bias, batch norm and activation); backends
    lower and schedule each kernel as a whole. The body's arguments are the
    kernel's operands; `kiln.yield` returns its results.

    ```mlir
    %r = kiln.kernel "conv_relu" (%x, %w) : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
    ^bb0(%a: tensor<1x3x8x8xf32>, %b: tensor<4x3x3x3xf32>):
      %c = kiln.conv %a, %b {...} : (...) -> tensor<1x4x6x6xf32>
      %d = kiln.relu %c : tensor<1x4x6x6xf32>
      kiln.yield %d : tensor<1x4x6x6xf32>
    }
    ```
  }];
  let arguments = (ins StrAttr:$sym_name, Variadic<AnyType>:$inputs);
  let results = (outs Variadic<AnyType>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $sym_name ` ` `(` $inputs `)` attr-dict `:` functional-type($inputs, $results) $body
  }];
  let hasVerifier = 1;
}

def Kiln_YieldOp : Kiln_Op<"yield", [Terminator, HasParent<"KernelOp">,
                                     ReturnLike]> {
  let summary = "Returns a kernel's results";
  let description = [{
    ```mlir
    kiln.yield %d : tensor<1x4x6x6xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
  let builders = [OpBuilder<(ins), [{ /* nothing to yield */ }]>];
}

include "dialects/kiln/IR/KilnTransformerOps.td"
include "dialects/kiln/IR/KilnResizeOps.td"
include "dialects/kiln/IR/KilnBitcastOps.td"
include "dialects/kiln/IR/KilnSpatialOps.td"
include "dialects/kiln/IR/KilnSequenceModelOps.td"

#endif // KILN_OPS_TD
