//===- Resize.cpp - ONNX Resize and Upsample → kiln.resize ----------------===//
//
// Resize (opsets 10-19) and Upsample (7, 9) become one kiln.resize with a
// static result type. ONNX passes scales, sizes, roi and axes as inputs.
// Constants are resolved here into one scale per dim (output/input where
// sizes drive the resize, after keep_aspect_ratio_policy), a full-rank roi
// and the output shape, exactly as the ONNX reference computes them. Runtime
// scales/sizes/roi need the model's declared static output shape (the
// result type); runtime scales and roi are widened to every dim in the
// graph and passed to kiln.resize as operands. Opset 10 Resize and
// Upsample have no coordinate mode attribute: they are `asymmetric` with
// floor rounding for nearest.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"

#include "llvm/Support/InterleavedRange.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx;

/// Float values of constant input `i` (any float element type).
static FailureOr<SmallVector<double>> constantFloats(NodeImporter &n,
                                                     unsigned i,
                                                     StringRef what) {
  auto attr = n.constantInput(i, what);
  if (failed(attr))
    return failure();
  if (!isa<FloatType>(attr->getElementType()))
    return n.error() << what << " must be a float tensor, got "
                     << attr->getElementType();
  SmallVector<double> values;
  for (const APFloat &v : attr->getValues<APFloat>())
    values.push_back(v.convertToDouble());
  return values;
}

/// True if input `i` is given and has elements (opset 11/13 pass an empty
/// tensor for the unused one of scales/sizes).
static bool hasNonEmptyInput(NodeImporter &n, unsigned i) {
  if (!n.hasInput(i))
    return false;
  auto v = n.input(i);
  if (failed(v))
    return false;
  auto type = cast<RankedTensorType>(v->getType());
  return !type.hasStaticShape() || type.getNumElements() != 0;
}

/// The static shape the model declares for the node's output (graph output
/// or value_info), if any.
static std::optional<SmallVector<int64_t>> declaredShape(NodeImporter &n) {
  const ::onnx::GraphProto &graph = n.graph.model.proto->graph();
  auto find = [&](const auto &infos) -> const ::onnx::ValueInfoProto * {
    for (const ::onnx::ValueInfoProto &info : infos)
      if (info.name() == n.node.output(0))
        return &info;
    return nullptr;
  };
  const ::onnx::ValueInfoProto *info = find(graph.output());
  if (!info)
    info = find(graph.value_info());
  if (!info || !info->type().has_tensor_type() ||
      !info->type().tensor_type().has_shape())
    return std::nullopt;
  SmallVector<int64_t> shape;
  for (const auto &dim : info->type().tensor_type().shape().dim()) {
    if (!dim.has_dim_value() || dim.dim_value() <= 0)
      return std::nullopt;
    shape.push_back(dim.dim_value());
  }
  return shape;
}

/// The resize that every converter builds once the inputs are resolved.
struct ResizeSpec {
  std::string mode = "nearest";
  std::string coords = "asymmetric";
  std::string nearestMode = "floor";
  float cubicCoeffA = -0.75f;
  bool excludeOutside = false;
  float extrapolationValue = 0.0f;
  bool antialias = false;
  SmallVector<double> scales;
  SmallVector<double> roi;
  SmallVector<int64_t> shape;
  /// Runtime scales / roi tensors (null when constant).
  Value scalesInput, roiInput;
};

static LogicalResult createResize(NodeImporter &n, Value x,
                                  const ResizeSpec &spec) {
  auto type = cast<RankedTensorType>(x.getType());
  for (int64_t d : spec.shape)
    if (d <= 0)
      return n.error() << "output shape [" << llvm::interleaved(spec.shape)
                       << "] has an empty dim";
  SmallVector<NamedAttribute> attrs = {
      n.namedAttr("mode", n.b.getStringAttr(spec.mode)),
      n.namedAttr("coordinate_transformation_mode",
                  n.b.getStringAttr(spec.coords)),
      n.namedAttr("nearest_mode", n.b.getStringAttr(spec.nearestMode)),
      n.namedAttr("scales", n.b.getDenseF64ArrayAttr(spec.scales)),
      n.namedAttr("cubic_coeff_a", n.b.getF32FloatAttr(spec.cubicCoeffA)),
      n.namedAttr("exclude_outside", n.b.getBoolAttr(spec.excludeOutside)),
      n.namedAttr("extrapolation_value",
                  n.b.getF32FloatAttr(spec.extrapolationValue)),
      n.namedAttr("antialias", n.b.getBoolAttr(spec.antialias))};
  if (!spec.roi.empty())
    attrs.push_back(n.namedAttr("roi", n.b.getDenseF64ArrayAttr(spec.roi)));
  SmallVector<Value> operands = {x};
  for (Value v : {spec.scalesInput, spec.roiInput})
    if (v)
      operands.push_back(v);
  attrs.push_back(n.namedAttr(
      "operandSegmentSizes",
      n.b.getDenseI32ArrayAttr({1, spec.scalesInput ? 1 : 0,
                                spec.roiInput ? 1 : 0})));
  auto result = n.createTyped<ResizeOp>(
      RankedTensorType::get(spec.shape, type.getElementType()), operands,
      attrs);
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

static FailureOr<Value> staticInput(NodeImporter &n) {
  auto x = n.input(0);
  if (failed(x))
    return failure();
  if (!cast<RankedTensorType>(x->getType()).hasStaticShape())
    return n.error() << "input shape must be static (bind it with "
                        "--input-shape)";
  return x;
}

/// A runtime per-axis float vector (scales or roi: `groups` blocks of one
/// value per axis in `axes`) widened to every dim: gather(concat(v,
/// fill), index) where dims outside `axes` read `fill[group]`.
static FailureOr<Value> widenToAllDims(NodeImporter &n, Value v,
                                       ArrayRef<int64_t> axes, int64_t rank,
                                       ArrayRef<double> fill) {
  auto type = cast<RankedTensorType>(v.getType());
  int64_t count = axes.size(), groups = fill.size();
  if (!isa<FloatType>(type.getElementType()) || type.getRank() != 1 ||
      type.getDimSize(0) != groups * count)
    return n.error() << "expected a float tensor of " << groups * count
                     << " values, got " << type;
  auto fillType = RankedTensorType::get({groups}, type.getElementType());
  SmallVector<APFloat> fillValues;
  for (double f : fill) {
    APFloat value(f);
    bool lost;
    value.convert(cast<FloatType>(type.getElementType()).getFloatSemantics(),
                  APFloat::rmNearestTiesToEven, &lost);
    fillValues.push_back(value);
  }
  Value fillConst = ConstantOp::create(
      n.b, n.loc, DenseElementsAttr::get(fillType, fillValues));
  auto joined = n.create<ConcatOp>(
      {v, fillConst}, {n.namedAttr("axis", n.b.getI64IntegerAttr(0))});
  if (failed(joined))
    return failure();
  SmallVector<int64_t> index;
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t d = 0; d < rank; ++d) {
      const int64_t *at = llvm::find(axes, d);
      index.push_back(at == axes.end() ? groups * count + g
                                       : g * count + (at - axes.begin()));
    }
  auto indexType = RankedTensorType::get({groups * rank}, n.b.getI64Type());
  Value indexConst = ConstantOp::create(
      n.b, n.loc, DenseElementsAttr::get(indexType, ArrayRef(index)));
  return n.create<GatherOp>({*joined, indexConst},
                            {n.namedAttr("axis", n.b.getI64IntegerAttr(0))});
}

/// Runtime scales (input `i`): the model's declared static output shape
/// gives the result type, `scales` holds its output/input ratios and the
/// tensor, widened to every dim, is passed on for the coordinates.
static LogicalResult useRuntimeScales(NodeImporter &n, RankedTensorType type,
                                      unsigned i, ArrayRef<int64_t> axes,
                                      ResizeSpec &spec) {
  auto given = n.input(i);
  if (failed(given))
    return failure();
  std::optional<SmallVector<int64_t>> declared = declaredShape(n);
  if (!declared || static_cast<int64_t>(declared->size()) != type.getRank())
    return n.error() << "runtime scales (input '" << n.node.input(i)
                     << "') need a declared static output shape";
  FailureOr<Value> scales =
      widenToAllDims(n, *given, axes, type.getRank(), {1.0});
  if (failed(scales))
    return failure();
  spec.shape = *declared;
  spec.scales.clear();
  for (int64_t d = 0; d < type.getRank(); ++d)
    spec.scales.push_back(static_cast<double>(spec.shape[d]) /
                          static_cast<double>(type.getDimSize(d)));
  spec.scalesInput = *scales;
  if (spec.antialias)
    return n.error() << "antialias needs constant scales (or sizes)";
  return success();
}

/// Runtime sizes with keep_aspect_ratio_policy: the common scale
/// min/max(sizes / input dims) is computed in the graph (cast, div, reduce,
/// expand) and passed on as runtime scales; the declared output shape gives
/// the result type.
static LogicalResult runtimeAspectSizes(NodeImporter &n, Value x, Value sizes,
                                        ArrayRef<int64_t> axes,
                                        StringRef policy,
                                        ArrayRef<int64_t> declared,
                                        ResizeSpec &spec) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t count = axes.size();
  auto vecType = RankedTensorType::get({count}, n.b.getF32Type());
  auto sizesF = n.createTyped<CastOp>(vecType, {sizes});
  if (failed(sizesF))
    return failure();
  SmallVector<float> dims;
  for (int64_t a : axes)
    dims.push_back(static_cast<float>(type.getDimSize(a)));
  Value dimsConst = ConstantOp::create(
      n.b, n.loc, DenseElementsAttr::get(vecType, ArrayRef(dims)));
  auto ratios = n.create<DivOp>({*sizesF, dimsConst});
  if (failed(ratios))
    return failure();
  auto common = n.create<ReduceOp>(
      {*ratios},
      {n.namedAttr("kind", n.b.getStringAttr(policy == "not_larger" ? "min"
                                                                    : "max")),
       n.namedAttr("axes", n.b.getDenseI64ArrayAttr({0})),
       n.namedAttr("keepdims", n.b.getBoolAttr(true))});
  if (failed(common))
    return failure();
  auto perAxis = n.createTyped<ExpandOp>(vecType, {*common});
  if (failed(perAxis))
    return failure();
  auto scales = widenToAllDims(n, *perAxis, axes, type.getRank(), {1.0});
  if (failed(scales))
    return failure();
  spec.shape = llvm::to_vector(declared);
  spec.scales.clear();
  for (int64_t d = 0; d < type.getRank(); ++d)
    spec.scales.push_back(static_cast<double>(spec.shape[d]) /
                          static_cast<double>(type.getDimSize(d)));
  spec.scalesInput = *scales;
  return createResize(n, x, spec);
}

static bool isConstantInput(NodeImporter &n, unsigned i) {
  auto v = n.input(i);
  return succeeded(v) && v->getDefiningOp<ConstantOp>();
}

/// Output dims from per-dim scales: floor(scale * input), as ONNX.
static void shapeFromScales(RankedTensorType type, ResizeSpec &spec) {
  for (auto [d, s] : llvm::enumerate(spec.scales))
    spec.shape.push_back(
        static_cast<int64_t>(std::floor(s * type.getDimSize(d))));
}

/// Upsample(x, scales){mode} (scales an attribute in opset 7, an input in
/// 9) and Resize-10(x, scales){mode} → kiln.resize{asymmetric}.
static LogicalResult convertUpsample(NodeImporter &n) {
  bool scalesAttr = n.opType() == "Upsample" && n.opset() < 9;
  if (failed(n.checkAttributes(scalesAttr ? ArrayRef<StringRef>{"mode",
                                                                "scales"}
                                          : ArrayRef<StringRef>{"mode"})))
    return failure();
  auto x = staticInput(n);
  auto mode = n.stringAttr("mode", "nearest");
  if (failed(x) || failed(mode))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  ResizeSpec spec;
  spec.mode = *mode == "bilinear" ? "linear" : *mode;
  if (spec.mode != "nearest" && spec.mode != "linear")
    return n.error() << "unsupported mode '" << *mode << "'";
  if (scalesAttr) {
    const ::onnx::AttributeProto *a = n.attr("scales");
    if (!a)
      return n.error() << "missing attribute 'scales'";
    for (float f : a->floats())
      spec.scales.push_back(f);
  } else if (!isConstantInput(n, 1)) {
    if (failed(useRuntimeScales(
            n, type, 1, llvm::to_vector(llvm::seq<int64_t>(0, type.getRank())),
            spec)))
      return failure();
    return createResize(n, *x, spec);
  } else {
    auto s = constantFloats(n, 1, "scales");
    if (failed(s))
      return failure();
    spec.scales = *s;
  }
  if (static_cast<int64_t>(spec.scales.size()) != type.getRank())
    return n.error() << "expected " << type.getRank() << " scales, got "
                     << spec.scales.size();
  shapeFromScales(type, spec);
  return createResize(n, *x, spec);
}

/// Resize-11+(x, roi?, scales?, sizes?){...} → kiln.resize.
static LogicalResult convertResize(NodeImporter &n) {
  if (n.opset() < 11)
    return convertUpsample(n);
  if (failed(n.checkAttributes(
          {"mode", "coordinate_transformation_mode", "nearest_mode",
           "cubic_coeff_a", "exclude_outside", "extrapolation_value",
           "antialias", "axes", "keep_aspect_ratio_policy"})))
    return failure();
  auto x = staticInput(n);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  ResizeSpec spec;
  auto mode = n.stringAttr("mode", "nearest");
  auto coords = n.stringAttr("coordinate_transformation_mode", "half_pixel");
  auto nearestMode = n.stringAttr("nearest_mode", "round_prefer_floor");
  auto cubicA = n.floatAttr("cubic_coeff_a", -0.75f);
  auto exclude = n.intAttr("exclude_outside", 0);
  auto extrapolation = n.floatAttr("extrapolation_value", 0.0f);
  auto antialias = n.intAttr("antialias", 0);
  auto policy = n.stringAttr("keep_aspect_ratio_policy", "stretch");
  auto axesAttr = n.intsAttr("axes", SmallVector<int64_t>{});
  if (failed(mode) || failed(coords) || failed(nearestMode) ||
      failed(cubicA) || failed(exclude) || failed(extrapolation) ||
      failed(antialias) || failed(policy) || failed(axesAttr))
    return failure();
  spec.antialias = *antialias != 0;
  if (spec.antialias && *mode == "nearest")
    return n.error() << "antialias needs mode linear or cubic";
  if (*policy != "stretch" && *policy != "not_larger" &&
      *policy != "not_smaller")
    return n.error() << "unknown keep_aspect_ratio_policy '" << *policy
                     << "'";
  spec.mode = *mode;
  spec.coords = *coords;
  spec.nearestMode = *nearestMode;
  spec.cubicCoeffA = *cubicA;
  spec.excludeOutside = *exclude != 0;
  spec.extrapolationValue = *extrapolation;

  SmallVector<int64_t> axes;
  for (int64_t a : *axesAttr) {
    auto axis = normalizeAxis(n, a, rank, "axis");
    if (failed(axis))
      return failure();
    axes.push_back(*axis);
  }
  if (axes.empty())
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  int64_t count = axes.size();

  spec.scales.assign(rank, 1.0);
  if (spec.coords == "tf_crop_and_resize") {
    if (!hasNonEmptyInput(n, 1))
      return n.error() << "tf_crop_and_resize needs a roi";
    if (!isConstantInput(n, 1)) {
      auto roi = n.input(1);
      if (failed(roi))
        return failure();
      auto full = widenToAllDims(n, *roi, axes, rank, {0.0, 1.0});
      if (failed(full))
        return failure();
      spec.roiInput = *full;
    }
  }
  if (spec.coords == "tf_crop_and_resize" && !spec.roiInput) {
    auto roi = constantFloats(n, 1, "roi");
    if (failed(roi))
      return failure();
    if (static_cast<int64_t>(roi->size()) != 2 * count)
      return n.error() << "expected " << 2 * count << " roi values, got "
                       << roi->size();
    spec.roi.assign(rank, 0.0);
    spec.roi.append(rank, 1.0);
    for (auto [i, axis] : llvm::enumerate(axes)) {
      spec.roi[axis] = (*roi)[i];
      spec.roi[axis + rank] = (*roi)[i + count];
    }
  }

  if (hasNonEmptyInput(n, 3)) {
    if (hasNonEmptyInput(n, 2))
      return n.error() << "only one of scales and sizes may be given";
    // Runtime sizes (stretch): the output shape is `sizes`, so the model's
    // declared static output shape gives them, and the scales follow.
    auto input = n.input(3);
    if (failed(input))
      return failure();
    std::optional<SmallVector<int64_t>> declared = declaredShape(n);
    if (!input->getDefiningOp<ConstantOp>() && *policy == "stretch" &&
        declared && static_cast<int64_t>(declared->size()) == rank) {
      spec.shape = *declared;
      for (int64_t d = 0; d < rank; ++d) {
        if (!llvm::is_contained(axes, d) &&
            spec.shape[d] != type.getDimSize(d))
          return n.error() << "declared output dim " << d << " = "
                           << spec.shape[d] << " is not resized by axes";
        spec.scales[d] = static_cast<double>(spec.shape[d]) /
                         static_cast<double>(type.getDimSize(d));
      }
      return createResize(n, *x, spec);
    }
    if (!input->getDefiningOp<ConstantOp>() && *policy != "stretch" &&
        declared && static_cast<int64_t>(declared->size()) == rank)
      return runtimeAspectSizes(n, *x, *input, axes, *policy, *declared,
                                spec);
    auto sizes = n.constantInts(3, "sizes");
    if (failed(sizes))
      return failure();
    if (static_cast<int64_t>(sizes->size()) != count)
      return n.error() << "expected " << count << " sizes, got "
                       << sizes->size();
    spec.shape = llvm::to_vector(type.getShape());
    for (auto [i, axis] : llvm::enumerate(axes)) {
      spec.shape[axis] = (*sizes)[i];
      spec.scales[axis] = static_cast<double>((*sizes)[i]) /
                          static_cast<double>(type.getDimSize(axis));
    }
    if (*policy != "stretch") {
      double scale = spec.scales[axes.front()];
      for (int64_t axis : axes)
        scale = *policy == "not_larger" ? std::min(scale, spec.scales[axis])
                                        : std::max(scale, spec.scales[axis]);
      for (int64_t axis : axes) {
        spec.scales[axis] = scale;
        spec.shape[axis] = static_cast<int64_t>(
            scale * static_cast<double>(type.getDimSize(axis)) + 0.5);
      }
    }
    return createResize(n, *x, spec);
  }
  if (!hasNonEmptyInput(n, 2))
    return n.error() << "needs scales or sizes";
  if (!isConstantInput(n, 2)) {
    if (failed(useRuntimeScales(n, type, 2, axes, spec)))
      return failure();
    return createResize(n, *x, spec);
  }
  auto scales = constantFloats(n, 2, "scales");
  if (failed(scales))
    return failure();
  if (static_cast<int64_t>(scales->size()) != count)
    return n.error() << "expected " << count << " scales, got "
                     << scales->size();
  for (auto [i, axis] : llvm::enumerate(axes))
    spec.scales[axis] = (*scales)[i];
  shapeFromScales(type, spec);
  return createResize(n, *x, spec);
}

void mlir::kiln::onnx::registerResizeOps(ConverterMap &map) {
  map["Resize"] = convertResize;
  map["Upsample"] = convertUpsample;
}
