//===- KilnElementwiseOps.td - elementwise op families -----*- tablegen -*-===//
//
// The ONNX elementwise families beyond add/sub/mul/div/relu/sigmoid/clip:
// one op per family (unary math and activations, binary, comparison,
// classification, select, cast), each parameterised by an enum `kind`, so a
// new ONNX op is a new enum case and a switch case in the lowering rather
// than a new op class.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_ELEMENTWISE_OPS_TD
#define KILN_ELEMENTWISE_OPS_TD

include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// Kinds
//===----------------------------------------------------------------------===//

def Kiln_UnaryKind : I32EnumAttr<"UnaryKind", "elementwise unary function", [
    // Float math.
    I32EnumAttrCase<"Exp", 0, "exp">, I32EnumAttrCase<"Log", 1, "log">,
    I32EnumAttrCase<"Sqrt", 2, "sqrt">,
    I32EnumAttrCase<"Reciprocal", 3, "reciprocal">,
    I32EnumAttrCase<"Erf", 4, "erf">, I32EnumAttrCase<"Tanh", 5, "tanh">,
    I32EnumAttrCase<"Sin", 6, "sin">, I32EnumAttrCase<"Cos", 7, "cos">,
    I32EnumAttrCase<"Tan", 8, "tan">, I32EnumAttrCase<"Asin", 9, "asin">,
    I32EnumAttrCase<"Acos", 10, "acos">, I32EnumAttrCase<"Atan", 11, "atan">,
    I32EnumAttrCase<"Sinh", 12, "sinh">, I32EnumAttrCase<"Cosh", 13, "cosh">,
    I32EnumAttrCase<"Asinh", 14, "asinh">,
    I32EnumAttrCase<"Acosh", 15, "acosh">,
    I32EnumAttrCase<"Atanh", 16, "atanh">,
    I32EnumAttrCase<"Floor", 17, "floor">, I32EnumAttrCase<"Ceil", 18, "ceil">,
    I32EnumAttrCase<"Round", 19, "round">,
    // Float activations; `alpha`/`beta` carry their ONNX attributes.
    I32EnumAttrCase<"Softplus", 20, "softplus">,
    I32EnumAttrCase<"Softsign", 21, "softsign">,
    I32EnumAttrCase<"Mish", 22, "mish">, I32EnumAttrCase<"Gelu", 23, "gelu">,
    I32EnumAttrCase<"GeluTanh", 24, "gelu_tanh">,
    I32EnumAttrCase<"HardSwish", 25, "hard_swish">,
    I32EnumAttrCase<"LeakyRelu", 26, "leaky_relu">,
    I32EnumAttrCase<"Elu", 27, "elu">, I32EnumAttrCase<"Selu", 28, "selu">,
    I32EnumAttrCase<"Celu", 29, "celu">,
    I32EnumAttrCase<"HardSigmoid", 30, "hard_sigmoid">,
    I32EnumAttrCase<"ThresholdedRelu", 31, "thresholded_relu">,
    I32EnumAttrCase<"Shrink", 32, "shrink">,
    // Float or integer.
    I32EnumAttrCase<"Neg", 40, "neg">, I32EnumAttrCase<"Abs", 41, "abs">,
    I32EnumAttrCase<"Sign", 42, "sign">,
    // Integer or i1 (ONNX Not and BitwiseNot).
    I32EnumAttrCase<"Not", 50, "not">]> {
  let cppNamespace = "::mlir::kiln";
}

def Kiln_BinaryKind : I32EnumAttr<"BinaryKind", "elementwise binary function", [
    I32EnumAttrCase<"Pow", 0, "pow">, I32EnumAttrCase<"Max", 1, "max">,
    I32EnumAttrCase<"Min", 2, "min">, I32EnumAttrCase<"Mod", 3, "mod">,
    I32EnumAttrCase<"Fmod", 4, "fmod">, I32EnumAttrCase<"PRelu", 5, "prelu">,
    I32EnumAttrCase<"And", 6, "and">, I32EnumAttrCase<"Or", 7, "or">,
    I32EnumAttrCase<"Xor", 8, "xor">, I32EnumAttrCase<"ShiftLeft", 9, "shl">,
    I32EnumAttrCase<"ShiftRight", 10, "shr">]> {
  let cppNamespace = "::mlir::kiln";
}

def Kiln_CompareKind : I32EnumAttr<"CompareKind", "elementwise comparison", [
    I32EnumAttrCase<"Eq", 0, "eq">, I32EnumAttrCase<"Gt", 1, "gt">,
    I32EnumAttrCase<"Ge", 2, "ge">, I32EnumAttrCase<"Lt", 3, "lt">,
    I32EnumAttrCase<"Le", 4, "le">]> {
  let cppNamespace = "::mlir::kiln";
}

def Kiln_ClassifyKind : I32EnumAttr<"ClassifyKind", "float classification", [
    I32EnumAttrCase<"IsNaN", 0, "isnan">, I32EnumAttrCase<"IsInf", 1, "isinf">,
    I32EnumAttrCase<"IsPosInf", 2, "isposinf">,
    I32EnumAttrCase<"IsNegInf", 3, "isneginf">]> {
  let cppNamespace = "::mlir::kiln";
}

//===----------------------------------------------------------------------===//
// Ops
//===----------------------------------------------------------------------===//

def Kiln_UnaryOp : Kiln_Op<"unary", [Kiln_ElementwiseTrait,
                                     SameOperandsAndResultType]> {
  let summary = "Elementwise unary math and activations (Exp, Erf, Elu, ...)";
  let description = [{
    Applies the function named by `kind` to each element. Parameterised
    activations read `alpha` and `beta`: leaky_relu/elu/celu/thresholded_relu
    use `alpha`; selu uses `alpha` and `beta` (ONNX gamma); hard_sigmoid
    `alpha * x + beta`; shrink uses `alpha` as lambd and `beta` as bias.
    Float kinds need a float element type, `neg`/`abs`/`sign` any numeric
    type, `not` an integer or i1. Unsigned integers (ONNX uint types) are
    read as unsigned throughout the family ops.

    ```mlir
    %r = kiln.unary exp %x : tensor<1x64xf32>
    %l = kiln.unary leaky_relu %x {alpha = 1.0e-01 : f64} : tensor<1x64xf32>
    ```
  }];
  let arguments = (ins Kiln_UnaryKind:$kind, AnyRankedTensor:$input,
                   DefaultValuedAttr<F64Attr, "0.0">:$alpha,
                   DefaultValuedAttr<F64Attr, "0.0">:$beta);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$kind $input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Kiln_BinaryOp : Kiln_Op<"binary", [Kiln_ElementwiseTrait,
    InferTypeOpAdaptor, AllElementTypesMatch<["lhs", "rhs", "result"]>]> {
  let summary = "Elementwise binary function with numpy broadcasting";
  let description = [{
    Pow, Max, Min, Mod (`mod`: the result takes the divisor's sign, as
    ONNX `fmod = 0`; `fmod`: C fmod), PRelu (`lhs` is x, `rhs` the slope) and
    the logical/bitwise And, Or, Xor (i1 or integers) and BitShift
    (`shr` is arithmetic on signed integers; a shift count outside
    [0, width) gives 0, or -1 for `shr` of a negative value, as numpy).
    Operands broadcast numpy-style.

    ```mlir
    %r = kiln.binary pow %a, %b : tensor<3x4xf32>, tensor<4xf32>
    ```
  }];
  let arguments = (ins Kiln_BinaryKind:$kind, AnyRankedTensor:$lhs,
                   AnyRankedTensor:$rhs);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat =
      "$kind $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
  let hasVerifier = 1;
}

def Kiln_CompareOp : Kiln_Op<"compare", [Kiln_ElementwiseTrait,
    InferTypeOpAdaptor, AllElementTypesMatch<["lhs", "rhs"]>]> {
  let summary = "Elementwise comparison to i1 with numpy broadcasting";
  let description = [{
    ONNX Equal, Greater, GreaterOrEqual, Less, LessOrEqual. Floats compare
    ordered (NaN compares false), integers by their signedness.

    ```mlir
    %r = kiln.compare gt %a, %b : tensor<3x4xf32>, tensor<4xf32>
    ```
  }];
  let arguments = (ins Kiln_CompareKind:$kind, AnyRankedTensor:$lhs,
                   AnyRankedTensor:$rhs);
  let results = (outs TensorOf<[I1]>:$result);
  let assemblyFormat =
      "$kind $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
}

def Kiln_ClassifyOp : Kiln_Op<"classify", [Kiln_ElementwiseTrait,
                                           InferTypeOpAdaptor]> {
  let summary = "Float classification to i1 (ONNX IsNaN, IsInf)";
  let description = [{
    ```mlir
    %r = kiln.classify isposinf %x : tensor<8xf32>
    ```
  }];
  let arguments = (ins Kiln_ClassifyKind:$kind,
                   RankedTensorOf<[AnyFloat]>:$input);
  let results = (outs TensorOf<[I1]>:$result);
  let assemblyFormat = "$kind $input attr-dict `:` type($input)";
}

def Kiln_WhereOp : Kiln_Op<"where", [Kiln_ElementwiseTrait, InferTypeOpAdaptor,
    AllElementTypesMatch<["lhs", "rhs", "result"]>]> {
  let summary = "Elementwise select with 3-way numpy broadcasting (ONNX Where)";
  let description = [{
    ```mlir
    %r = kiln.where %c, %a, %b : tensor<3x1xi1>, tensor<4xf32>, tensor<3x4xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I1]>:$condition, AnyRankedTensor:$lhs,
                   AnyRankedTensor:$rhs);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $condition `,` $lhs `,` $rhs attr-dict `:` type($condition) `,` type($lhs) `,` type($rhs)
  }];
}

def Kiln_CastOp : Kiln_Op<"cast", [Kiln_ElementwiseTrait]> {
  let summary = "Elementwise element-type conversion (ONNX Cast, CastLike)";
  let description = [{
    Converts each element to the result's element type: floats round to
    nearest even, float → integer truncates toward zero, anything → i1 is
    `!= 0`, i1 → number is 0 or 1, unsigned integers zero-extend. Shapes
    agree.

    8-bit floats (f8E4M3FN, f8E4M3FNUZ, f8E5M2, f8E5M2FNUZ) convert as ONNX
    does: a value past the format's range becomes inf (f8E5M2) or NaN,
    unless `saturate` is set, which clamps it (infinities included) to the
    largest finite value. To f8E8M0FNU (a power of two; the sign is
    dropped), `round_mode` is `up` (the default), `down` or `nearest`;
    `saturate` keeps a rounding from overflowing to NaN.

    `narrow` marks a result that holds a narrower ONNX type in a wider one
    (see the ONNX importer's convertDataType): `int4`/`int2` (i8 result) and
    `uint4`/`uint2` (ui8 result) wrap the converted integer to that many
    bits, two's complement and sign- or zero-extended; `float4e2m1`
    (f8E4M3FN result) rounds to the nearest float4 e2m1 value, saturating
    at ±6, and holds it as f8E4M3FN.

    ```mlir
    %r = kiln.cast %x : tensor<2x3xf32> -> tensor<2x3xf16>
    %q = kiln.cast %x {saturate} : tensor<4xf32> -> tensor<4xf8E4M3FN>
    %i = kiln.cast %x {narrow = "int4"} : tensor<4xf32> -> tensor<4xi8>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, UnitAttr:$saturate,
                   OptionalAttr<StrAttr>:$round_mode,
                   OptionalAttr<StrAttr>:$narrow);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

#endif // KILN_ELEMENTWISE_OPS_TD
