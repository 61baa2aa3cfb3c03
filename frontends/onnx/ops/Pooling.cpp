//===- Pooling.cpp - ONNX pooling → kiln ----------------------------------===//
//
// MaxPool (values only; the Indices output is unsupported), AveragePool,
// GlobalAveragePool and GlobalMaxPool; LpPool and LRN decompose exactly into
// an avg_pool with count_include_pad (a window sum over its fixed size)
// between elementwise ops; MaxUnpool is a scatter into zeros. ReduceMean is
// imported with the other reductions (Reduction.cpp).
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

/// GlobalMaxPool(x) → kiln.reduce x {kind = "max", axes = [2, ...],
/// keepdims}.
static LogicalResult convertGlobalMaxPool(NodeImporter &n) {
  if (failed(n.checkAttributes({})))
    return failure();
  auto x = n.floatInput(0);
  if (failed(x))
    return failure();
  int64_t rank = cast<RankedTensorType>(x->getType()).getRank();
  if (rank < 3)
    return n.error() << "input must have rank >= 3";
  auto axes = llvm::to_vector(llvm::seq<int64_t>(2, rank));
  auto result = n.create<ReduceOp>(
      {*x}, {n.namedAttr("kind", n.b.getStringAttr("max")),
             n.namedAttr("axes", n.b.getDenseI64ArrayAttr(axes)),
             n.namedAttr("keepdims", n.b.getBoolAttr(true))});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// A rank-0 constant `value` of float type `elem`.
static FailureOr<Value> scalar(NodeImporter &n, Type elem, double value) {
  auto type = RankedTensorType::get({}, elem);
  return n.create<ConstantOp>(
      {}, {n.namedAttr("value", DenseElementsAttr::get(
                                    type, n.b.getFloatAttr(elem, value)))});
}

/// `x ** exponent` (an elementwise kiln.binary pow by a scalar constant).
static FailureOr<Value> powScalar(NodeImporter &n, Value x, double exponent) {
  auto e = scalar(n, cast<RankedTensorType>(x.getType()).getElementType(),
                  exponent);
  if (failed(e))
    return failure();
  return n.create<BinaryOp>(
      {x, *e}, {n.namedAttr("kind", BinaryKindAttr::get(n.ctx(),
                                                          BinaryKind::Pow))});
}

/// LpPool(x) → (K · avg_pool(|x|^p, count_include_pad))^(1/p), K the window
/// size: ONNX's reference computes it this way.
static LogicalResult convertLpPool(NodeImporter &n) {
  if (failed(n.checkAttributes({"auto_pad", "ceil_mode", "dilations",
                                "kernel_shape", "p", "pads", "strides"})))
    return failure();
  auto x = n.floatInput(0);
  auto p = n.intAttr("p", 2);
  if (failed(x) || failed(p))
    return failure();
  auto w = readWindow(n, cast<RankedTensorType>(x->getType()));
  if (failed(w))
    return failure();
  if (w->ceilMode)
    return n.error() << "unsupported ceil_mode=1";
  if (*p < 1)
    return n.error() << "p must be >= 1, got " << *p;
  auto powered = n.create<UnaryOp>(
      {*x}, {n.namedAttr("kind", UnaryKindAttr::get(n.ctx(), UnaryKind::Abs))});
  if (succeeded(powered) && *p != 1)
    powered = powScalar(n, *powered, double(*p));
  if (failed(powered))
    return failure();
  SmallVector<NamedAttribute> attrs = windowAttrs(n, *w);
  attrs.push_back(n.namedAttr("count_include_pad", n.b.getBoolAttr(true)));
  auto mean = n.create<AvgPoolOp>({*powered}, attrs);
  int64_t count = 1;
  for (int64_t k : w->kernel)
    count *= k;
  Type elem = cast<RankedTensorType>(x->getType()).getElementType();
  auto countValue = scalar(n, elem, double(count));
  if (failed(mean) || failed(countValue))
    return failure();
  auto sum = n.create<MulOp>({*mean, *countValue});
  if (succeeded(sum) && *p != 1)
    sum = powScalar(n, *sum, 1.0 / double(*p));
  if (failed(sum))
    return failure();
  n.setResult(*sum);
  return success();
}

/// LRN(x) → x / (bias + alpha · mean_c(x²))^beta, the mean over `size`
/// channels taken by an avg_pool (count_include_pad) over a [N, 1, C, rest]
/// view, padded so that channel c sees [c - floor((size-1)/2),
/// c + ceil((size-1)/2)].
static LogicalResult convertLrn(NodeImporter &n) {
  if (failed(n.checkAttributes({"alpha", "beta", "bias", "size"})))
    return failure();
  auto x = n.floatInput(0);
  auto alpha = n.floatAttr("alpha", 1e-4f);
  auto beta = n.floatAttr("beta", 0.75f);
  auto bias = n.floatAttr("bias", 1.0f);
  auto size = n.intAttr("size", 0);
  if (failed(x) || failed(alpha) || failed(beta) || failed(bias) ||
      failed(size))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  if (type.getRank() < 3)
    return n.error() << "input must have rank >= 3";
  if (*size < 1)
    return n.error() << "size must be >= 1, got " << *size;
  if (llvm::is_contained(type.getShape().drop_front(1), ShapedType::kDynamic))
    return n.error() << "input " << type << " needs static C and spatial dims";
  int64_t rest = 1;
  for (int64_t d : type.getShape().drop_front(2))
    rest *= d;
  Type elem = type.getElementType();
  auto squared = n.create<MulOp>({*x, *x});
  if (failed(squared))
    return failure();
  auto viewType = RankedTensorType::get(
      {type.getDimSize(0), 1, type.getDimSize(1), rest}, elem);
  auto view = n.createTyped<ReshapeOp>(viewType, {*squared});
  if (failed(view))
    return failure();
  int64_t before = (*size - 1) / 2, after = *size / 2;
  auto i64s = [&](ArrayRef<int64_t> v) { return n.b.getDenseI64ArrayAttr(v); };
  auto mean = n.create<AvgPoolOp>(
      {*view}, {n.namedAttr("kernel_shape", i64s({*size, 1})),
                n.namedAttr("strides", i64s({1, 1})),
                n.namedAttr("pads", i64s({before, 0, after, 0})),
                n.namedAttr("dilations", i64s({1, 1})),
                n.namedAttr("ceil_mode", n.b.getBoolAttr(false)),
                n.namedAttr("count_include_pad", n.b.getBoolAttr(true))});
  if (failed(mean))
    return failure();
  auto meanFull = n.createTyped<ReshapeOp>(type, {*mean});
  auto alphaValue = scalar(n, elem, *alpha);
  auto biasValue = scalar(n, elem, *bias);
  if (failed(meanFull) || failed(alphaValue) || failed(biasValue))
    return failure();
  auto scaled = n.create<MulOp>({*meanFull, *alphaValue});
  if (failed(scaled))
    return failure();
  auto denom = n.create<AddOp>({*scaled, *biasValue});
  if (succeeded(denom))
    denom = powScalar(n, *denom, *beta);
  if (failed(denom))
    return failure();
  auto result = n.create<DivOp>({*x, *denom});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// MaxUnpool(x, indices, output_shape?) → reshape(scatter_elements(zeros,
/// flat indices, flat x)): MaxPool's indices address the flattened output.
static LogicalResult convertMaxUnpool(NodeImporter &n) {
  if (failed(n.checkAttributes({"kernel_shape", "pads", "strides"})))
    return failure();
  auto x = n.floatInput(0);
  auto indices = n.input(1);
  auto kernel = n.intsAttr("kernel_shape", std::nullopt);
  if (failed(x) || failed(indices) || failed(kernel))
    return failure();
  auto xType = cast<RankedTensorType>(x->getType());
  auto iType = cast<RankedTensorType>(indices->getType());
  size_t spatial = kernel->size();
  if (!xType.hasStaticShape() || xType.getRank() != int64_t(spatial) + 2 ||
      iType.getShape() != xType.getShape() ||
      !iType.getElementType().isInteger(64))
    return n.error() << "needs a static input with " << spatial
                     << " spatial dims and i64 indices of its shape, got "
                     << xType << " and " << iType;
  auto strides = n.intsAttr("strides", SmallVector<int64_t>(spatial, 1));
  auto pads = n.intsAttr("pads", SmallVector<int64_t>(2 * spatial, 0));
  if (failed(strides) || failed(pads))
    return failure();
  if (strides->size() != spatial || pads->size() != 2 * spatial)
    return n.error() << "expected " << spatial << " strides and "
                     << 2 * spatial << " pads";
  SmallVector<int64_t> outShape(xType.getShape().take_front(2));
  if (n.hasInput(2)) {
    auto given = n.constantInts(2, "output_shape");
    if (failed(given))
      return failure();
    outShape = *given;
  } else {
    for (size_t i = 0; i < spatial; ++i)
      outShape.push_back((xType.getDimSize(i + 2) - 1) * (*strides)[i] +
                         (*kernel)[i] - (*pads)[i] - (*pads)[i + spatial]);
  }
  int64_t total = 1;
  for (int64_t d : outShape)
    total *= d;
  Type elem = xType.getElementType();
  auto flatType = RankedTensorType::get({total}, elem);
  auto zeros = n.create<ConstantOp>(
      {}, {n.namedAttr("value", DenseElementsAttr::get(
                                    flatType, n.b.getFloatAttr(elem, 0.0)))});
  int64_t count = xType.getNumElements();
  auto flatX = n.createTyped<ReshapeOp>(RankedTensorType::get({count}, elem),
                                        {*x});
  auto flatI = n.createTyped<ReshapeOp>(
      RankedTensorType::get({count}, iType.getElementType()), {*indices});
  if (failed(zeros) || failed(flatX) || failed(flatI))
    return failure();
  auto scattered = n.createTyped<ScatterElementsOp>(
      flatType, {*zeros, *flatI, *flatX},
      {n.namedAttr("axis", n.b.getI64IntegerAttr(0)),
       n.namedAttr("reduction", n.b.getStringAttr("none"))});
  if (failed(scattered))
    return failure();
  auto result = n.createTyped<ReshapeOp>(
      RankedTensorType::get(outShape, elem), {*scattered});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

void mlir::kiln::onnx::registerPoolingOps(ConverterMap &map) {
  map["MaxPool"] = convertMaxPool;
  map["AveragePool"] = convertAveragePool;
  map["GlobalAveragePool"] = convertGlobalAveragePool;
  map["GlobalMaxPool"] = convertGlobalMaxPool;
  map["LpPool"] = convertLpPool;
  map["LRN"] = convertLrn;
  map["MaxUnpool"] = convertMaxUnpool;
}
