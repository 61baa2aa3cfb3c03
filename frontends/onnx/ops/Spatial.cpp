//===- Spatial.cpp - ONNX ConvTranspose, GridSample → kiln ----------------===//
//
// ConvTranspose becomes kiln.conv_transpose with every way ONNX states the
// output extent (pads, auto_pad, output_shape, output_padding) resolved to
// explicit begin/end pads, output_padding and output_shape as negative end
// pads where the output grows. GridSample maps onto kiln.grid_sample with
// opset 16's mode names normalised.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx;

static constexpr int64_t kDyn = ShapedType::kDynamic;

/// The attributes of a conv_transpose.
static SmallVector<NamedAttribute>
convTransposeAttrs(NodeImporter &n, ArrayRef<int64_t> strides,
                   ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations,
                   int64_t group) {
  return {n.namedAttr("strides", n.b.getDenseI64ArrayAttr(strides)),
          n.namedAttr("pads", n.b.getDenseI64ArrayAttr(pads)),
          n.namedAttr("dilations", n.b.getDenseI64ArrayAttr(dilations)),
          n.namedAttr("group", n.b.getI64IntegerAttr(group))};
}

/// Begin/end pads that give spatial extents `outShape` to a transposed
/// convolution whose full output has extents `full`. ONNX splits
/// `full + output_padding - outShape` in two, SAME_UPPER putting the smaller
/// half first and anything else the larger; the end pad then follows from
/// the extent.
static SmallVector<int64_t> padsForOutput(ArrayRef<int64_t> full,
                                          ArrayRef<int64_t> outputPadding,
                                          ArrayRef<int64_t> outShape,
                                          StringRef autoPad) {
  size_t spatial = full.size();
  SmallVector<int64_t> pads(2 * spatial);
  for (size_t i = 0; i < spatial; ++i) {
    int64_t total = full[i] + outputPadding[i] - outShape[i];
    int64_t half = llvm::divideFloorSigned(total, 2);
    pads[i] = autoPad == "SAME_UPPER" ? half : total - half;
    pads[i + spatial] = full[i] - pads[i] - outShape[i];
  }
  return pads;
}

/// ConvTranspose(x, w, b) → kiln.conv_transpose x, w, b {strides, pads,
/// dilations, group} with output_padding/output_shape/auto_pad folded into
/// the pads.
static LogicalResult convertConvTranspose(NodeImporter &n) {
  if (failed(n.checkAttributes({"auto_pad", "dilations", "group",
                                "kernel_shape", "output_padding",
                                "output_shape", "pads", "strides"})))
    return failure();
  auto x = n.floatInput(0);
  auto w = n.floatInput(1);
  if (failed(x) || failed(w))
    return failure();
  SmallVector<Value> operands = {*x, *w};
  if (n.hasInput(2)) {
    auto bias = n.floatInput(2);
    if (failed(bias))
      return failure();
    operands.push_back(*bias);
  }
  auto xType = cast<RankedTensorType>(x->getType());
  auto wType = cast<RankedTensorType>(w->getType());
  if (wType.getRank() < 3 || wType.getRank() != xType.getRank())
    return n.error() << "weight " << wType << " must have the input's rank "
                     << xType.getRank() << " (>= 3)";
  ArrayRef<int64_t> kernel = wType.getShape().drop_front(2);
  if (llvm::is_contained(kernel, kDyn))
    return n.error() << "weight " << wType << " must have static spatial dims";
  size_t spatial = kernel.size();
  SmallVector<int64_t> ones(spatial, 1), zeros(spatial, 0);
  auto kernelShape = n.intsAttr("kernel_shape", SmallVector<int64_t>(kernel));
  auto strides = n.intsAttr("strides", ones);
  auto dilations = n.intsAttr("dilations", ones);
  auto outputPadding = n.intsAttr("output_padding", zeros);
  auto outputShape = n.intsAttr("output_shape", SmallVector<int64_t>());
  auto padsAttr = n.intsAttr("pads", SmallVector<int64_t>());
  auto group = n.intAttr("group", 1);
  auto autoPad = n.stringAttr("auto_pad", "NOTSET");
  if (failed(kernelShape) || failed(strides) || failed(dilations) ||
      failed(outputPadding) || failed(outputShape) || failed(padsAttr) ||
      failed(group) || failed(autoPad))
    return failure();
  if (ArrayRef<int64_t>(*kernelShape) != kernel)
    return n.error() << "kernel_shape does not match the weight " << wType;
  if (strides->size() != spatial || dilations->size() != spatial ||
      outputPadding->size() != spatial)
    return n.error() << "expected " << spatial
                     << " strides, dilations and output_padding";
  if (outputShape->size() == spatial + 2)
    outputShape->erase(outputShape->begin(), outputShape->begin() + 2);
  if (!outputShape->empty() && outputShape->size() != spatial)
    return n.error() << "expected " << spatial << " output_shape values";
  if (*autoPad != "NOTSET" && *autoPad != "VALID" &&
      *autoPad != "SAME_UPPER" && *autoPad != "SAME_LOWER")
    return n.error() << "unsupported auto_pad '" << *autoPad << "'";

  // The full output extents (before pads).
  SmallVector<int64_t> full;
  bool needsStatic = !outputShape->empty() || StringRef(*autoPad).starts_with("SAME");
  for (size_t i = 0; i < spatial; ++i) {
    int64_t in = xType.getDimSize(i + 2);
    if (in == kDyn && needsStatic)
      return n.error() << "output_shape and auto_pad SAME_* need static "
                          "spatial dims, but dim "
                       << i + 2 << " of the input is dynamic";
    full.push_back(in == kDyn ? kDyn
                              : (in - 1) * (*strides)[i] +
                                    (kernel[i] - 1) * (*dilations)[i] + 1);
  }
  SmallVector<int64_t> pads;
  if (!outputShape->empty() && !padsAttr->empty()) {
    // Explicit pads and output_shape: the begin pads hold, the end follows.
    if (padsAttr->size() != 2 * spatial)
      return n.error() << "expected " << 2 * spatial << " pads";
    pads = *padsAttr;
    for (size_t i = 0; i < spatial; ++i)
      pads[i + spatial] = full[i] - pads[i] - (*outputShape)[i];
  } else if (!outputShape->empty()) {
    pads = padsForOutput(full, *outputPadding, *outputShape, *autoPad);
  } else if (StringRef(*autoPad).starts_with("SAME")) {
    SmallVector<int64_t> target;
    for (size_t i = 0; i < spatial; ++i)
      target.push_back(xType.getDimSize(i + 2) * (*strides)[i]);
    pads = padsForOutput(full, *outputPadding, target, *autoPad);
  } else {
    pads = *autoPad == "VALID" || padsAttr->empty()
               ? SmallVector<int64_t>(2 * spatial, 0)
               : *padsAttr;
    if (pads.size() != 2 * spatial)
      return n.error() << "expected " << 2 * spatial << " pads";
    for (size_t i = 0; i < spatial; ++i)
      pads[i + spatial] -= (*outputPadding)[i];
  }
  auto result = n.create<ConvTransposeOp>(
      operands, convTransposeAttrs(n, *strides, pads, *dilations, *group));
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// GridSample(x, grid) → kiln.grid_sample x, grid {mode, padding_mode,
/// align_corners}; opset 16's bilinear/bicubic are linear/cubic.
static LogicalResult convertGridSample(NodeImporter &n) {
  if (failed(n.checkAttributes({"align_corners", "mode", "padding_mode"})))
    return failure();
  auto x = n.floatInput(0);
  auto grid = n.floatInput(1);
  auto align = n.intAttr("align_corners", 0);
  auto mode = n.stringAttr("mode", n.opset() >= 20 ? "linear" : "bilinear");
  auto padding = n.stringAttr("padding_mode", "zeros");
  if (failed(x) || failed(grid) || failed(align) || failed(mode) ||
      failed(padding))
    return failure();
  std::string kind = *mode == "bilinear"  ? "linear"
                     : *mode == "bicubic" ? "cubic"
                                          : *mode;
  if (kind != "nearest" && kind != "linear" && kind != "cubic")
    return n.error() << "unsupported mode '" << *mode << "'";
  if (*padding != "zeros" && *padding != "border" && *padding != "reflection")
    return n.error() << "unsupported padding_mode '" << *padding << "'";
  auto result = n.create<GridSampleOp>(
      {*x, *grid},
      {n.namedAttr("mode", n.b.getStringAttr(kind)),
       n.namedAttr("padding_mode", n.b.getStringAttr(*padding)),
       n.namedAttr("align_corners", n.b.getBoolAttr(*align != 0))});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

void mlir::kiln::onnx::registerSpatialOps(ConverterMap &map) {
  map["ConvTranspose"] = convertConvTranspose;
  map["GridSample"] = convertGridSample;
}
