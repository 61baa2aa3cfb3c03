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

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

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

/// Offset, size and stride of one sliced dim, each static or a run-time
/// index value.
struct MixedSlice {
  OpFoldResult offset, size, stride;
};

/// ONNX Slice clamping of (start, end, step) on a dim of size `dim`, folded
/// where the operands are constants.
static MixedSlice clampMixedSlice(IndexMath &m, OpFoldResult dim,
                                  OpFoldResult start, OpFoldResult end,
                                  OpFoldResult step) {
  auto cd = getConstantIntValue(dim), cs = getConstantIntValue(start),
       ce = getConstantIntValue(end), cst = getConstantIntValue(step);
  if (cd && cs && ce && cst) {
    DimSlice d = clampSlice(*cd, *cs, *ce, *cst);
    return {m.constant(d.offset), m.constant(d.size), m.constant(d.stride)};
  }
  using P = arith::CmpIPredicate;
  auto wrap = [&](OpFoldResult v) {
    return m.select(m.cmp(P::slt, v, m.constant(0)), m.add(v, dim), v);
  };
  auto forward = [&]() -> std::pair<OpFoldResult, OpFoldResult> {
    OpFoldResult s = m.clamp(wrap(start), m.constant(0), dim);
    OpFoldResult e = m.clamp(wrap(end), m.constant(0), dim);
    return {s, m.max(m.ceilDiv(m.sub(e, s), step), m.constant(0))};
  };
  auto backward = [&]() -> std::pair<OpFoldResult, OpFoldResult> {
    OpFoldResult last = m.sub(dim, m.constant(1));
    OpFoldResult s = m.clamp(wrap(start), m.constant(0), last);
    OpFoldResult e = m.clamp(wrap(end), m.constant(-1), last);
    return {s, m.max(m.ceilDiv(m.sub(s, e), m.sub(m.constant(0), step)),
                     m.constant(0))};
  };
  if (cst) {
    auto [s, size] = *cst > 0 ? forward() : backward();
    return {s, size, step};
  }
  auto [fs, fsize] = forward();
  auto [bs, bsize] = backward();
  OpFoldResult positive = m.cmp(P::sgt, step, m.constant(0));
  return {m.select(positive, fs, bs), m.select(positive, fsize, bsize), step};
}

/// Creates kiln.slice of `x` with one MixedSlice per dim and records the
/// result's dims.
static FailureOr<Value> createSlice(NodeImporter &n, Value x,
                                    ArrayRef<MixedSlice> dims) {
  SmallVector<int64_t> offsets, sizes, strides;
  SmallVector<Value> operands = {x}, dynOffsets, dynSizes, dynStrides;
  auto add = [&](OpFoldResult v, SmallVectorImpl<int64_t> &statics,
                 SmallVectorImpl<Value> &dynamic) {
    auto c = getConstantIntValue(v);
    statics.push_back(c ? *c : kDyn);
    if (!c)
      dynamic.push_back(cast<Value>(v));
  };
  auto type = cast<RankedTensorType>(x.getType());
  for (auto [i, given] : llvm::enumerate(dims)) {
    MixedSlice d = given;
    // Clamped bounds past the end of a static dim come with size 0: keep the
    // offset in range for the verifiers.
    int64_t extent = type.getDimSize(i);
    auto offset = getConstantIntValue(d.offset);
    if (extent == 0)
      d = {n.b.getIndexAttr(0), n.b.getIndexAttr(0), d.stride};
    else if (extent != kDyn && offset && *offset >= extent)
      d.offset = n.b.getIndexAttr(0);
    add(d.offset, offsets, dynOffsets);
    add(d.size, sizes, dynSizes);
    add(d.stride, strides, dynStrides);
  }
  llvm::append_range(operands, dynOffsets);
  llvm::append_range(operands, dynSizes);
  llvm::append_range(operands, dynStrides);
  auto result = n.create<SliceOp>(
      operands, {n.namedAttr("offsets", n.b.getDenseI64ArrayAttr(offsets)),
                 n.namedAttr("sizes", n.b.getDenseI64ArrayAttr(sizes)),
                 n.namedAttr("strides", n.b.getDenseI64ArrayAttr(strides))});
  if (failed(result))
    return failure();
  for (auto [d, dim] : llvm::enumerate(dims))
    n.graph.setDim(*result, d, dim.size);
  return result;
}

/// The whole of every dim; a dynamic dim is sized by `tensor.dim` of `x`
/// (which lets a slice that takes everything fold away).
static SmallVector<MixedSlice> wholeDims(NodeImporter &n, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<MixedSlice> dims;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    OpFoldResult size = n.b.getIndexAttr(type.getDimSize(d));
    if (type.isDynamicDim(d))
      size = tensor::DimOp::create(n.b, n.loc, x, d).getResult();
    dims.push_back({n.b.getIndexAttr(0), size, n.b.getIndexAttr(1)});
  }
  return dims;
}

/// Slice(x, starts, ends, axes?, steps?) → kiln.slice (bounds clamped; run
/// time bounds and axes give run-time offsets, sizes and strides).
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
  SmallVector<OpFoldResult> starts, ends, axes, steps;
  auto asMixed = [&](ArrayRef<int64_t> values) {
    SmallVector<OpFoldResult> mixed;
    for (int64_t v : values)
      mixed.push_back(n.b.getIndexAttr(v));
    return mixed;
  };
  if (asInputs) {
    for (auto [i, what, out] :
         {std::make_tuple(1u, "starts", &starts),
          std::make_tuple(2u, "ends", &ends), std::make_tuple(3u, "axes", &axes),
          std::make_tuple(4u, "steps", &steps)}) {
      if (i >= 3 && !n.hasInput(i))
        continue;
      auto v = n.shapeInput(i, what);
      if (failed(v))
        return failure();
      *out = v->elems;
    }
  } else {
    auto s = n.intsAttr("starts", std::nullopt);
    auto e = n.intsAttr("ends", std::nullopt);
    if (failed(s) || failed(e))
      return failure();
    starts = asMixed(*s);
    ends = asMixed(*e);
    if (n.attr("axes")) {
      auto a = n.intsAttr("axes", std::nullopt);
      if (failed(a))
        return failure();
      axes = asMixed(*a);
    }
  }
  if (axes.empty() && !(asInputs && n.hasInput(3)))
    axes = asMixed(llvm::to_vector(llvm::seq<int64_t>(0, starts.size())));
  if (steps.empty() && !(asInputs && n.hasInput(4)))
    steps = asMixed(SmallVector<int64_t>(starts.size(), 1));
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return n.error() << "starts, ends, axes and steps differ in length";
  IndexMath m = n.math();
  SmallVector<MixedSlice> dims = wholeDims(n, *x);
  bool constantAxes = llvm::all_of(
      axes, [](OpFoldResult a) { return getConstantIntValue(a).has_value(); });
  if (constantAxes) {
    SmallVector<bool> seen(rank, false);
    for (size_t i = 0; i < starts.size(); ++i) {
      int64_t given = *getConstantIntValue(axes[i]);
      auto axis = normalizeAxis(n, given, rank, "axis");
      if (failed(axis))
        return failure();
      if (seen[*axis])
        return n.error() << "axis " << given << " is repeated";
      seen[*axis] = true;
      auto step = getConstantIntValue(steps[i]);
      if (step && *step == 0)
        return n.error() << "step is zero";
      dims[*axis] = clampMixedSlice(m, n.graph.dimOf(*x, *axis), starts[i],
                                    ends[i], steps[i]);
    }
    return setCreated(n, createSlice(n, *x, dims));
  }
  // Axes known at run time: every dim takes the bounds of the entry that
  // names it, or the whole dim.
  using P = arith::CmpIPredicate;
  for (int64_t d = 0; d < rank; ++d) {
    OpFoldResult start = m.constant(0), end = m.constant(INT64_MAX),
                 step = m.constant(1);
    for (size_t i = 0; i < starts.size(); ++i) {
      OpFoldResult axis = m.select(m.cmp(P::slt, axes[i], m.constant(0)),
                                   m.add(axes[i], m.constant(rank)), axes[i]);
      OpFoldResult named = m.cmp(P::eq, axis, m.constant(d));
      start = m.select(named, starts[i], start);
      end = m.select(named, ends[i], end);
      step = m.select(named, steps[i], step);
    }
    dims[d] = clampMixedSlice(m, n.graph.dimOf(*x, d), start, end, step);
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
  OpFoldResult dim = n.graph.dimOf(*x, *axis);
  auto dimConst = getConstantIntValue(dim);
  int64_t outputs = n.node.output_size();
  IndexMath m = n.math();
  SmallVector<OpFoldResult> sizes;
  if (splitInput && n.hasInput(1)) {
    auto given = n.shapeInput(1, "split");
    if (failed(given))
      return failure();
    sizes = given->elems;
  } else if (!splitInput && n.attr("split")) {
    auto given = n.intsAttr("split", std::nullopt);
    if (failed(given))
      return failure();
    for (int64_t v : *given)
      sizes.push_back(m.constant(v));
  }
  if (sizes.empty()) {
    auto parts = n.intAttr("num_outputs", outputs);
    if (failed(parts))
      return failure();
    if (*parts != outputs || outputs < 1)
      return n.error() << "num_outputs " << *parts << " but " << outputs
                       << " outputs";
    // Equal parts; with num_outputs the last may be smaller.
    if (!n.attr("num_outputs") && dimConst && *dimConst % outputs)
      return n.error() << "dim " << *dimConst << " does not split evenly into "
                       << outputs;
    OpFoldResult chunk = m.ceilDiv(dim, m.constant(outputs));
    for (int64_t i = 0; i < outputs; ++i) {
      OpFoldResult left = m.sub(dim, m.mul(chunk, m.constant(i)));
      sizes.push_back(m.max(m.min(chunk, left), m.constant(0)));
    }
  }
  bool allConstant = llvm::all_of(sizes, [](OpFoldResult s) {
    return getConstantIntValue(s).has_value();
  });
  if (int64_t(sizes.size()) != outputs ||
      llvm::any_of(sizes, [](OpFoldResult s) {
        auto c = getConstantIntValue(s);
        return c && *c < 0;
      }))
    return n.error() << "split sizes do not fit " << outputs << " outputs";
  if (allConstant && dimConst) {
    int64_t sum = 0;
    for (OpFoldResult s : sizes)
      sum += *getConstantIntValue(s);
    if (sum != *dimConst)
      return n.error() << "split sizes do not add up to dim " << *dimConst
                       << " for " << outputs << " outputs";
  }
  OpFoldResult offset = m.constant(0);
  for (auto [i, size] : llvm::enumerate(sizes)) {
    SmallVector<MixedSlice> dims = wholeDims(n, *x);
    bool empty = isConstantIntValue(size, 0);
    dims[*axis] = {empty ? m.constant(0) : offset, size, m.constant(1)};
    offset = m.add(offset, size);
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

/// kiln.pad of `x` by `pads` (begin pads, then end pads; static or run
/// time) with `value`, recording the result's dims.
static FailureOr<Value> createPad(NodeImporter &n, Value x, Value value,
                                  StringRef mode,
                                  ArrayRef<OpFoldResult> pads) {
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  SmallVector<int64_t> staticPads;
  SmallVector<Value> operands = {x, value};
  for (OpFoldResult p : pads) {
    auto c = getConstantIntValue(p);
    staticPads.push_back(c ? *c : kDyn);
    if (!c)
      operands.push_back(cast<Value>(p));
  }
  auto padded = n.create<PadOp>(
      operands, {n.namedAttr("mode", n.b.getStringAttr(mode)),
                 n.namedAttr("pads", n.b.getDenseI64ArrayAttr(staticPads))});
  if (failed(padded))
    return failure();
  IndexMath m = n.math();
  for (int64_t d = 0; d < rank; ++d)
    n.graph.setDim(*padded, d,
                   m.add(m.add(n.graph.dimOf(x, d), pads[d]), pads[d + rank]));
  return padded;
}

/// CenterCropPad(x, shape){axes} → kiln.slice of the centred window where
/// x is larger, then kiln.pad (zeros, centred) where it is smaller.
static LogicalResult convertCenterCropPad(NodeImporter &n) {
  if (failed(n.checkAttributes({"axes"})))
    return failure();
  auto x = n.input(0);
  auto shape = n.shapeInput(1, "shape");
  if (failed(x) || failed(shape))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  auto axesAttr =
      n.intsAttr("axes", llvm::to_vector(llvm::seq<int64_t>(0, rank)));
  if (failed(axesAttr))
    return failure();
  if (axesAttr->size() != shape->elems.size())
    return n.error() << "shape has " << shape->elems.size() << " entries for "
                     << axesAttr->size() << " axes";
  IndexMath m = n.math();
  SmallVector<MixedSlice> dims = wholeDims(n, *x);
  SmallVector<OpFoldResult> pads(2 * rank, m.constant(0));
  for (auto [i, given] : llvm::enumerate(*axesAttr)) {
    auto axis = normalizeAxis(n, given, rank, "axis");
    if (failed(axis))
      return failure();
    OpFoldResult dim = n.graph.dimOf(*x, *axis), want = shape->elems[i];
    OpFoldResult crop = m.max(m.sub(dim, want), m.constant(0));
    OpFoldResult pad = m.max(m.sub(want, dim), m.constant(0));
    dims[*axis] = {m.div(crop, m.constant(2)), m.sub(dim, crop),
                   m.constant(1)};
    pads[*axis] = m.div(pad, m.constant(2));
    pads[*axis + rank] = m.sub(pad, pads[*axis]);
  }
  auto cropped = createSlice(n, *x, dims);
  if (failed(cropped))
    return failure();
  Value zero = scalarConstant(n, type.getElementType(), 0);
  return setCreated(n, createPad(n, *cropped, zero, "constant", pads));
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
  IndexMath m = n.math();
  SmallVector<OpFoldResult> given;
  if (asInputs) {
    auto v = n.shapeInput(1, "pads");
    if (failed(v))
      return failure();
    given = v->elems;
  } else {
    auto v = n.intsAttr("pads", std::nullopt);
    if (failed(v))
      return failure();
    for (int64_t p : *v)
      given.push_back(m.constant(p));
  }
  SmallVector<OpFoldResult> axes;
  for (int64_t d = 0; d < rank; ++d)
    axes.push_back(m.constant(d));
  if (asInputs && n.hasInput(3)) {
    auto a = n.shapeInput(3, "axes");
    if (failed(a))
      return failure();
    axes.clear();
    for (OpFoldResult v : a->elems) {
      auto c = getConstantIntValue(v);
      if (!c) {
        // Negative axes count from the end.
        axes.push_back(m.select(
            m.cmp(arith::CmpIPredicate::slt, v, m.constant(0)),
            m.add(v, m.constant(rank)), v));
        continue;
      }
      auto axis = normalizeAxis(n, *c, rank, "axis");
      if (failed(axis))
        return failure();
      axes.push_back(m.constant(*axis));
    }
  }
  if (given.size() != 2 * axes.size())
    return n.error() << "expected " << 2 * axes.size() << " pads, got "
                     << given.size();
  // Every dim takes the pads of the axis entry that names it.
  SmallVector<OpFoldResult> pads(2 * rank, m.constant(0));
  for (int64_t d = 0; d < rank; ++d)
    for (auto [i, axis] : llvm::enumerate(axes)) {
      OpFoldResult named = m.cmp(arith::CmpIPredicate::eq, axis, m.constant(d));
      pads[d] = m.select(named, given[i], pads[d]);
      pads[d + rank] = m.select(named, given[i + axes.size()], pads[d + rank]);
    }
  // Negative pads crop: slice first, then pad by what is positive.
  Value input = *x;
  auto mayBeNegative = [](OpFoldResult p) {
    auto c = getConstantIntValue(p);
    return c ? *c < 0 : !IndexMath::isNonNegative(p);
  };
  if (llvm::any_of(pads, mayBeNegative)) {
    SmallVector<MixedSlice> dims = wholeDims(n, input);
    for (int64_t d = 0; d < rank; ++d) {
      if (!mayBeNegative(pads[d]) && !mayBeNegative(pads[d + rank]))
        continue;
      OpFoldResult cropLo = m.max(m.sub(m.constant(0), pads[d]), m.constant(0));
      OpFoldResult cropHi =
          m.max(m.sub(m.constant(0), pads[d + rank]), m.constant(0));
      OpFoldResult dim = n.graph.dimOf(input, d);
      dims[d] = {cropLo,
                 m.max(m.sub(m.sub(dim, cropLo), cropHi), m.constant(0)),
                 m.constant(1)};
      pads[d] = m.max(pads[d], m.constant(0));
      pads[d + rank] = m.max(pads[d + rank], m.constant(0));
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
  return setCreated(n, createPad(n, input, value, *mode, pads));
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

/// OneHot's depth: a constant, or (int or float) read at run time.
static FailureOr<OpFoldResult> oneHotDepth(NodeImporter &n) {
  auto depth = n.input(1);
  if (failed(depth))
    return failure();
  auto type = cast<RankedTensorType>(depth->getType());
  if (!type.hasStaticShape() || type.getNumElements() != 1)
    return n.error() << "depth must be a scalar";
  auto constant = depth->getDefiningOp<ConstantOp>();
  if (constant && isa<DenseElementsAttr>(constant.getValue())) {
    auto attr = n.constantInput(1, "depth");
    if (failed(attr))
      return failure();
    double value = isa<FloatType>(attr->getElementType())
                       ? (*attr->getValues<APFloat>().begin()).convertToDouble()
                       : double((*attr->getValues<APInt>().begin()).getSExtValue());
    return OpFoldResult(n.b.getIndexAttr(int64_t(value)));
  }
  Type et = type.getElementType();
  if (!isa<FloatType>(et) && !et.isSignlessInteger())
    return n.error() << "depth must be a number, got " << et;
  SmallVector<Value> at(type.getRank(),
                        arith::ConstantIndexOp::create(n.b, n.loc, 0));
  Value v = tensor::ExtractOp::create(n.b, n.loc, *depth, at);
  if (isa<FloatType>(et))
    v = arith::FPToSIOp::create(n.b, n.loc, n.b.getI64Type(), v);
  return OpFoldResult(
      arith::IndexCastOp::create(n.b, n.loc, n.b.getIndexType(), v).getResult());
}

/// OneHot(indices, depth, values){axis} → kiln.one_hot.
static LogicalResult convertOneHot(NodeImporter &n) {
  if (failed(n.checkAttributes({"axis"})))
    return failure();
  auto indices = n.input(0);
  auto depth = oneHotDepth(n);
  auto values = n.input(2);
  auto axisAttr = n.intAttr("axis", -1);
  if (failed(indices) || failed(depth) || failed(values) || failed(axisAttr))
    return failure();
  int64_t rank = cast<RankedTensorType>(indices->getType()).getRank();
  auto axis = normalizeAxis(n, *axisAttr, rank + 1, "axis");
  if (failed(axis))
    return failure();
  auto depthConst = getConstantIntValue(*depth);
  SmallVector<Value> operands = {*indices, *values};
  if (!depthConst)
    operands.push_back(cast<Value>(*depth));
  auto result = n.create<OneHotOp>(
      operands,
      {n.namedAttr("axis", n.b.getI64IntegerAttr(*axis)),
       n.namedAttr("depth", n.b.getI64IntegerAttr(depthConst ? *depthConst
                                                             : kDyn))});
  if (failed(result))
    return failure();
  n.graph.setDim(*result, *axis, *depth);
  n.setResult(*result);
  return success();
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
  OpFoldResult k;
  if (kAsInput) {
    auto ks = n.shapeInput(1, "K");
    if (failed(ks))
      return failure();
    if (ks->elems.size() != 1)
      return n.error() << "K must hold one value";
    k = ks->elems.front();
  } else {
    auto kAttr = n.intAttr("k", -1);
    if (failed(kAttr))
      return failure();
    k = n.b.getIndexAttr(*kAttr);
  }
  auto type = cast<RankedTensorType>(x->getType());
  auto axis = normalizeAxis(n, *axisAttr, type.getRank(), "axis");
  if (failed(axis))
    return failure();
  auto kConst = getConstantIntValue(k);
  int64_t dim = type.getDimSize(*axis);
  if (kConst && (*kConst < 0 || (dim != kDyn && *kConst > dim)))
    return n.error() << "K = " << *kConst << " is out of range for dim "
                     << dim;
  SmallVector<int64_t> shape(type.getShape());
  shape[*axis] = kConst ? *kConst : kDyn;
  auto op = TopKOp::create(
      n.b, n.loc, RankedTensorType::get(shape, type.getElementType()),
      RankedTensorType::get(shape, n.b.getI64Type()), *x, *axis,
      kConst ? *kConst : kDyn, *largest != 0,
      kConst ? Value() : cast<Value>(k));
  for (Value result : op->getResults())
    for (int64_t d = 0; d < type.getRank(); ++d)
      n.graph.setDim(result, d, d == *axis ? k : n.graph.dimOf(*x, d));
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
  map["CenterCropPad"] = convertCenterCropPad;
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
