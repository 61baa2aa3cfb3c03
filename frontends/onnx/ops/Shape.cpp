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

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
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

/// Creates kiln.reshape of `x` to `sizes` (static where constant), with the
/// run-time sizes as operands when more than one dim is dynamic (a single one
/// follows from the element count), and records the result's dims.
static FailureOr<Value> reshapeToSizes(NodeImporter &n, Value x,
                                       ArrayRef<OpFoldResult> sizes) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape;
  SmallVector<Value> operands = {x}, dynamic;
  for (OpFoldResult size : sizes) {
    auto c = getConstantIntValue(size);
    shape.push_back(c ? *c : kDyn);
    if (!c)
      dynamic.push_back(cast<Value>(size));
  }
  if (dynamic.size() > 1)
    llvm::append_range(operands, dynamic);
  auto result = n.createTyped<ReshapeOp>(
      RankedTensorType::get(shape, type.getElementType()), operands);
  if (failed(result))
    return failure();
  for (auto [d, size] : llvm::enumerate(sizes))
    n.graph.setDim(*result, d, size);
  return result;
}

static LogicalResult setReshaped(NodeImporter &n, FailureOr<Value> value) {
  if (failed(value))
    return failure();
  n.setResult(*value);
  return success();
}

/// Static factor and dynamic dims of a product of sizes.
struct Product {
  int64_t constant = 1;
  SmallVector<Value> dims;
};

static Product productOf(ArrayRef<OpFoldResult> sizes) {
  Product p;
  for (OpFoldResult s : sizes) {
    if (auto c = getConstantIntValue(s))
      p.constant *= *c;
    else
      p.dims.push_back(cast<Value>(s));
  }
  return p;
}

/// The size of Reshape's -1 entry: in.numel / product(known), cancelling the
/// dynamic dims both sides share so that [batch, seq, 768] into
/// [batch, seq, -1, 64] gives a static 12.
static FailureOr<OpFoldResult> inferredSize(NodeImporter &n, Value x,
                                            ArrayRef<OpFoldResult> known) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<OpFoldResult> inDims;
  for (int64_t d = 0; d < type.getRank(); ++d)
    inDims.push_back(n.graph.dimOf(x, d));
  Product total = productOf(inDims), rest = productOf(known);
  for (auto it = rest.dims.begin(); it != rest.dims.end();) {
    auto match = llvm::find(total.dims, *it);
    if (match == total.dims.end()) {
      ++it;
      continue;
    }
    total.dims.erase(match);
    it = rest.dims.erase(it);
  }
  IndexMath m = n.math();
  if (rest.dims.empty()) {
    if (rest.constant == 0 ||
        (total.dims.empty() && total.constant % rest.constant))
      return n.error() << "cannot reshape " << type << " with -1 in the "
                       << "shape";
    OpFoldResult size = m.constant(1);
    for (Value d : total.dims)
      size = m.mul(size, d);
    if (total.constant % rest.constant == 0)
      return m.mul(size, m.constant(total.constant / rest.constant));
    return m.div(m.mul(size, m.constant(total.constant)),
                 m.constant(rest.constant));
  }
  OpFoldResult numel = m.constant(1), count = m.constant(1);
  for (OpFoldResult d : inDims)
    numel = m.mul(numel, d);
  for (OpFoldResult k : known)
    count = m.mul(count, k);
  return m.div(numel, count);
}

/// Result sizes of Reshape(x, requested) per ONNX: 0 copies the input dim
/// (unless allowzero), -1 is inferred. Entries known only at run time may be
/// 0 or -1 themselves unless they are dims; then each size is selected at
/// run time.
static FailureOr<SmallVector<OpFoldResult>>
reshapeSizes(NodeImporter &n, Value x, ArrayRef<OpFoldResult> requested,
             bool allowZero) {
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  IndexMath m = n.math();
  SmallVector<OpFoldResult> sizes;
  bool structural = llvm::all_of(requested, [](OpFoldResult e) {
    return getConstantIntValue(e) || IndexMath::isNonNegative(e);
  });
  if (!structural) {
    SmallVector<OpFoldResult> isInferred;
    OpFoldResult count = m.constant(1), numel = m.constant(1);
    for (int64_t d = 0; d < rank; ++d)
      numel = m.mul(numel, n.graph.dimOf(x, d));
    for (auto [i, e] : llvm::enumerate(requested)) {
      OpFoldResult size = e;
      if (!allowZero && int64_t(i) < rank)
        size = m.select(m.cmp(arith::CmpIPredicate::eq, e, m.constant(0)),
                        n.graph.dimOf(x, i), e);
      isInferred.push_back(
          m.cmp(arith::CmpIPredicate::eq, e, m.constant(-1)));
      sizes.push_back(size);
      count = m.mul(count, m.select(isInferred.back(), m.constant(1), size));
    }
    OpFoldResult inferred = m.div(numel, m.max(count, m.constant(1)));
    for (auto [size, inf] : llvm::zip(sizes, isInferred))
      size = m.select(inf, inferred, size);
    return sizes;
  }
  int inferred = -1;
  for (auto [i, e] : llvm::enumerate(requested)) {
    auto c = getConstantIntValue(e);
    if (c && *c == 0 && !allowZero) {
      if (int64_t(i) >= rank)
        return n.error() << "shape entry " << i << " is 0 but the input has "
                         << "rank " << rank;
      sizes.push_back(n.graph.dimOf(x, i));
    } else if (c && *c == -1) {
      if (inferred >= 0)
        return n.error() << "shape has more than one -1";
      inferred = i;
      sizes.push_back(OpFoldResult());
    } else if (c && *c < 0) {
      return n.error() << "invalid shape entry " << *c;
    } else {
      sizes.push_back(e);
    }
  }
  if (inferred >= 0) {
    SmallVector<OpFoldResult> known(sizes);
    known.erase(known.begin() + inferred);
    auto size = inferredSize(n, x, known);
    if (failed(size))
      return failure();
    sizes[inferred] = *size;
  }
  return sizes;
}

/// Reshape(x, shape) → kiln.reshape x (0 copies a dim unless allowzero; -1 is
/// inferred).
static LogicalResult convertReshape(NodeImporter &n) {
  bool shapeAsInput = n.opset() >= 5;
  if (failed(n.checkAttributes(shapeAsInput ? ArrayRef<StringRef>{"allowzero"}
                                            : ArrayRef<StringRef>{"shape"})))
    return failure();
  auto x = n.input(0);
  auto allowZero = n.intAttr("allowzero", 0);
  if (failed(x) || failed(allowZero))
    return failure();
  SmallVector<OpFoldResult> requested;
  if (shapeAsInput) {
    auto shape = n.shapeInput(1, "shape");
    if (failed(shape))
      return failure();
    requested = shape->elems;
  } else {
    auto shape = n.intsAttr("shape", std::nullopt);
    if (failed(shape))
      return failure();
    for (int64_t d : *shape)
      requested.push_back(n.b.getIndexAttr(d));
  }
  auto sizes = reshapeSizes(n, *x, requested, *allowZero != 0);
  if (failed(sizes))
    return failure();
  auto result = reshapeToSizes(n, *x, *sizes);
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
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
/// input after (possibly known only at run time).
static FailureOr<std::optional<SmallVector<OpFoldResult>>>
squeezeAxes(NodeImporter &n) {
  using Axes = std::optional<SmallVector<OpFoldResult>>;
  if (n.opset() < 13) {
    if (failed(n.checkAttributes({"axes"})))
      return failure();
    if (!n.attr("axes"))
      return Axes();
    auto axes = n.intsAttr("axes", std::nullopt);
    if (failed(axes))
      return failure();
    SmallVector<OpFoldResult> mixed;
    for (int64_t a : *axes)
      mixed.push_back(n.b.getIndexAttr(a));
    return Axes(mixed);
  }
  if (failed(n.checkAttributes({})))
    return failure();
  if (!n.hasInput(1))
    return Axes();
  auto axes = n.shapeInput(1, "axes");
  if (failed(axes))
    return failure();
  return Axes(axes->elems);
}

/// The constants of `values`, or nullopt if one is known only at run time.
static std::optional<SmallVector<int64_t>>
constantsOf(ArrayRef<OpFoldResult> values) {
  SmallVector<int64_t> out;
  for (OpFoldResult v : values) {
    auto c = getConstantIntValue(v);
    if (!c)
      return std::nullopt;
    out.push_back(*c);
  }
  return out;
}

/// Run-time axes in [-rank, rank) as non-negative index values.
static SmallVector<OpFoldResult> wrapAxes(IndexMath &m,
                                          ArrayRef<OpFoldResult> axes,
                                          int64_t rank) {
  SmallVector<OpFoldResult> out;
  for (OpFoldResult a : axes)
    out.push_back(m.select(m.cmp(arith::CmpIPredicate::slt, a, m.constant(0)),
                           m.add(a, m.constant(rank)), a));
  return out;
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
/// every size-1 dim). Axes known only at run time select, for each result
/// dim, the input dim it is at run time.
static LogicalResult convertSqueeze(NodeImporter &n) {
  auto x = n.input(0);
  auto axesOrNone = squeezeAxes(n);
  if (failed(x) || failed(axesOrNone))
    return failure();
  ArrayRef<int64_t> in = cast<RankedTensorType>(x->getType()).getShape();
  int64_t rank = in.size();
  IndexMath m = n.math();
  SmallVector<int64_t> axes;
  if (*axesOrNone) {
    auto constant = constantsOf(**axesOrNone);
    if (!constant) {
      SmallVector<OpFoldResult> given = wrapAxes(m, **axesOrNone, rank);
      int64_t outRank = rank - given.size();
      if (outRank < 0)
        return n.error() << "more axes than dims";
      // Input dim i lands at i - (squeezed dims before it) unless squeezed.
      SmallVector<OpFoldResult> sizes(outRank, m.constant(1));
      OpFoldResult before = m.constant(0);
      for (int64_t i = 0; i < rank; ++i) {
        OpFoldResult squeezed = m.constant(0);
        for (OpFoldResult a : given)
          squeezed = m.max(squeezed,
                           m.cmp(arith::CmpIPredicate::eq, a, m.constant(i)));
        OpFoldResult at = m.sub(m.constant(i), before);
        for (int64_t o = 0; o < outRank; ++o) {
          OpFoldResult here = m.select(
              squeezed, m.constant(0),
              m.cmp(arith::CmpIPredicate::eq, at, m.constant(o)));
          sizes[o] = m.select(here, n.graph.dimOf(*x, i), sizes[o]);
        }
        before = m.add(before, squeezed);
      }
      return setReshaped(n, reshapeToSizes(n, *x, sizes));
    }
    auto normalized = normalizeAxes(n, *constant, rank);
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
  SmallVector<OpFoldResult> sizes;
  for (auto [d, size] : llvm::enumerate(in)) {
    if (!llvm::is_contained(axes, int64_t(d))) {
      sizes.push_back(n.graph.dimOf(*x, d));
      continue;
    }
    if (size != 1 && size != kDyn)
      return n.error() << "cannot squeeze dim " << d << " of size " << size;
  }
  return setReshaped(n, reshapeToSizes(n, *x, sizes));
}

/// Unsqueeze(x, axes) → kiln.reshape x with size-1 dims inserted at `axes`
/// (positions in the result; with run-time axes each result dim selects
/// 1 or the input dim it is at run time).
static LogicalResult convertUnsqueeze(NodeImporter &n) {
  auto x = n.input(0);
  auto axesOrNone = squeezeAxes(n);
  if (failed(x) || failed(axesOrNone))
    return failure();
  if (!*axesOrNone)
    return n.error() << "missing required axes";
  ArrayRef<int64_t> in = cast<RankedTensorType>(x->getType()).getShape();
  int64_t rank = in.size() + (*axesOrNone)->size();
  IndexMath m = n.math();
  SmallVector<OpFoldResult> sizes;
  auto constant = constantsOf(**axesOrNone);
  if (!constant) {
    SmallVector<OpFoldResult> given = wrapAxes(m, **axesOrNone, rank);
    OpFoldResult before = m.constant(0);
    for (int64_t o = 0; o < rank; ++o) {
      OpFoldResult inserted = m.constant(0);
      for (OpFoldResult a : given)
        inserted = m.max(inserted,
                         m.cmp(arith::CmpIPredicate::eq, a, m.constant(o)));
      OpFoldResult from = m.sub(m.constant(o), before);
      OpFoldResult size = m.constant(1);
      for (int64_t i = 0; i < int64_t(in.size()); ++i)
        size = m.select(m.cmp(arith::CmpIPredicate::eq, from, m.constant(i)),
                        n.graph.dimOf(*x, i), size);
      sizes.push_back(m.select(inserted, m.constant(1), size));
      before = m.add(before, inserted);
    }
    return setReshaped(n, reshapeToSizes(n, *x, sizes));
  }
  auto axes = normalizeAxes(n, *constant, rank);
  if (failed(axes))
    return failure();
  size_t next = 0;
  for (int64_t d = 0; d < rank; ++d)
    sizes.push_back(llvm::is_contained(*axes, d)
                        ? OpFoldResult(m.constant(1))
                        : n.graph.dimOf(*x, next++));
  return setReshaped(n, reshapeToSizes(n, *x, sizes));
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

/// Creates kiln.expand of `x` to `sizes`: a dynamic result dim that keeps x's
/// dim gets `tensor.dim` of x (read as is), others their run-time size (x's
/// dim broadcasts at run time if it is 1).
static FailureOr<Value> expandToSizes(NodeImporter &n, Value x,
                                      ArrayRef<OpFoldResult> sizes,
                                      ArrayRef<bool> keepsDim) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t lead = sizes.size() - type.getRank();
  SmallVector<int64_t> shape;
  SmallVector<Value> operands = {x};
  for (auto [d, size] : llvm::enumerate(sizes)) {
    auto c = getConstantIntValue(size);
    shape.push_back(c ? *c : kDyn);
    if (c)
      continue;
    if (keepsDim[d])
      operands.push_back(
          tensor::DimOp::create(n.b, n.loc, x, int64_t(d) - lead));
    else
      operands.push_back(cast<Value>(size));
  }
  auto result = n.createTyped<ExpandOp>(
      RankedTensorType::get(shape, type.getElementType()), operands);
  if (failed(result))
    return failure();
  for (auto [d, size] : llvm::enumerate(sizes))
    n.graph.setDim(*result, d, size);
  return result;
}

/// Expand(x, shape) → kiln.expand x to broadcast(x.shape, shape).
static LogicalResult convertExpand(NodeImporter &n) {
  if (failed(n.checkAttributes({})))
    return failure();
  auto x = n.input(0);
  auto requested = n.shapeInput(1, "shape");
  if (failed(x) || failed(requested))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  ArrayRef<OpFoldResult> want = requested->elems;
  int64_t rank = std::max<int64_t>(type.getRank(), want.size());
  int64_t xLead = rank - type.getRank(), sLead = rank - want.size();
  IndexMath m = n.math();
  SmallVector<OpFoldResult> sizes;
  SmallVector<bool> keepsDim;
  auto fail = [&] {
    std::string text;
    llvm::raw_string_ostream os(text);
    for (OpFoldResult e : want) {
      auto c = getConstantIntValue(e);
      os << (text.empty() ? "" : ", ") << (c ? std::to_string(*c) : "?");
    }
    return n.error() << "cannot expand " << type << " to shape [" << text
                     << "]";
  };
  for (int64_t d = 0; d < rank; ++d) {
    OpFoldResult in = d >= xLead ? n.graph.dimOf(*x, d - xLead)
                                 : OpFoldResult(m.constant(1));
    OpFoldResult s = d >= sLead ? want[d - sLead] : OpFoldResult(m.constant(1));
    auto ci = getConstantIntValue(in), cs = getConstantIntValue(s);
    bool keeps = false;
    OpFoldResult size;
    if (cs && *cs < 0)
      return fail();
    if ((cs && *cs == 1) || in == s) {
      size = in;
      keeps = d >= xLead;
    } else if (ci && *ci == 1) {
      size = s;
    } else if (ci) {
      if (cs && *cs != *ci)
        return fail();
      size = in;
    } else if (cs) {
      size = s; // x's dim is 1 or equal at run time
    } else {
      size = m.max(in, s);
    }
    sizes.push_back(size);
    keepsDim.push_back(keeps);
  }
  auto result = expandToSizes(n, *x, sizes, keepsDim);
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
  auto repeats = n.shapeInput(1, "repeats");
  if (failed(x) || failed(repeats))
    return failure();
  int64_t rank = cast<RankedTensorType>(x->getType()).getRank();
  if (int64_t(repeats->elems.size()) != rank ||
      llvm::any_of(repeats->elems, [](OpFoldResult r) {
        auto c = getConstantIntValue(r);
        return c && *c < 0;
      }))
    return n.error() << "repeats must hold " << rank
                     << " non-negative entries";
  IndexMath m = n.math();
  SmallVector<OpFoldResult> split, expanded, result;
  SmallVector<bool> keepsDim;
  for (auto [d, r] : llvm::enumerate(repeats->elems)) {
    OpFoldResult dim = n.graph.dimOf(*x, d);
    split.append({m.constant(1), dim});
    expanded.append({r, dim});
    keepsDim.append({false, true});
    result.push_back(m.mul(r, dim));
  }
  auto reshaped = reshapeToSizes(n, *x, split);
  if (failed(reshaped))
    return failure();
  auto tiled = expandToSizes(n, *reshaped, expanded, keepsDim);
  if (failed(tiled))
    return failure();
  return setReshaped(n, reshapeToSizes(n, *tiled, result));
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
  auto shapeValue = n.shapeInput(0, "shape");
  if (failed(shapeValue))
    return failure();
  SmallVector<int64_t> shape;
  for (OpFoldResult e : shapeValue->elems) {
    auto c = getConstantIntValue(e);
    shape.push_back(c ? *c : kDyn);
  }
  if (llvm::any_of(shape, [](int64_t d) { return d < 0 && d != kDyn; }))
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
  if (!llvm::is_contained(shape, kDyn)) {
    setConstant(n, DenseElementsAttr::get(
                       RankedTensorType::get(shape, elementType), element));
    return success();
  }
  // Sizes known at run time: broadcast the 0-d value.
  Value scalar =
      ConstantOp::create(n.b, n.loc,
                         DenseElementsAttr::get(
                             RankedTensorType::get({}, elementType), element))
          .getResult();
  auto result = expandToSizes(n, scalar, shapeValue->elems,
                              SmallVector<bool>(shape.size(), false));
  if (failed(result))
    return failure();
  n.setResult(*result);
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

/// Input `i` of Range as a 0-d tensor.
static FailureOr<Value> scalarTensorInput(NodeImporter &n, unsigned i) {
  auto v = n.input(i);
  if (failed(v))
    return failure();
  auto type = cast<RankedTensorType>(v->getType());
  if (type.getRank() == 0)
    return v;
  if (!type.hasStaticShape() || type.getNumElements() != 1)
    return n.error() << "input " << i << " must be a scalar, got " << type;
  return n.createTyped<ReshapeOp>(
      RankedTensorType::get({}, type.getElementType()), {*v});
}

/// Range(start, limit, delta) with an input known only at run time →
/// kiln.range start, delta [count].
static LogicalResult convertRuntimeRange(NodeImporter &n) {
  auto start = scalarTensorInput(n, 0);
  auto limit = scalarTensorInput(n, 1);
  auto delta = scalarTensorInput(n, 2);
  if (failed(start) || failed(limit) || failed(delta))
    return failure();
  Type t = cast<RankedTensorType>(start->getType()).getElementType();
  for (Value v : {*limit, *delta})
    if (cast<RankedTensorType>(v.getType()).getElementType() != t)
      return n.error() << "start, limit and delta differ in type";
  IndexMath m = n.math();
  OpFoldResult count;
  if (t.isSignlessInteger() && !t.isInteger(1)) {
    auto s = n.shapeInput(0, "start"), l = n.shapeInput(1, "limit"),
         d = n.shapeInput(2, "delta");
    if (failed(s) || failed(l) || failed(d))
      return failure();
    OpFoldResult sv = s->elems[0], lv = l->elems[0], dv = d->elems[0];
    auto dc = getConstantIntValue(dv);
    if (dc && *dc == 0)
      return n.error() << "delta is zero";
    if (dc && *dc < 0)
      count = m.ceilDiv(m.sub(sv, lv), m.constant(-*dc));
    else
      count = m.ceilDiv(m.sub(lv, sv), dv);
    count = m.max(count, m.constant(0));
  } else if (auto ft = dyn_cast<FloatType>(t)) {
    // n = max(ceil((limit - start) / delta), 0) in the element type.
    auto read = [&](Value v) {
      return tensor::ExtractOp::create(n.b, n.loc, v, ValueRange{}).getResult();
    };
    Value q = arith::DivFOp::create(
        n.b, n.loc,
        arith::SubFOp::create(n.b, n.loc, read(*limit), read(*start)),
        read(*delta));
    Value truncated = arith::FPToSIOp::create(n.b, n.loc, n.b.getI64Type(), q);
    Value below = arith::CmpFOp::create(
        n.b, n.loc, arith::CmpFPredicate::OGT, q,
        arith::SIToFPOp::create(n.b, n.loc, ft, truncated));
    Value up = arith::AddIOp::create(
        n.b, n.loc, truncated,
        arith::ExtUIOp::create(n.b, n.loc, n.b.getI64Type(), below));
    count = m.max(
        arith::IndexCastOp::create(n.b, n.loc, n.b.getIndexType(), up)
            .getResult(),
        m.constant(0));
  } else {
    return n.error() << "unsupported element type " << t;
  }
  auto c = getConstantIntValue(count);
  SmallVector<Value> operands = {*start, *delta};
  if (!c)
    operands.push_back(m.value(count));
  auto result = n.createTyped<RangeOp>(
      RankedTensorType::get({c ? *c : kDyn}, t), operands);
  if (failed(result))
    return failure();
  n.graph.setDim(*result, 0, count);
  n.setResult(*result);
  return success();
}

/// Range(start, limit, delta) → kiln.constant when all three are constants,
/// else kiln.range.
static LogicalResult convertRange(NodeImporter &n) {
  if (failed(n.checkAttributes({})))
    return failure();
  for (unsigned i = 0; i < 3; ++i) {
    auto v = n.input(i);
    if (failed(v))
      return failure();
    auto constant = v->getDefiningOp<ConstantOp>();
    if (!constant || !isa<DenseElementsAttr>(constant.getValue()))
      return convertRuntimeRange(n);
  }
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

/// BlackmanWindow / HammingWindow / HannWindow(size){output_datatype,
/// periodic} → sum_k a_k cos(2 pi k i / N) for i < size, N = size (periodic)
/// or size - 1: a constant for a constant size, else kiln.range and
/// elementwise ops (computed in f32, then cast).
static LogicalResult convertWindow(NodeImporter &n) {
  if (failed(n.checkAttributes({"output_datatype", "periodic"})))
    return failure();
  auto size = n.shapeInput(0, "size");
  auto periodic = n.intAttr("periodic", 1);
  auto dtype = n.intAttr("output_datatype", 1);
  if (failed(size) || failed(periodic) || failed(dtype))
    return failure();
  Type t = convertDataType(n.ctx(), *dtype);
  if (!t || !isa<FloatType>(t))
    return n.error() << "unsupported output_datatype " << dataTypeName(*dtype);
  SmallVector<double> coeffs;
  if (n.opType() == "HannWindow")
    coeffs = {0.5, -0.5};
  else if (n.opType() == "HammingWindow")
    coeffs = {25.0 / 46.0, -21.0 / 46.0};
  else
    coeffs = {0.42, -0.5, 0.08};
  IndexMath m = n.math();
  OpFoldResult count = size->elems[0];
  OpFoldResult denom = *periodic ? count : m.sub(count, m.constant(1));
  auto countConst = getConstantIntValue(count);
  if (countConst) {
    if (*countConst < 0 || *countConst > (1 << 24))
      return n.error() << "window size " << *countConst << " is out of range";
    double N = double(*getConstantIntValue(denom));
    SmallVector<Attribute> values;
    for (int64_t i = 0; i < *countConst; ++i) {
      double v = 0;
      for (auto [k, a] : llvm::enumerate(coeffs))
        v += a * std::cos(2 * M_PI * double(k) * double(i) / N);
      values.push_back(n.b.getFloatAttr(t, v));
    }
    setConstant(n, DenseElementsAttr::get(
                       RankedTensorType::get({*countConst}, t), values));
    return success();
  }
  Type f32 = n.b.getF32Type();
  auto scalar = [&](double v) {
    return ConstantOp::create(
               n.b, n.loc,
               DenseElementsAttr::get(RankedTensorType::get({}, f32),
                                      n.b.getF32FloatAttr(v)))
        .getResult();
  };
  auto range = n.createTyped<RangeOp>(RankedTensorType::get({kDyn}, f32),
                                      {scalar(0), scalar(1), m.value(count)});
  if (failed(range))
    return failure();
  n.graph.setDim(*range, 0, count);
  // 2 pi / N as a 0-d tensor.
  Value denomF = arith::SIToFPOp::create(
      n.b, n.loc, f32,
      arith::IndexCastOp::create(n.b, n.loc, n.b.getI64Type(), m.value(denom)));
  Value step = arith::DivFOp::create(
      n.b, n.loc,
      arith::ConstantOp::create(n.b, n.loc, n.b.getF32FloatAttr(2 * M_PI)),
      denomF);
  Value stepTensor = tensor::FromElementsOp::create(
      n.b, n.loc, RankedTensorType::get({}, f32), ValueRange{step});
  auto angle = n.create<MulOp>({*range, stepTensor});
  if (failed(angle))
    return failure();
  FailureOr<Value> sum = scalar(coeffs[0]);
  for (size_t k = 1; k < coeffs.size() && succeeded(sum); ++k) {
    auto scaled = n.create<MulOp>({*angle, scalar(double(k))});
    if (failed(scaled))
      return failure();
    auto cosine = n.createTyped<UnaryOp>(
        scaled->getType(), {*scaled},
        {n.namedAttr("kind", UnaryKindAttr::get(n.ctx(), UnaryKind::Cos))});
    if (failed(cosine))
      return failure();
    auto term = n.create<MulOp>({*cosine, scalar(coeffs[k])});
    if (failed(term))
      return failure();
    sum = n.create<AddOp>({*sum, *term});
  }
  if (failed(sum))
    return failure();
  Value result = *sum;
  if (t != f32) {
    auto converted = n.createTyped<CastOp>(
        cast<RankedTensorType>(result.getType()).clone(t), {result});
    if (failed(converted))
      return failure();
    result = *converted;
  }
  n.setResult(result);
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
  map["BlackmanWindow"] = convertWindow;
  map["HammingWindow"] = convertWindow;
  map["HannWindow"] = convertWindow;
  map["Reshape"] = convertReshape;
  map["Flatten"] = convertFlatten;
  map["Transpose"] = convertTranspose;
  map["Concat"] = convertConcat;
  map["Constant"] = convertConstant;
}
