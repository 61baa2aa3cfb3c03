//===- Shape.cpp - ONNX shape ops and constants → kiln --------------------===//
//
// Reshape, Flatten, Squeeze, Unsqueeze (all kiln.reshape, with the target
// shape computed here), Transpose, Concat, Expand, Tile, DepthToSpace /
// SpaceToDepth (reshape + transpose), Identity, and the ops that make
// constants: Constant, Shape, Size, ConstantOfShape, Range, EyeLike. Shape
// inputs (Reshape's shape, Expand's shape...) must be constants, which the
// importer's folding makes them for shape subgraphs of static tensors.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"

#include "llvm/Support/InterleavedRange.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx;

static constexpr int64_t kDyn = ShapedType::kDynamic;

/// Product of `dims`, dynamic if any is.
static int64_t product(ArrayRef<int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims) {
    if (d == kDyn)
      return kDyn;
    p *= d;
  }
  return p;
}

static LogicalResult reshapeTo(NodeImporter &n, Value x,
                               ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(x.getType());
  auto result = n.createTyped<ReshapeOp>(
      RankedTensorType::get(shape, type.getElementType()), {x});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// Reshape(x, shape) → kiln.reshape x (0 copies a dim unless allowzero; -1 is
/// inferred).
static LogicalResult convertReshape(NodeImporter &n) {
  bool shapeAsInput = n.opset() >= 5;
  if (failed(n.checkAttributes(shapeAsInput ? ArrayRef<StringRef>{"allowzero"}
                                            : ArrayRef<StringRef>{"shape"})))
    return failure();
  auto x = n.input(0);
  if (failed(x))
    return failure();
  auto requested = shapeAsInput ? n.constantInts(1, "shape")
                                : n.intsAttr("shape", std::nullopt);
  auto allowZero = n.intAttr("allowzero", 0);
  if (failed(requested) || failed(allowZero))
    return failure();
  ArrayRef<int64_t> in = cast<RankedTensorType>(x->getType()).getShape();
  SmallVector<int64_t> shape;
  int inferred = -1;
  // Dynamic input dims copied by a 0 entry: they cancel out of -1's size.
  SmallVector<size_t, 4> copiedDynamic;
  for (auto [i, d] : llvm::enumerate(*requested)) {
    if (d == 0 && !*allowZero) {
      if (i >= in.size())
        return n.error() << "shape entry " << i << " is 0 but the input has "
                         << "rank " << in.size();
      shape.push_back(in[i]);
      if (in[i] == kDyn)
        copiedDynamic.push_back(i);
    } else if (d == -1) {
      if (inferred >= 0)
        return n.error() << "shape has more than one -1";
      inferred = i;
      shape.push_back(kDyn);
    } else if (d < 0) {
      return n.error() << "invalid shape entry " << d;
    } else {
      shape.push_back(d);
    }
  }
  if (inferred >= 0) {
    SmallVector<int64_t> known(shape);
    known.erase(known.begin() + inferred);
    int64_t total = product(in), rest = product(known);
    if (total == kDyn && rest == kDyn) {
      // [?, 4, 16] with [0, -1]: -1 is 64 when every dynamic input dim is
      // copied (the only dynamic factors on both sides are the same dims).
      bool cancels = llvm::all_of(llvm::enumerate(in), [&](auto dim) {
        return dim.value() != kDyn || llvm::is_contained(copiedDynamic, dim.index());
      });
      if (cancels && llvm::count(known, kDyn) == (int64_t)copiedDynamic.size()) {
        auto staticProduct = [](ArrayRef<int64_t> dims) {
          int64_t p = 1;
          for (int64_t d : dims)
            p *= d == kDyn ? 1 : d;
          return p;
        };
        total = staticProduct(in);
        rest = staticProduct(known);
      }
    }
    if (total != kDyn && rest != kDyn) {
      if (rest == 0 || total % rest)
        return n.error() << "cannot reshape " << x->getType() << " with -1 "
                         << "in the shape";
      shape[inferred] = total / rest;
    }
  }
  return reshapeTo(n, *x, shape);
}

/// Flatten(x) → kiln.reshape x to 2-D at `axis`.
static LogicalResult convertFlatten(NodeImporter &n) {
  if (failed(n.checkAttributes({"axis"})))
    return failure();
  auto x = n.input(0);
  auto axisAttr = n.intAttr("axis", 1);
  if (failed(x) || failed(axisAttr))
    return failure();
  ArrayRef<int64_t> in = cast<RankedTensorType>(x->getType()).getShape();
  int64_t rank = in.size();
  // Flatten's axis may equal the rank.
  if (*axisAttr < -rank || *axisAttr > rank)
    return n.error() << "axis " << *axisAttr << " is out of range for rank "
                     << rank;
  int64_t axis = *axisAttr < 0 ? *axisAttr + rank : *axisAttr;
  return reshapeTo(n, *x,
                   {product(in.take_front(axis)), product(in.drop_front(axis))});
}

/// Transpose(x) → kiln.transpose x {perm} (default: reversed dims).
static LogicalResult convertTranspose(NodeImporter &n) {
  if (failed(n.checkAttributes({"perm"})))
    return failure();
  auto x = n.input(0);
  if (failed(x))
    return failure();
  int64_t rank = cast<RankedTensorType>(x->getType()).getRank();
  auto perm = n.intsAttr("perm", llvm::to_vector(llvm::reverse(
                                     llvm::seq<int64_t>(0, rank))));
  if (failed(perm))
    return failure();
  SmallVector<int64_t> sorted(*perm);
  llvm::sort(sorted);
  if (sorted != llvm::to_vector(llvm::seq<int64_t>(0, rank)))
    return n.error() << "perm is not a permutation of " << rank << " dims";
  auto result = n.create<TransposeOp>(
      {*x}, {n.namedAttr("perm", n.b.getDenseI64ArrayAttr(*perm))});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// Concat(xs...) → kiln.concat xs {axis}.
static LogicalResult convertConcat(NodeImporter &n) {
  if (failed(n.checkAttributes({"axis"})))
    return failure();
  if (n.node.input_size() == 0)
    return n.error() << "needs at least one input";
  SmallVector<Value> inputs;
  for (int i = 0; i < n.node.input_size(); ++i) {
    auto x = n.input(i);
    if (failed(x))
      return failure();
    inputs.push_back(*x);
  }
  if (!n.attr("axis"))
    return n.error() << "missing required attribute 'axis'";
  auto axisAttr = n.intAttr("axis", 0);
  if (failed(axisAttr))
    return failure();
  auto axis = normalizeAxis(
      n, *axisAttr, cast<RankedTensorType>(inputs[0].getType()).getRank(),
      "axis");
  if (failed(axis))
    return failure();
  auto result = n.create<ConcatOp>(
      inputs, {n.namedAttr("axis", n.b.getI64IntegerAttr(*axis))});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// Constant{value | value_float(s) | value_int(s)} → kiln.constant.
static LogicalResult convertConstant(NodeImporter &n) {
  if (n.node.attribute_size() != 1)
    return n.error() << "expects exactly one value attribute";
  const ::onnx::AttributeProto &a = n.node.attribute(0);
  ElementsAttr value;
  StringRef kind = a.name();
  if (kind == "value") {
    if (!a.has_t())
      return n.error() << "attribute 'value' must be a TENSOR";
    auto converted = n.graph.tensors.convert(
        n.ctx(), a.t(), "node '" + n.name + "' (Constant) value", n.loc);
    if (failed(converted))
      return failure();
    value = *converted;
  } else if (kind == "value_float" || kind == "value_floats") {
    SmallVector<float> data;
    if (kind == "value_float") {
      auto v = n.floatAttr(kind, 0);
      if (failed(v))
        return failure();
      data.push_back(*v);
    } else {
      if (a.ints_size())
        return n.error() << "attribute 'value_floats' must be FLOATS";
      data.assign(a.floats().begin(), a.floats().end());
    }
    SmallVector<int64_t> shape;
    if (kind == "value_floats")
      shape.push_back(data.size());
    value = DenseElementsAttr::get(
        RankedTensorType::get(shape, n.b.getF32Type()), ArrayRef<float>(data));
  } else if (kind == "value_int" || kind == "value_ints") {
    SmallVector<int64_t> data, shape;
    if (kind == "value_int") {
      auto v = n.intAttr(kind, 0);
      if (failed(v))
        return failure();
      data.push_back(*v);
    } else {
      auto v = n.intsAttr(kind, std::nullopt);
      if (failed(v))
        return failure();
      data = *v;
      shape.push_back(data.size());
    }
    value = DenseElementsAttr::get(
        RankedTensorType::get(shape, n.b.getI64Type()), ArrayRef<int64_t>(data));
  } else {
    return n.error() << "unsupported attribute '" << kind << "'";
  }
  n.setResult(ConstantOp::create(n.b, n.loc, value).getResult());
  return success();
}

//===----------------------------------------------------------------------===//
// Squeeze, Unsqueeze, Identity
//===----------------------------------------------------------------------===//

/// Axes of Squeeze/Unsqueeze: an attribute before opset 13, an optional
/// constant input after.
static FailureOr<std::optional<SmallVector<int64_t>>>
squeezeAxes(NodeImporter &n) {
  if (n.opset() < 13) {
    if (failed(n.checkAttributes({"axes"})))
      return failure();
    if (!n.attr("axes"))
      return std::optional<SmallVector<int64_t>>();
    auto axes = n.intsAttr("axes", std::nullopt);
    if (failed(axes))
      return failure();
    return std::optional<SmallVector<int64_t>>(*axes);
  }
  if (failed(n.checkAttributes({})))
    return failure();
  if (!n.hasInput(1))
    return std::optional<SmallVector<int64_t>>();
  auto axes = n.constantInts(1, "axes");
  if (failed(axes))
    return failure();
  return std::optional<SmallVector<int64_t>>(*axes);
}

/// Sorted, de-duplicated, non-negative axes; fails on out-of-range entries.
static FailureOr<SmallVector<int64_t>>
normalizeAxes(NodeImporter &n, ArrayRef<int64_t> axes, int64_t rank) {
  SmallVector<int64_t> out;
  for (int64_t a : axes) {
    auto axis = normalizeAxis(n, a, rank, "axis");
    if (failed(axis))
      return failure();
    if (llvm::is_contained(out, *axis))
      return n.error() << "axis " << a << " is repeated";
    out.push_back(*axis);
  }
  llvm::sort(out);
  return out;
}

/// Squeeze(x, axes?) → kiln.reshape x without the size-1 `axes` (default:
/// every size-1 dim).
static LogicalResult convertSqueeze(NodeImporter &n) {
  auto x = n.input(0);
  auto axesOrNone = squeezeAxes(n);
  if (failed(x) || failed(axesOrNone))
    return failure();
  ArrayRef<int64_t> in = cast<RankedTensorType>(x->getType()).getShape();
  SmallVector<int64_t> axes;
  if (*axesOrNone) {
    auto normalized = normalizeAxes(n, **axesOrNone, in.size());
    if (failed(normalized))
      return failure();
    axes = *normalized;
  } else {
    for (auto [d, size] : llvm::enumerate(in)) {
      if (size == kDyn)
        return n.error() << "squeeze without axes needs static dims, but dim "
                         << d << " is dynamic";
      if (size == 1)
        axes.push_back(d);
    }
  }
  SmallVector<int64_t> shape;
  for (auto [d, size] : llvm::enumerate(in)) {
    if (!llvm::is_contained(axes, int64_t(d))) {
      shape.push_back(size);
      continue;
    }
    if (size != 1 && size != kDyn)
      return n.error() << "cannot squeeze dim " << d << " of size " << size;
  }
  return reshapeTo(n, *x, shape);
}

/// Unsqueeze(x, axes) → kiln.reshape x with size-1 dims inserted at `axes`
/// (positions in the result).
static LogicalResult convertUnsqueeze(NodeImporter &n) {
  auto x = n.input(0);
  auto axesOrNone = squeezeAxes(n);
  if (failed(x) || failed(axesOrNone))
    return failure();
  if (!*axesOrNone)
    return n.error() << "missing required axes";
  ArrayRef<int64_t> in = cast<RankedTensorType>(x->getType()).getShape();
  int64_t rank = in.size() + (*axesOrNone)->size();
  auto axes = normalizeAxes(n, **axesOrNone, rank);
  if (failed(axes))
    return failure();
  SmallVector<int64_t> shape;
  size_t next = 0;
  for (int64_t d = 0; d < rank; ++d)
    shape.push_back(llvm::is_contained(*axes, d) ? 1 : in[next++]);
  return reshapeTo(n, *x, shape);
}

/// Identity(x) → x.
static LogicalResult convertIdentity(NodeImporter &n) {
  if (failed(n.checkAttributes({})))
    return failure();
  auto x = n.input(0);
  if (failed(x))
    return failure();
  n.setResult(*x);
  return success();
}

//===----------------------------------------------------------------------===//
// Expand, Tile, DepthToSpace, SpaceToDepth
//===----------------------------------------------------------------------===//

static FailureOr<Value> expandTo(NodeImporter &n, Value x,
                                 ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(x.getType());
  return n.createTyped<ExpandOp>(
      RankedTensorType::get(shape, type.getElementType()), {x});
}

/// Expand(x, shape) → kiln.expand x to broadcast(x.shape, shape).
static LogicalResult convertExpand(NodeImporter &n) {
  if (failed(n.checkAttributes({})))
    return failure();
  auto x = n.input(0);
  auto requested = n.constantInts(1, "shape");
  if (failed(x) || failed(requested))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  auto shape = broadcastShapes(type.getShape(), *requested);
  if (failed(shape) || llvm::any_of(*requested, [](int64_t d) { return d < 0; }))
    return n.error() << "cannot expand " << type << " to shape ["
                     << llvm::interleaved(*requested) << "]";
  auto result = expandTo(n, *x, *shape);
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// Tile(x, repeats) → reshape(expand(reshape(x, [1,d0,1,d1..]),
/// [r0,d0,r1,d1..]), [r0*d0, r1*d1..]).
static LogicalResult convertTile(NodeImporter &n) {
  if (failed(n.checkAttributes({})))
    return failure();
  auto x = n.input(0);
  auto repeats = n.constantInts(1, "repeats");
  if (failed(x) || failed(repeats))
    return failure();
  ArrayRef<int64_t> in = cast<RankedTensorType>(x->getType()).getShape();
  if (repeats->size() != in.size() ||
      llvm::any_of(*repeats, [](int64_t r) { return r < 0; }))
    return n.error() << "repeats must hold " << in.size()
                     << " non-negative entries";
  SmallVector<int64_t> split, expanded, result;
  for (auto [d, r] : llvm::zip(in, *repeats)) {
    split.append({1, d});
    expanded.append({r, d});
    result.push_back(d == kDyn ? kDyn : r * d);
  }
  auto type = cast<RankedTensorType>(x->getType());
  auto reshaped = n.createTyped<ReshapeOp>(
      RankedTensorType::get(split, type.getElementType()), {*x});
  if (failed(reshaped))
    return failure();
  auto tiled = expandTo(n, *reshaped, expanded);
  if (failed(tiled))
    return failure();
  return reshapeTo(n, *tiled, result);
}

/// DepthToSpace / SpaceToDepth(x) → reshape, transpose, reshape.
static LogicalResult convertDepthSpace(NodeImporter &n) {
  bool toSpace = n.opType() == "DepthToSpace";
  if (failed(n.checkAttributes({"blocksize", "mode"})))
    return failure();
  auto x = n.input(0);
  auto blockAttr = n.intAttr("blocksize", 0);
  auto mode = n.stringAttr("mode", "DCR");
  if (failed(x) || failed(blockAttr) || failed(mode))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t b = *blockAttr;
  if (type.getRank() != 4 || !type.hasStaticShape())
    return n.error() << "needs a static 4-D input, got " << type;
  if (b < 1)
    return n.error() << "blocksize must be positive";
  int64_t N = type.getDimSize(0), C = type.getDimSize(1),
          H = type.getDimSize(2), W = type.getDimSize(3);
  SmallVector<int64_t> split, perm, result;
  if (toSpace) {
    if (C % (b * b))
      return n.error() << "channels " << C << " not divisible by blocksize^2";
    if (*mode == "DCR") {
      split = {N, b, b, C / (b * b), H, W};
      perm = {0, 3, 4, 1, 5, 2};
    } else if (*mode == "CRD") {
      split = {N, C / (b * b), b, b, H, W};
      perm = {0, 1, 4, 2, 5, 3};
    } else {
      return n.error() << "unknown mode '" << *mode << "'";
    }
    result = {N, C / (b * b), H * b, W * b};
  } else {
    if (H % b || W % b)
      return n.error() << "spatial dims not divisible by blocksize " << b;
    split = {N, C, H / b, b, W / b, b};
    if (*mode == "DCR")
      perm = {0, 3, 5, 1, 2, 4};
    else if (*mode == "CRD")
      perm = {0, 1, 3, 5, 2, 4};
    else
      return n.error() << "unknown mode '" << *mode << "'";
    result = {N, C * b * b, H / b, W / b};
  }
  auto reshaped = n.createTyped<ReshapeOp>(
      RankedTensorType::get(split, type.getElementType()), {*x});
  if (failed(reshaped))
    return failure();
  auto moved = n.create<TransposeOp>(
      {*reshaped}, {n.namedAttr("perm", n.b.getDenseI64ArrayAttr(perm))});
  if (failed(moved))
    return failure();
  return reshapeTo(n, *moved, result);
}

//===----------------------------------------------------------------------===//
// Ops that produce constants
//===----------------------------------------------------------------------===//

static void setConstant(NodeImporter &n, DenseElementsAttr value) {
  n.setResult(ConstantOp::create(n.b, n.loc, value).getResult());
}

/// Shape(x){start, end} → kiln.constant of x's (static) dims.
static LogicalResult convertShape(NodeImporter &n) {
  if (failed(n.checkAttributes({"start", "end"})))
    return failure();
  auto x = n.input(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> in = cast<RankedTensorType>(x->getType()).getShape();
  int64_t rank = in.size();
  auto start = n.intAttr("start", 0);
  auto end = n.intAttr("end", rank);
  if (failed(start) || failed(end))
    return failure();
  auto clampAxis = [&](int64_t a) {
    return std::clamp<int64_t>(a < 0 ? a + rank : a, 0, rank);
  };
  int64_t lo = clampAxis(*start), hi = std::max(lo, clampAxis(*end));
  SmallVector<int64_t> dims(in.begin() + lo, in.begin() + hi);
  for (auto [i, d] : llvm::enumerate(dims))
    if (d == kDyn)
      return n.error() << "dim " << lo + i << " of " << x->getType()
                       << " is dynamic; kiln folds Shape only for static dims "
                          "(bind them with --input-shape)";
  auto type = RankedTensorType::get({int64_t(dims.size())}, n.b.getI64Type());
  setConstant(n, DenseElementsAttr::get(type, ArrayRef<int64_t>(dims)));
  return success();
}

/// Size(x) → kiln.constant of x's (static) element count.
static LogicalResult convertSize(NodeImporter &n) {
  if (failed(n.checkAttributes({})))
    return failure();
  auto x = n.input(0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  if (!type.hasStaticShape())
    return n.error() << "input " << type << " has dynamic dims; kiln folds "
                     << "Size only for static shapes";
  setConstant(n, DenseElementsAttr::get(
                     RankedTensorType::get({}, n.b.getI64Type()),
                     ArrayRef<int64_t>{type.getNumElements()}));
  return success();
}

/// ConstantOfShape(shape){value} → splat kiln.constant.
static LogicalResult convertConstantOfShape(NodeImporter &n) {
  if (failed(n.checkAttributes({"value"})))
    return failure();
  auto shape = n.constantInts(0, "shape");
  if (failed(shape))
    return failure();
  if (llvm::any_of(*shape, [](int64_t d) { return d < 0; }))
    return n.error() << "negative dim in shape";
  Attribute element = n.b.getF32FloatAttr(0);
  if (const auto *a = n.attr("value")) {
    if (!a->has_t())
      return n.error() << "attribute 'value' must be a TENSOR";
    auto value = n.graph.tensors.convert(n.ctx(), a->t(), "value", n.loc);
    if (failed(value))
      return failure();
    auto dense = dyn_cast<DenseElementsAttr>(*value);
    if (!dense || dense.getNumElements() != 1)
      return n.error() << "attribute 'value' must hold one element";
    element = dense.getSplatValue<Attribute>();
  }
  Type elementType = cast<TypedAttr>(element).getType();
  setConstant(n, DenseElementsAttr::get(
                     RankedTensorType::get(*shape, elementType), element));
  return success();
}

/// The single value of a constant scalar input as a double (ints exact up
/// to 2^53, enough for ranges).
static FailureOr<double> scalarInput(NodeImporter &n, unsigned i,
                                     StringRef what) {
  auto attr = n.constantInput(i, what);
  if (failed(attr))
    return failure();
  if (attr->getNumElements() != 1)
    return n.error() << what << " must be a scalar";
  Type t = attr->getElementType();
  if (isa<FloatType>(t))
    return (*attr->getValues<APFloat>().begin()).convertToDouble();
  if (t.isInteger(1))
    return n.error() << what << " must be numeric";
  APInt v = *attr->getValues<APInt>().begin();
  if (t.isUnsignedInteger())
    return double(v.getZExtValue());
  return double(v.getSExtValue());
}

/// Range(start, limit, delta) → kiln.constant (all three must be constant).
static LogicalResult convertRange(NodeImporter &n) {
  if (failed(n.checkAttributes({})))
    return failure();
  auto start = scalarInput(n, 0, "start");
  auto limit = scalarInput(n, 1, "limit");
  auto delta = scalarInput(n, 2, "delta");
  if (failed(start) || failed(limit) || failed(delta))
    return failure();
  if (*delta == 0)
    return n.error() << "delta is zero";
  int64_t count = std::max<int64_t>(
      0, int64_t(std::ceil((*limit - *start) / *delta)));
  if (count > (1 << 24))
    return n.error() << "range of " << count << " elements is too large";
  Type t = cast<RankedTensorType>((*n.input(0)).getType()).getElementType();
  auto type = RankedTensorType::get({count}, t);
  SmallVector<Attribute> values;
  for (int64_t i = 0; i < count; ++i) {
    if (auto ft = dyn_cast<FloatType>(t)) {
      // ONNX adds delta repeatedly in the element type; for f32 that is
      // start + i*delta rounded once, within an ulp.
      values.push_back(n.b.getFloatAttr(ft, *start + i * *delta));
    } else {
      values.push_back(
          n.b.getIntegerAttr(t, int64_t(*start) + i * int64_t(*delta)));
    }
  }
  setConstant(n, DenseElementsAttr::get(type, values));
  return success();
}

/// EyeLike(x){dtype, k} → kiln.constant with ones on diagonal k.
static LogicalResult convertEyeLike(NodeImporter &n) {
  if (failed(n.checkAttributes({"dtype", "k"})))
    return failure();
  auto x = n.input(0);
  auto k = n.intAttr("k", 0);
  if (failed(x) || failed(k))
    return failure();
  auto in = cast<RankedTensorType>(x->getType());
  if (in.getRank() != 2 || !in.hasStaticShape())
    return n.error() << "needs a static 2-D input, got " << in;
  Type t = in.getElementType();
  if (n.attr("dtype")) {
    auto dtype = n.intAttr("dtype", 0);
    if (failed(dtype))
      return failure();
    t = convertDataType(n.ctx(), *dtype);
    if (!t)
      return n.error() << "unsupported dtype " << dataTypeName(*dtype);
  }
  auto type = RankedTensorType::get(in.getShape(), t);
  SmallVector<Attribute> values;
  for (int64_t r = 0; r < in.getDimSize(0); ++r)
    for (int64_t c = 0; c < in.getDimSize(1); ++c) {
      double v = c - r == *k ? 1 : 0;
      if (t.isInteger(1))
        values.push_back(n.b.getBoolAttr(v != 0));
      else if (isa<FloatType>(t))
        values.push_back(n.b.getFloatAttr(t, v));
      else
        values.push_back(n.b.getIntegerAttr(t, int64_t(v)));
    }
  setConstant(n, DenseElementsAttr::get(type, values));
  return success();
}

void mlir::kiln::onnx::registerShapeOps(ConverterMap &map) {
  map["Squeeze"] = convertSqueeze;
  map["Unsqueeze"] = convertUnsqueeze;
  map["Identity"] = convertIdentity;
  map["Expand"] = convertExpand;
  map["Tile"] = convertTile;
  map["DepthToSpace"] = convertDepthSpace;
  map["SpaceToDepth"] = convertDepthSpace;
  map["Shape"] = convertShape;
  map["Size"] = convertSize;
  map["ConstantOfShape"] = convertConstantOfShape;
  map["Range"] = convertRange;
  map["EyeLike"] = convertEyeLike;
  map["Reshape"] = convertReshape;
  map["Flatten"] = convertFlatten;
  map["Transpose"] = convertTranspose;
  map["Concat"] = convertConcat;
  map["Constant"] = convertConstant;
}
