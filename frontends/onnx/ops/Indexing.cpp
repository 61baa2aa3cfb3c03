//===- Indexing.cpp - ONNX gathers, slices and padding → kiln -------------===//
//
// Gather, GatherElements, GatherND, Slice, Split, Pad, Trilu, CumSum,
// OneHot, ScatterElements, ScatterND and TopK. ONNX passes slice bounds, split sizes, pads and axes as inputs
// (since opsets 10-18); kiln needs them at compile time, so they must be
// constants (possibly folded from a shape subgraph). Slice bounds are clamped
// here, per ONNX, into static offsets/sizes/strides. NonZero, Unique and
// Compress, whose output shapes depend on input values, are rejected by name.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx;

static constexpr int64_t kDyn = ShapedType::kDynamic;

static LogicalResult setCreated(NodeImporter &n, FailureOr<Value> value,
                                unsigned i = 0) {
  if (failed(value))
    return failure();
  n.setResult(*value, i);
  return success();
}

static FailureOr<Value> indexInput(NodeImporter &n, unsigned i) {
  auto v = n.input(i);
  if (failed(v))
    return failure();
  Type t = cast<RankedTensorType>(v->getType()).getElementType();
  if (!t.isSignlessInteger(32) && !t.isSignlessInteger(64))
    return n.error() << "indices must be int32 or int64, got " << t;
  return v;
}

/// Gather / GatherElements(data, indices){axis} → kiln.gather[_elements].
template <typename OpT>
static LogicalResult convertGather(NodeImporter &n) {
  if (failed(n.checkAttributes({"axis"})))
    return failure();
  auto data = n.input(0);
  auto indices = indexInput(n, 1);
  auto axisAttr = n.intAttr("axis", 0);
  if (failed(data) || failed(indices) || failed(axisAttr))
    return failure();
  auto axis = normalizeAxis(
      n, *axisAttr, cast<RankedTensorType>(data->getType()).getRank(), "axis");
  if (failed(axis))
    return failure();
  return setCreated(n, n.create<OpT>({*data, *indices},
                                     {n.namedAttr("axis", n.b.getI64IntegerAttr(
                                                              *axis))}));
}

/// GatherND(data, indices){batch_dims} → kiln.gather_nd.
static LogicalResult convertGatherND(NodeImporter &n) {
  if (failed(n.checkAttributes({"batch_dims"})))
    return failure();
  auto data = n.input(0);
  auto indices = indexInput(n, 1);
  auto batch = n.intAttr("batch_dims", 0);
  if (failed(data) || failed(indices) || failed(batch))
    return failure();
  return setCreated(
      n, n.create<GatherNDOp>({*data, *indices},
                              {n.namedAttr("batch_dims",
                                           n.b.getI64IntegerAttr(*batch))}));
}

/// Static offset, size and stride of one sliced dim, clamped as ONNX does.
struct DimSlice {
  int64_t offset, size, stride;
};

static DimSlice clampSlice(int64_t dim, int64_t start, int64_t end,
                           int64_t step) {
  auto wrap = [&](int64_t v) { return v < 0 ? v + dim : v; };
  int64_t s = wrap(start), e = wrap(end), size;
  if (step > 0) {
    s = std::clamp<int64_t>(s, 0, dim);
    e = std::clamp<int64_t>(e, 0, dim);
    size = e > s ? (e - s + step - 1) / step : 0;
  } else {
    s = std::clamp<int64_t>(s, 0, dim - 1);
    e = std::clamp<int64_t>(e, -1, dim - 1);
    size = s > e ? (s - e - step - 1) / -step : 0;
  }
  return {size ? s : 0, size, step};
}

/// Creates kiln.slice of `x` with one DimSlice per dim.
static FailureOr<Value> createSlice(NodeImporter &n, Value x,
                                    ArrayRef<DimSlice> dims) {
  SmallVector<int64_t> offsets, sizes, strides;
  for (const DimSlice &d : dims) {
    offsets.push_back(d.offset);
    sizes.push_back(d.size);
    strides.push_back(d.stride);
  }
  return n.create<SliceOp>(
      {x}, {n.namedAttr("offsets", n.b.getDenseI64ArrayAttr(offsets)),
            n.namedAttr("sizes", n.b.getDenseI64ArrayAttr(sizes)),
            n.namedAttr("strides", n.b.getDenseI64ArrayAttr(strides))});
}

/// The whole of every dim (dynamic dims stay dynamic).
static SmallVector<DimSlice> wholeDims(RankedTensorType type) {
  SmallVector<DimSlice> dims;
  for (int64_t d : type.getShape())
    dims.push_back({0, d, 1});
  return dims;
}

/// Slice(x, starts, ends, axes?, steps?) → kiln.slice (bounds clamped).
static LogicalResult convertSlice(NodeImporter &n) {
  bool asInputs = n.opset() >= 10;
  if (failed(n.checkAttributes(asInputs ? ArrayRef<StringRef>{}
                                        : ArrayRef<StringRef>{"starts", "ends",
                                                              "axes"})))
    return failure();
  auto x = n.input(0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  FailureOr<SmallVector<int64_t>> starts, ends, axes, steps;
  if (asInputs) {
    starts = n.constantInts(1, "starts");
    ends = n.constantInts(2, "ends");
  } else {
    starts = n.intsAttr("starts", std::nullopt);
    ends = n.intsAttr("ends", std::nullopt);
  }
  if (failed(starts) || failed(ends))
    return failure();
  SmallVector<int64_t> allAxes =
      llvm::to_vector(llvm::seq<int64_t>(0, starts->size()));
  axes = asInputs ? (n.hasInput(3) ? n.constantInts(3, "axes") : allAxes)
                  : n.intsAttr("axes", allAxes);
  steps = asInputs && n.hasInput(4)
              ? n.constantInts(4, "steps")
              : SmallVector<int64_t>(starts->size(), 1);
  if (failed(axes) || failed(steps))
    return failure();
  if (ends->size() != starts->size() || axes->size() != starts->size() ||
      steps->size() != starts->size())
    return n.error() << "starts, ends, axes and steps differ in length";
  SmallVector<DimSlice> dims = wholeDims(type);
  SmallVector<bool> seen(rank, false);
  for (size_t i = 0; i < starts->size(); ++i) {
    auto axis = normalizeAxis(n, (*axes)[i], rank, "axis");
    if (failed(axis))
      return failure();
    if (seen[*axis])
      return n.error() << "axis " << (*axes)[i] << " is repeated";
    seen[*axis] = true;
    int64_t step = (*steps)[i], dim = type.getDimSize(*axis);
    if (step == 0)
      return n.error() << "step is zero";
    if (dim == kDyn) {
      // A dynamic dim can only be taken whole.
      if ((*starts)[i] == 0 && step == 1 && (*ends)[i] >= (int64_t(1) << 31))
        continue;
      return n.error() << "slicing dynamic dim " << *axis << " of " << type
                       << " is not supported (bind it with --input-shape)";
    }
    dims[*axis] = clampSlice(dim, (*starts)[i], (*ends)[i], step);
  }
  return setCreated(n, createSlice(n, *x, dims));
}

/// Split(x, split?){axis, num_outputs} → one kiln.slice per output.
static LogicalResult convertSplit(NodeImporter &n) {
  bool splitInput = n.opset() >= 13;
  SmallVector<StringRef> known = {"axis"};
  known.push_back(splitInput ? "num_outputs" : "split");
  if (failed(n.checkAttributes(known)))
    return failure();
  auto x = n.input(0);
  auto axisAttr = n.intAttr("axis", 0);
  if (failed(x) || failed(axisAttr))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  auto axis = normalizeAxis(n, *axisAttr, type.getRank(), "axis");
  if (failed(axis))
    return failure();
  int64_t dim = type.getDimSize(*axis);
  if (dim == kDyn)
    return n.error() << "split axis " << *axis << " of " << type
                     << " is dynamic";
  int64_t outputs = n.node.output_size();
  FailureOr<SmallVector<int64_t>> sizes = SmallVector<int64_t>();
  if (splitInput && n.hasInput(1))
    sizes = n.constantInts(1, "split");
  else if (!splitInput && n.attr("split"))
    sizes = n.intsAttr("split", std::nullopt);
  if (failed(sizes))
    return failure();
  if (sizes->empty()) {
    auto parts = n.intAttr("num_outputs", outputs);
    if (failed(parts))
      return failure();
    if (*parts != outputs || outputs < 1)
      return n.error() << "num_outputs " << *parts << " but " << outputs
                       << " outputs";
    // Equal parts; with num_outputs the last may be smaller.
    int64_t chunk = (dim + outputs - 1) / outputs;
    if (!n.attr("num_outputs") && dim % outputs)
      return n.error() << "dim " << dim << " does not split evenly into "
                       << outputs;
    for (int64_t i = 0, left = dim; i < outputs; ++i, left -= chunk)
      sizes->push_back(std::max<int64_t>(0, std::min(chunk, left)));
  }
  if (int64_t(sizes->size()) != outputs ||
      llvm::any_of(*sizes, [](int64_t s) { return s < 0; }) ||
      llvm::sum_of(*sizes) != dim)
    return n.error() << "split sizes do not add up to dim " << dim << " for "
                     << outputs << " outputs";
  int64_t offset = 0;
  for (auto [i, size] : llvm::enumerate(*sizes)) {
    SmallVector<DimSlice> dims = wholeDims(type);
    dims[*axis] = {size ? offset : 0, size, 1};
    offset += size;
    if (failed(setCreated(n, createSlice(n, *x, dims), i)))
      return failure();
  }
  return success();
}

/// A 0-d constant `value` of `elementType` (ints and bools from the double).
static Value scalarConstant(NodeImporter &n, Type elementType, double value) {
  auto type = RankedTensorType::get({}, elementType);
  Attribute element;
  if (elementType.isInteger(1))
    element = n.b.getBoolAttr(value != 0);
  else if (isa<FloatType>(elementType))
    element = n.b.getFloatAttr(elementType, value);
  else
    element = n.b.getIntegerAttr(elementType, int64_t(value));
  return ConstantOp::create(n.b, n.loc, DenseElementsAttr::get(type, element))
      .getResult();
}

/// Pad(x, pads, value?, axes?){mode} → kiln.pad (negative pads: kiln.slice
/// first).
static LogicalResult convertPad(NodeImporter &n) {
  bool asInputs = n.opset() >= 11;
  if (failed(n.checkAttributes(asInputs ? ArrayRef<StringRef>{"mode"}
                                        : ArrayRef<StringRef>{"mode", "pads",
                                                              "value"})))
    return failure();
  auto x = n.input(0);
  auto mode = n.stringAttr("mode", "constant");
  if (failed(x) || failed(mode))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  auto given = asInputs ? n.constantInts(1, "pads")
                        : n.intsAttr("pads", std::nullopt);
  if (failed(given))
    return failure();
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  if (asInputs && n.hasInput(3)) {
    auto a = n.constantInts(3, "axes");
    if (failed(a))
      return failure();
    axes.clear();
    for (int64_t v : *a) {
      auto axis = normalizeAxis(n, v, rank, "axis");
      if (failed(axis))
        return failure();
      axes.push_back(*axis);
    }
  }
  if (given->size() != 2 * axes.size())
    return n.error() << "expected " << 2 * axes.size() << " pads, got "
                     << given->size();
  SmallVector<int64_t> pads(2 * rank, 0);
  for (auto [i, axis] : llvm::enumerate(axes)) {
    pads[axis] = (*given)[i];
    pads[axis + rank] = (*given)[i + axes.size()];
  }
  Value input = *x;
  if (llvm::any_of(pads, [](int64_t p) { return p < 0; })) {
    SmallVector<DimSlice> dims = wholeDims(type);
    for (int64_t d = 0; d < rank; ++d) {
      int64_t lo = std::min<int64_t>(pads[d], 0),
              hi = std::min<int64_t>(pads[d + rank], 0);
      if (!lo && !hi)
        continue;
      int64_t dim = type.getDimSize(d);
      if (dim == kDyn)
        return n.error() << "negative pad of dynamic dim " << d;
      dims[d] = {-lo, std::max<int64_t>(0, dim + lo + hi), 1};
      pads[d] = std::max<int64_t>(pads[d], 0);
      pads[d + rank] = std::max<int64_t>(pads[d + rank], 0);
    }
    auto cropped = createSlice(n, input, dims);
    if (failed(cropped))
      return failure();
    input = *cropped;
  }
  Value value;
  if (asInputs && n.hasInput(2)) {
    auto v = n.input(2);
    if (failed(v))
      return failure();
    value = *v;
    auto vt = cast<RankedTensorType>(value.getType());
    if (vt.getRank() != 0) {
      if (vt.getNumElements() != 1)
        return n.error() << "constant_value must be a scalar";
      auto reshaped = n.createTyped<ReshapeOp>(
          RankedTensorType::get({}, vt.getElementType()), {value});
      if (failed(reshaped))
        return failure();
      value = *reshaped;
    }
  } else {
    auto f = n.floatAttr("value", 0);
    if (failed(f))
      return failure();
    value = scalarConstant(n, type.getElementType(), *f);
  }
  return setCreated(
      n, n.create<PadOp>({input, value},
                         {n.namedAttr("mode", n.b.getStringAttr(*mode)),
                          n.namedAttr("pads", n.b.getDenseI64ArrayAttr(pads))}));
}

/// Input `i` when it is not a constant: a scalar read at run time (the
/// caller checks its type); null when it is a constant.
static FailureOr<Value> nonConstantInput(NodeImporter &n, unsigned i) {
  auto value = n.input(i);
  if (failed(value))
    return failure();
  if (value->getDefiningOp<ConstantOp>())
    return Value();
  return value;
}

/// Trilu(x, k?){upper} → kiln.trilu {k} (constant k) or kiln.trilu x, k.
static LogicalResult convertTrilu(NodeImporter &n) {
  if (failed(n.checkAttributes({"upper"})))
    return failure();
  auto x = n.input(0);
  auto upper = n.intAttr("upper", 1);
  if (failed(x) || failed(upper))
    return failure();
  if (cast<RankedTensorType>(x->getType()).getRank() < 2)
    return n.error() << "input must have rank >= 2";
  SmallVector<NamedAttribute> attrs = {
      n.namedAttr("upper", n.b.getBoolAttr(*upper != 0))};
  SmallVector<Value> operands = {*x};
  int64_t k = 0;
  if (n.hasInput(1)) {
    auto dynamicK = nonConstantInput(n, 1);
    if (failed(dynamicK))
      return failure();
    if (*dynamicK) {
      operands.push_back(*dynamicK);
      return setCreated(n, n.createTyped<TriluOp>(x->getType(), operands, attrs));
    }
    auto ks = n.constantInts(1, "k");
    if (failed(ks))
      return failure();
    if (ks->size() != 1)
      return n.error() << "k must be a scalar";
    k = ks->front();
  }
  attrs.push_back(n.namedAttr("k", n.b.getI64IntegerAttr(k)));
  return setCreated(n, n.createTyped<TriluOp>(x->getType(), operands, attrs));
}

/// CumSum(x, axis){exclusive, reverse} → kiln.cumsum {axis} (constant axis)
/// or kiln.cumsum x, axis.
static LogicalResult convertCumSum(NodeImporter &n) {
  if (failed(n.checkAttributes({"exclusive", "reverse"})))
    return failure();
  auto x = n.input(0);
  auto exclusive = n.intAttr("exclusive", 0);
  auto reverse = n.intAttr("reverse", 0);
  auto dynamicAxis = nonConstantInput(n, 1);
  if (failed(x) || failed(exclusive) || failed(reverse) || failed(dynamicAxis))
    return failure();
  SmallVector<NamedAttribute> attrs = {
      n.namedAttr("exclusive", n.b.getBoolAttr(*exclusive != 0)),
      n.namedAttr("reverse", n.b.getBoolAttr(*reverse != 0))};
  if (*dynamicAxis)
    return setCreated(n, n.createTyped<CumSumOp>(
                             x->getType(), {*x, *dynamicAxis}, attrs));
  auto axes = n.constantInts(1, "axis");
  if (failed(axes))
    return failure();
  if (axes->size() != 1)
    return n.error() << "axis must be a scalar";
  auto axis = normalizeAxis(
      n, axes->front(), cast<RankedTensorType>(x->getType()).getRank(), "axis");
  if (failed(axis))
    return failure();
  attrs.insert(attrs.begin(), n.namedAttr("axis", n.b.getI64IntegerAttr(*axis)));
  return setCreated(n, n.createTyped<CumSumOp>(x->getType(), {*x}, attrs));
}

/// OneHot(indices, depth, values){axis} → kiln.one_hot.
static LogicalResult convertOneHot(NodeImporter &n) {
  if (failed(n.checkAttributes({"axis"})))
    return failure();
  auto indices = n.input(0);
  auto depthAttr = n.constantInput(1, "depth");
  auto values = n.input(2);
  auto axisAttr = n.intAttr("axis", -1);
  if (failed(indices) || failed(depthAttr) || failed(values) ||
      failed(axisAttr))
    return failure();
  if (depthAttr->getNumElements() != 1)
    return n.error() << "depth must be a scalar";
  double depth = isa<FloatType>(depthAttr->getElementType())
                     ? (*depthAttr->getValues<APFloat>().begin())
                           .convertToDouble()
                     : double((*depthAttr->getValues<APInt>().begin())
                                  .getSExtValue());
  int64_t rank = cast<RankedTensorType>(indices->getType()).getRank();
  auto axis = normalizeAxis(n, *axisAttr, rank + 1, "axis");
  if (failed(axis))
    return failure();
  return setCreated(
      n, n.create<OneHotOp>(
             {*indices, *values},
             {n.namedAttr("axis", n.b.getI64IntegerAttr(*axis)),
              n.namedAttr("depth", n.b.getI64IntegerAttr(int64_t(depth)))}));
}

/// ScatterElements / Scatter(data, indices, updates){axis, reduction} →
/// kiln.scatter_elements.
static LogicalResult convertScatterElements(NodeImporter &n) {
  if (failed(n.checkAttributes({"axis", "reduction"})))
    return failure();
  auto data = n.input(0);
  auto indices = indexInput(n, 1);
  auto updates = n.input(2);
  auto axisAttr = n.intAttr("axis", 0);
  auto reduction = n.stringAttr("reduction", "none");
  if (failed(data) || failed(indices) || failed(updates) || failed(axisAttr) ||
      failed(reduction))
    return failure();
  auto axis = normalizeAxis(
      n, *axisAttr, cast<RankedTensorType>(data->getType()).getRank(), "axis");
  if (failed(axis))
    return failure();
  return setCreated(
      n, n.createTyped<ScatterElementsOp>(
             data->getType(), {*data, *indices, *updates},
             {n.namedAttr("axis", n.b.getI64IntegerAttr(*axis)),
              n.namedAttr("reduction", n.b.getStringAttr(*reduction))}));
}

/// ScatterND(data, indices, updates){reduction} → kiln.scatter_nd.
static LogicalResult convertScatterND(NodeImporter &n) {
  if (failed(n.checkAttributes({"reduction"})))
    return failure();
  auto data = n.input(0);
  auto indices = indexInput(n, 1);
  auto updates = n.input(2);
  auto reduction = n.stringAttr("reduction", "none");
  if (failed(data) || failed(indices) || failed(updates) || failed(reduction))
    return failure();
  return setCreated(
      n, n.createTyped<ScatterNDOp>(
             data->getType(), {*data, *indices, *updates},
             {n.namedAttr("reduction", n.b.getStringAttr(*reduction))}));
}

/// TopK(x, K){axis, largest, sorted} → kiln.topk (values, indices).
static LogicalResult convertTopK(NodeImporter &n) {
  bool kAsInput = n.opset() >= 10;
  SmallVector<StringRef> known = {"axis"};
  if (!kAsInput)
    known.push_back("k");
  if (n.opset() >= 11)
    known.append({"largest", "sorted"});
  if (failed(n.checkAttributes(known)))
    return failure();
  auto x = n.input(0);
  auto axisAttr = n.intAttr("axis", -1);
  auto largest = n.intAttr("largest", 1);
  if (failed(x) || failed(axisAttr) || failed(largest))
    return failure();
  FailureOr<SmallVector<int64_t>> ks =
      kAsInput ? n.constantInts(1, "K")
               : FailureOr<SmallVector<int64_t>>(SmallVector<int64_t>());
  if (!kAsInput) {
    auto k = n.intAttr("k", -1);
    if (failed(k))
      return failure();
    ks->push_back(*k);
  }
  if (failed(ks))
    return failure();
  if (ks->size() != 1)
    return n.error() << "K must hold one value";
  auto type = cast<RankedTensorType>(x->getType());
  auto axis = normalizeAxis(n, *axisAttr, type.getRank(), "axis");
  if (failed(axis))
    return failure();
  int64_t k = ks->front(), dim = type.getDimSize(*axis);
  if (k < 0 || (dim != kDyn && k > dim))
    return n.error() << "K = " << k << " is out of range for dim " << dim;
  SmallVector<int64_t> shape(type.getShape());
  shape[*axis] = k;
  auto op = TopKOp::create(
      n.b, n.loc, RankedTensorType::get(shape, type.getElementType()),
      RankedTensorType::get(shape, n.b.getI64Type()), *x, *axis, k,
      *largest != 0);
  n.setResult(op.getValues(), 0);
  n.setResult(op.getIndices(), 1);
  return success();
}

/// Ops whose output shape depends on input values.
static LogicalResult convertValueShaped(NodeImporter &n) {
  return n.error() << "unsupported op " << n.opType()
                   << ": its output shape depends on input values, and kiln "
                      "needs shapes at compile time";
}

void mlir::kiln::onnx::registerIndexingOps(ConverterMap &map) {
  map["Gather"] = convertGather<GatherOp>;
  map["GatherElements"] = convertGather<GatherElementsOp>;
  map["GatherND"] = convertGatherND;
  map["Slice"] = convertSlice;
  map["Split"] = convertSplit;
  map["Pad"] = convertPad;
  map["Trilu"] = convertTrilu;
  map["CumSum"] = convertCumSum;
  map["OneHot"] = convertOneHot;
  map["ScatterElements"] = convertScatterElements;
  map["Scatter"] = convertScatterElements;
  map["ScatterND"] = convertScatterND;
  map["TopK"] = convertTopK;
  map["NonZero"] = convertValueShaped;
  map["Unique"] = convertValueShaped;
  map["Compress"] = convertValueShaped;
}
