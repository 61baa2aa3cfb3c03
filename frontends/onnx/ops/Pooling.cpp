//===- Pooling.cpp - ONNX pooling → kiln ----------------------------------===//
//
// MaxPool (values only; the Indices output is unsupported), AveragePool and
// GlobalAveragePool. ReduceMean is imported with the other reductions
// (Reduction.cpp).
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx;

/// The window attributes MaxPool and AveragePool share, resolved.
struct Window {
  SmallVector<int64_t> kernel, strides, pads, dilations;
  bool ceilMode;
};

static FailureOr<Window> readWindow(NodeImporter &n, RankedTensorType input) {
  Window w;
  auto kernel = n.intsAttr("kernel_shape", std::nullopt);
  if (failed(kernel))
    return failure();
  size_t spatial = kernel->size();
  if (input.getRank() != int64_t(spatial) + 2)
    return n.error() << "input " << input << " does not have " << spatial
                     << " spatial dims";
  SmallVector<int64_t> ones(spatial, 1);
  auto strides = n.intsAttr("strides", ones);
  auto dilations = n.intsAttr("dilations", ones);
  auto pads = n.intsAttr("pads", SmallVector<int64_t>());
  auto ceilMode = n.intAttr("ceil_mode", 0);
  auto autoPad = n.stringAttr("auto_pad", "NOTSET");
  if (failed(strides) || failed(dilations) || failed(pads) ||
      failed(ceilMode) || failed(autoPad))
    return failure();
  if (strides->size() != spatial || dilations->size() != spatial)
    return n.error() << "expected " << spatial << " strides and dilations";
  w.kernel = *kernel;
  w.strides = *strides;
  w.dilations = *dilations;
  w.pads = *pads;
  w.ceilMode = *ceilMode != 0;
  if (failed(resolveAutoPad(n, *autoPad, input, w.kernel, w.strides,
                            w.dilations, w.pads)))
    return failure();
  return w;
}

static SmallVector<NamedAttribute> windowAttrs(NodeImporter &n,
                                               const Window &w) {
  return {n.namedAttr("kernel_shape", n.b.getDenseI64ArrayAttr(w.kernel)),
          n.namedAttr("strides", n.b.getDenseI64ArrayAttr(w.strides)),
          n.namedAttr("pads", n.b.getDenseI64ArrayAttr(w.pads)),
          n.namedAttr("dilations", n.b.getDenseI64ArrayAttr(w.dilations)),
          n.namedAttr("ceil_mode", n.b.getBoolAttr(w.ceilMode))};
}

/// MaxPool(x) → kiln.max_pool x {kernel_shape, strides, pads, dilations, ceil_mode}.
static LogicalResult convertMaxPool(NodeImporter &n) {
  if (failed(n.checkAttributes({"auto_pad", "ceil_mode", "dilations",
                                "kernel_shape", "pads", "storage_order",
                                "strides"})) ||
      failed(n.expectOutputs(1, "Indices")))
    return failure();
  auto x = n.floatInput(0);
  if (failed(x))
    return failure();
  auto w = readWindow(n, cast<RankedTensorType>(x->getType()));
  if (failed(w))
    return failure();
  auto result = n.create<MaxPoolOp>({*x}, windowAttrs(n, *w));
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// AveragePool(x) → kiln.avg_pool x {..., count_include_pad}.
static LogicalResult convertAveragePool(NodeImporter &n) {
  if (failed(n.checkAttributes({"auto_pad", "ceil_mode", "count_include_pad",
                                "dilations", "kernel_shape", "pads",
                                "strides"})))
    return failure();
  auto x = n.floatInput(0);
  if (failed(x))
    return failure();
  auto w = readWindow(n, cast<RankedTensorType>(x->getType()));
  auto countIncludePad = n.intAttr("count_include_pad", 0);
  if (failed(w) || failed(countIncludePad))
    return failure();
  SmallVector<NamedAttribute> attrs = windowAttrs(n, *w);
  attrs.push_back(n.namedAttr("count_include_pad",
                              n.b.getBoolAttr(*countIncludePad != 0)));
  auto result = n.create<AvgPoolOp>({*x}, attrs);
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// GlobalAveragePool(x) → kiln.global_avg_pool x.
static LogicalResult convertGlobalAveragePool(NodeImporter &n) {
  if (failed(n.checkAttributes({})))
    return failure();
  auto x = n.floatInput(0);
  if (failed(x))
    return failure();
  auto result = n.create<GlobalAvgPoolOp>({*x});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

void mlir::kiln::onnx::registerPoolingOps(ConverterMap &map) {
  map["MaxPool"] = convertMaxPool;
  map["AveragePool"] = convertAveragePool;
  map["GlobalAveragePool"] = convertGlobalAveragePool;
}
