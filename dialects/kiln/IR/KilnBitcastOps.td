//===- KilnBitcastOps.td - kiln bit reinterpretation ----------*- tablegen -*-===//
//
// ONNX BitCast: the bytes of each element read as another type of the same
// width (unlike kiln.cast, no value conversion). Included from KilnOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_BITCAST_OPS_TD
#define KILN_BITCAST_OPS_TD

def Kiln_BitcastOp : Kiln_Op<"bitcast"> {
  let summary = "Reinterpret each element's bits as another type (ONNX BitCast)";
  let description = [{
    The element types have the same width; `i1` counts as one byte (ONNX
    bool), so it pairs with 8-bit integers: true is 1, and a non-zero byte
    reads as true. Shapes agree.

    ```mlir
    %r = kiln.bitcast %x : tensor<2x3xf32> -> tensor<2x3xi32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

#endif // KILN_BITCAST_OPS_TD
