//===- KilnResizeOps.td - kiln resize op ---------------------*- tablegen -*-===//
//
// ONNX Resize (and Upsample): interpolation of a tensor onto a new static
// shape. The importer resolves the constant scales/sizes/roi/axes inputs and
// keep_aspect_ratio_policy into one scale per dim, a full-rank roi and the
// static result type, so the lowering only maps output positions to source
// taps. Included from KilnOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RESIZE_OPS_TD
#define KILN_RESIZE_OPS_TD

def Kiln_ResizeOp : Kiln_Op<"resize", [AttrSizedOperandSegments]> {
  let summary = "Nearest, n-linear or cubic resampling (ONNX Resize, Upsample)";
  let description = [{
    Each result element reads the source coordinate that
    `coordinate_transformation_mode` (`half_pixel`, `half_pixel_symmetric`,
    `pytorch_half_pixel`, `align_corners`, `asymmetric`,
    `tf_crop_and_resize`) gives for its position, per the ONNX spec, from
    `scales` (one per dim; output/input for sizes-driven resizes) and, for
    `tf_crop_and_resize`, `roi` (every dim's start, then every dim's end, in
    normalised coordinates). `mode` `nearest` rounds that coordinate by
    `nearest_mode` (`round_prefer_floor`, `round_prefer_ceil`, `floor`,
    `ceil`); `linear` blends the 2 neighbours along each resized dim, `cubic`
    the 4 with Keys' kernel of parameter `cubic_coeff_a`. With
    `exclude_outside` taps outside the input get weight 0 and the rest are
    renormalised; `tf_crop_and_resize` positions outside the input take
    `extrapolation_value`. `antialias` (linear and cubic, static scales only)
    widens the kernel by 1/scale when downsampling, with weights normalised
    to sum to 1. Input and result shapes are static; linear and
    cubic need a float element type.

    Models that feed scales or roi as runtime tensors pass them as the
    optional `scales_input` (one float per dim) and `roi_input` (2 x rank
    floats) operands, which then replace the attributes (`scales` holds the
    static output/input ratios); the source coordinates are then computed at
    run time, with every dim treated as resized.

    ```mlir
    %y = kiln.resize %x {mode = "linear", coordinate_transformation_mode = "half_pixel",
           scales = array<f64: 1.0, 1.0, 2.0, 2.0>} : tensor<1x3x8x8xf32> -> tensor<1x3x16x16xf32>
    %z = kiln.resize %x scales(%s : tensor<4xf32>) {mode = "nearest",
           coordinate_transformation_mode = "asymmetric",
           scales = array<f64: 1.0, 1.0, 2.0, 2.0>} : tensor<1x3x8x8xf32> -> tensor<1x3x16x16xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input,
                   Optional<AnyRankedTensor>:$scales_input,
                   Optional<AnyRankedTensor>:$roi_input, StrAttr:$mode,
                   StrAttr:$coordinate_transformation_mode,
                   DefaultValuedAttr<StrAttr, "\"round_prefer_floor\"">:$nearest_mode,
                   DenseF64ArrayAttr:$scales,
                   OptionalAttr<DenseF64ArrayAttr>:$roi,
                   DefaultValuedAttr<F32Attr, "-0.75f">:$cubic_coeff_a,
                   DefaultValuedAttr<BoolAttr, "false">:$exclude_outside,
                   DefaultValuedAttr<F32Attr, "0.0f">:$extrapolation_value,
                   DefaultValuedAttr<BoolAttr, "false">:$antialias);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input (`scales` `(` $scales_input^ `:` type($scales_input) `)`)?
    (`roi` `(` $roi_input^ `:` type($roi_input) `)`)?
    attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // KILN_RESIZE_OPS_TD
