//===- KilnSpatialOps.td - transposed convolution, sampling --*- tablegen -*-===//
//
// Spatial ops beyond convolution and pooling: the transposed convolution
// (ONNX ConvTranspose) and the gather-style image samplers (GridSample). The importer resolves auto_pad, output_shape and output_padding
// into explicit (possibly negative) pads, so each op's result shape follows
// from operands and attributes alone. Included from KilnOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_SPATIAL_OPS_TD
#define KILN_SPATIAL_OPS_TD

def Kiln_ConvTransposeOp : Kiln_Op<"conv_transpose", [InferTypeOpAdaptor]> {
  let summary = "N-d grouped transposed convolution (ONNX ConvTranspose)";
  let description = [{
    `input` is `N x C x D1 ... Dn`, `weight` is `C x M/group x K1 ... Kn`,
    the optional `bias` is `M`. Each input element scatters `weight` times
    itself into the full output of extent `(D - 1) * stride +
    (K - 1) * dilation + 1`; the result drops `pads` (n begin pads, then n
    end pads) from its ends. Pads may be negative: the result then extends
    past the full output with zeros (ONNX `output_padding` and
    `output_shape` become negative end pads). Result extent per dim:
    `(D - 1) * stride + (K - 1) * dilation + 1 - begin - end`.

    ```mlir
    %y = kiln.conv_transpose %x, %w, %b {strides = array<i64: 2, 2>,
           pads = array<i64: 1, 1, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64}
         : (tensor<1x8x4x4xf32>, tensor<8x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
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

def Kiln_GridSampleOp : Kiln_Op<"grid_sample", [InferTypeOpAdaptor,
    AllElementTypesMatch<["input", "grid", "result"]>]> {
  let summary = "Sample an N-d image at normalised grid positions (ONNX GridSample)";
  let description = [{
    `input` is `N x C x D1 ... Dr`, `grid` is `N x O1 ... Or x r` holding, per
    output position, normalised coordinates in [-1, 1] in reverse dim order
    (x, the last dim, first). The result is `N x C x O1 ... Or`. `mode` is
    `nearest` (round half to even), `linear` or `cubic` (Keys, a = -0.75);
    `padding_mode` (`zeros`, `border`, `reflection`) decides what taps
    outside the image read; `align_corners` maps -1 and 1 to the centres
    of the corner pixels instead of their outer edges.

    ```mlir
    %y = kiln.grid_sample %x, %g {mode = "linear", padding_mode = "zeros", align_corners = false}
         : (tensor<1x3x8x8xf32>, tensor<1x4x4x2xf32>) -> tensor<1x3x4x4xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$grid,
                   StrAttr:$mode, StrAttr:$padding_mode, BoolAttr:$align_corners);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $grid attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // KILN_SPATIAL_OPS_TD
