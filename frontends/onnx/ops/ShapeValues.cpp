//===- ShapeValues.cpp - shape tensors known element by element -----------===//
//
// Exporters compute Reshape targets, Expand shapes and Slice bounds from the
// dims of symbolic tensors (Shape → Gather → Unsqueeze → Concat → Reshape).
// Such a chain cannot fold to a constant, but each of its elements is either
// a constant or one dynamic dim (or arithmetic on dims). The importer tracks
// these small integer tensors element by element (`ShapeValue`) so that the
// consumer gets static dims wherever they are known and run-time `index`
// values only for what is symbolic. Dynamic dims get one canonical value per
// symbolic dim (`GraphImporter::dimOf`): graph inputs sharing a dim_param,
// and results whose dim provably comes from an operand's dim, share it, which
// lets a Reshape's -1 cancel `batch * seq * 768 / (batch * seq * 64)` to 12.
// The tracked tensor is also materialised (tensor.from_elements) for
// consumers that read it as data; unused ones are dead code.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx;

/// Shape values longer than this are not tracked element by element.
static constexpr int64_t kMaxShapeElements = 64;

//===----------------------------------------------------------------------===//
// IndexMath
//===----------------------------------------------------------------------===//

OpFoldResult IndexMath::constant(int64_t v) { return b.getIndexAttr(v); }

Value IndexMath::value(OpFoldResult x) {
  return getValueOrCreateConstantIndexOp(b, loc, x);
}

bool IndexMath::isNonNegative(OpFoldResult x) {
  if (auto c = getConstantIntValue(x))
    return *c >= 0;
  Operation *def = cast<Value>(x).getDefiningOp();
  if (!def)
    return false;
  if (isa<tensor::DimOp>(def))
    return true;
  if (isa<arith::AddIOp, arith::MulIOp, arith::DivSIOp, arith::CeilDivSIOp,
          arith::MinSIOp>(def))
    return isNonNegative(def->getOperand(0)) &&
           isNonNegative(def->getOperand(1));
  if (isa<arith::MaxSIOp>(def))
    return isNonNegative(def->getOperand(0)) ||
           isNonNegative(def->getOperand(1));
  if (auto select = dyn_cast<arith::SelectOp>(def))
    return isNonNegative(select.getTrueValue()) &&
           isNonNegative(select.getFalseValue());
  return false;
}

OpFoldResult IndexMath::add(OpFoldResult x, OpFoldResult y) {
  auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
  int64_t r;
  if (cx && cy && !__builtin_add_overflow(*cx, *cy, &r))
    return constant(r);
  if (cx && *cx == 0)
    return y;
  if (cy && *cy == 0)
    return x;
  return arith::AddIOp::create(b, loc, value(x), value(y)).getResult();
}

OpFoldResult IndexMath::sub(OpFoldResult x, OpFoldResult y) {
  auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
  int64_t r;
  if (cx && cy && !__builtin_sub_overflow(*cx, *cy, &r))
    return constant(r);
  if (cy && *cy == 0)
    return x;
  if (x == y)
    return constant(0);
  return arith::SubIOp::create(b, loc, value(x), value(y)).getResult();
}

OpFoldResult IndexMath::mul(OpFoldResult x, OpFoldResult y) {
  auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
  int64_t r;
  if (cx && cy && !__builtin_mul_overflow(*cx, *cy, &r))
    return constant(r);
  if ((cx && *cx == 0) || (cy && *cy == 0))
    return constant(0);
  if (cx && *cx == 1)
    return y;
  if (cy && *cy == 1)
    return x;
  return arith::MulIOp::create(b, loc, value(x), value(y)).getResult();
}

OpFoldResult IndexMath::div(OpFoldResult x, OpFoldResult y) {
  auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
  if (cy && *cy == 0)
    return {};
  if (cx && cy && !(*cx == INT64_MIN && *cy == -1))
    return constant(*cx / *cy);
  if (cy && *cy == 1)
    return x;
  if (x == y)
    return constant(1);
  return arith::DivSIOp::create(b, loc, value(x), value(y)).getResult();
}

OpFoldResult IndexMath::ceilDiv(OpFoldResult x, OpFoldResult y) {
  auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
  if (cx && cy && *cy > 0)
    return constant(*cx >= 0 ? (*cx + *cy - 1) / *cy : -((-*cx) / *cy));
  if (cy && *cy == 1)
    return x;
  return arith::CeilDivSIOp::create(b, loc, value(x), value(y)).getResult();
}

OpFoldResult IndexMath::mod(OpFoldResult x, OpFoldResult y) {
  auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
  if (cx && cy && *cy != 0) {
    int64_t r = *cx % *cy;
    return constant(r != 0 && ((r < 0) != (*cy < 0)) ? r + *cy : r);
  }
  Value r = arith::RemSIOp::create(b, loc, value(x), value(y));
  Value zero = value(constant(0));
  Value rNeg =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, r, zero);
  Value yNeg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                     value(y), zero);
  Value nonZero =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, r, zero);
  Value fix = arith::AndIOp::create(
      b, loc, nonZero, arith::XOrIOp::create(b, loc, rNeg, yNeg));
  return arith::SelectOp::create(
             b, loc, fix, arith::AddIOp::create(b, loc, r, value(y)), r)
      .getResult();
}

OpFoldResult IndexMath::min(OpFoldResult x, OpFoldResult y) {
  auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
  if (cx && cy)
    return constant(std::min(*cx, *cy));
  if ((cx && *cx == INT64_MAX) || x == y)
    return y;
  if (cy && *cy == INT64_MAX)
    return x;
  // A non-negative value against a non-positive constant.
  if (cx && *cx <= 0 && isNonNegative(y))
    return x;
  if (cy && *cy <= 0 && isNonNegative(x))
    return y;
  return arith::MinSIOp::create(b, loc, value(x), value(y)).getResult();
}

OpFoldResult IndexMath::max(OpFoldResult x, OpFoldResult y) {
  auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
  if (cx && cy)
    return constant(std::max(*cx, *cy));
  if ((cx && *cx == INT64_MIN) || x == y)
    return y;
  if (cy && *cy == INT64_MIN)
    return x;
  if (cx && *cx <= 0 && isNonNegative(y))
    return y;
  if (cy && *cy <= 0 && isNonNegative(x))
    return x;
  return arith::MaxSIOp::create(b, loc, value(x), value(y)).getResult();
}

OpFoldResult IndexMath::cmp(arith::CmpIPredicate pred, OpFoldResult x,
                            OpFoldResult y) {
  auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
  if (cx && cy)
    return constant(arith::applyCmpPredicate(pred, APInt(64, *cx),
                                             APInt(64, *cy)));
  // A dim is never negative: `dim < 0`, `dim == -1` and friends are known.
  if (cy && isNonNegative(x)) {
    using P = arith::CmpIPredicate;
    if ((*cy <= 0 && pred == P::slt) ||
        (*cy < 0 && (pred == P::sle || pred == P::eq)))
      return constant(0);
    if ((*cy <= 0 && pred == P::sge) ||
        (*cy < 0 && (pred == P::sgt || pred == P::ne)))
      return constant(1);
  }
  Value c = arith::CmpIOp::create(b, loc, pred, value(x), value(y));
  return arith::SelectOp::create(b, loc, c, value(constant(1)),
                                 value(constant(0)))
      .getResult();
}

OpFoldResult IndexMath::select(OpFoldResult cond, OpFoldResult x,
                               OpFoldResult y) {
  if (auto c = getConstantIntValue(cond))
    return *c ? x : y;
  if (x == y)
    return x;
  Value c = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                  value(cond), value(constant(0)));
  return arith::SelectOp::create(b, loc, c, value(x), value(y)).getResult();
}

//===----------------------------------------------------------------------===//
// Canonical dims
//===----------------------------------------------------------------------===//

/// The dim of an operand that dim `d` of `op`'s result `v` equals in a valid
/// model, or {null, 0} when the importer does not know one.
static std::pair<Value, int64_t> sourceDim(Operation *op, Value v, int64_t d) {
  auto type = cast<RankedTensorType>(v.getType());
  int64_t rank = type.getRank();
  // Numpy broadcast: an operand whose aligned dim is dynamic has the size.
  auto broadcastSource = [&](ValueRange operands) -> std::pair<Value, int64_t> {
    for (Value operand : operands) {
      auto t = dyn_cast<RankedTensorType>(operand.getType());
      int64_t i = t ? d - (rank - t.getRank()) : -1;
      if (i >= 0 && t.isDynamicDim(i))
        return {operand, i};
    }
    return {};
  };
  if (isElementwise(op))
    return broadcastSource(op->getOperands());
  if (op->hasTrait<OpTrait::SameOperandsAndResultType>() ||
      op->hasTrait<OpTrait::SameOperandsAndResultShape>() ||
      (isa<NormalizeOp>(op) && op->getOperand(0).getType() == v.getType()))
    return {op->getOperand(0), d};
  if (auto t = dyn_cast<TransposeOp>(op))
    return {t.getInput(), t.getPerm()[d]};
  if (auto m = dyn_cast<MatMulOp>(op)) {
    auto a = m->getOperand(0), bv = m->getOperand(1);
    int64_t ra = cast<RankedTensorType>(a.getType()).getRank();
    int64_t rb = cast<RankedTensorType>(bv.getType()).getRank();
    if (ra < 2 || rb < 2)
      return {};
    if (d == rank - 1)
      return {bv, rb - 1};
    if (d == rank - 2)
      return {a, ra - 2};
    for (auto [x, rx] : {std::make_pair(a, ra), std::make_pair(bv, rb)}) {
      int64_t i = d - (rank - rx);
      if (i >= 0 && cast<RankedTensorType>(x.getType()).isDynamicDim(i))
        return {x, i};
    }
    return {};
  }
  if (auto g = dyn_cast<GatherOp>(op)) {
    int64_t axis = g.getAxis(), idxRank = g.getIndices().getType().getRank();
    if (d < axis)
      return {g.getData(), d};
    if (d < axis + idxRank)
      return {g.getIndices(), d - axis};
    return {g.getData(), d - idxRank + 1};
  }
  if (auto g = dyn_cast<GatherElementsOp>(op))
    return {g.getIndices(), d};
  if (auto c = dyn_cast<ConcatOp>(op)) {
    if (d == c.getAxis())
      return {};
    return broadcastSource(c.getInputs());
  }
  return {};
}

void GraphImporter::setDim(Value v, int64_t d, OpFoldResult size) {
  if (auto sizeValue = dyn_cast<Value>(size))
    if (cast<RankedTensorType>(v.getType()).isDynamicDim(d))
      dimValues.try_emplace({v, d}, sizeValue);
}

OpFoldResult GraphImporter::dimOf(Value v, int64_t d) {
  auto type = cast<RankedTensorType>(v.getType());
  if (!type.isDynamicDim(d))
    return builder.getIndexAttr(type.getDimSize(d));
  auto it = dimValues.find({v, d});
  if (it != dimValues.end())
    return it->second;
  Value size;
  std::pair<Value, int64_t> source;
  if (auto named = namedDims.find({v, d}); named != namedDims.end())
    source = named->second;
  else if (Operation *def = v.getDefiningOp())
    source = sourceDim(def, v, d);
  if (source.first)
    size = dyn_cast<Value>(dimOf(source.first, source.second));
  if (!size) {
    // A tensor.dim right after the definition dominates every later use.
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointAfterValue(v);
    size = tensor::DimOp::create(builder, v.getLoc(), v, d);
  }
  dimValues[{v, d}] = size;
  return size;
}

//===----------------------------------------------------------------------===//
// Reading and writing shape values
//===----------------------------------------------------------------------===//

/// The elements of a small integer constant, or nullopt.
static std::optional<ShapeValue> constantShapeValue(Builder &b, Value v) {
  auto constant = v.getDefiningOp<ConstantOp>();
  auto dense = constant ? dyn_cast<DenseElementsAttr>(constant.getValue())
                        : DenseElementsAttr();
  if (!dense || dense.getType().getRank() > 1 ||
      dense.getNumElements() > kMaxShapeElements ||
      !dense.getElementType().isSignlessInteger())
    return std::nullopt;
  ShapeValue s;
  s.scalar = dense.getType().getRank() == 0;
  if (dense.getElementType().isInteger(1)) {
    for (bool v : dense.getValues<bool>())
      s.elems.push_back(b.getIndexAttr(v));
  } else {
    for (const APInt &v : dense.getValues<APInt>())
      s.elems.push_back(b.getIndexAttr(v.getSExtValue()));
  }
  return s;
}

/// A tracked or constant shape value for `v`, or nullopt.
static std::optional<ShapeValue> knownShapeValue(GraphImporter &g, Value v) {
  auto it = g.shapeValues.find(v);
  if (it != g.shapeValues.end())
    return it->second;
  return constantShapeValue(g.builder, v);
}

FailureOr<ShapeValue> NodeImporter::shapeInput(unsigned i, StringRef what) {
  auto v = input(i);
  if (failed(v))
    return failure();
  if (auto known = knownShapeValue(graph, *v))
    return *known;
  auto type = cast<RankedTensorType>(v->getType());
  Type et = type.getElementType();
  if (type.getRank() > 1 || !type.hasStaticShape() ||
      type.getNumElements() > kMaxShapeElements || !et.isSignlessInteger() ||
      et.isInteger(1))
    return error() << what << " (input '" << node.input(i)
                   << "') must be a 0-d or 1-D integer tensor of at most "
                   << kMaxShapeElements << " elements, got " << type;
  // Read at run time, once per element.
  ShapeValue s;
  s.scalar = type.getRank() == 0;
  for (int64_t k = 0; k < type.getNumElements(); ++k) {
    SmallVector<Value> at;
    if (!s.scalar)
      at.push_back(arith::ConstantIndexOp::create(b, loc, k));
    Value e = tensor::ExtractOp::create(b, loc, *v, at);
    s.elems.push_back(
        arith::IndexCastOp::create(b, loc, b.getIndexType(), e).getResult());
  }
  return s;
}

void NodeImporter::setShapeResult(const ShapeValue &value, Type elementType,
                                  unsigned i) {
  SmallVector<int64_t> shape;
  if (!value.scalar)
    shape.push_back(value.elems.size());
  auto type = RankedTensorType::get(shape, elementType);
  if (llvm::all_of(value.elems, [](OpFoldResult e) {
        return getConstantIntValue(e).has_value();
      })) {
    SmallVector<Attribute> attrs;
    for (OpFoldResult e : value.elems) {
      int64_t c = *getConstantIntValue(e);
      attrs.push_back(elementType.isInteger(1)
                          ? Attribute(b.getBoolAttr(c != 0))
                          : Attribute(b.getIntegerAttr(elementType, c)));
    }
    setResult(ConstantOp::create(b, loc, DenseElementsAttr::get(type, attrs))
                  .getResult(),
              i);
    return;
  }
  SmallVector<Value> elems;
  IndexMath m = math();
  for (OpFoldResult e : value.elems) {
    Value v = m.value(e);
    if (elementType.isInteger(1))
      v = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, v,
                                m.value(m.constant(0)));
    else
      v = arith::IndexCastOp::create(b, loc, elementType, v);
    elems.push_back(v);
  }
  Value tensor = tensor::FromElementsOp::create(b, loc, type, elems);
  graph.shapeValues[tensor] = value;
  setResult(tensor, i);
}

//===----------------------------------------------------------------------===//
// Node evaluation
//===----------------------------------------------------------------------===//

namespace {
/// The scalar function of an elementwise integer ONNX op on index values.
using ElementFn = std::function<OpFoldResult(IndexMath &, ArrayRef<OpFoldResult>)>;
} // namespace

/// The elementwise function of `op` and whether it yields booleans.
static std::optional<std::pair<ElementFn, bool>> elementFunction(StringRef op) {
  using P = arith::CmpIPredicate;
  auto binary = [](auto f, bool isBool) {
    return std::make_pair(
        ElementFn([f](IndexMath &m, ArrayRef<OpFoldResult> a) {
          return f(m, a[0], a[1]);
        }),
        isBool);
  };
  auto compare = [&](P pred) {
    return binary([pred](IndexMath &m, OpFoldResult x,
                         OpFoldResult y) { return m.cmp(pred, x, y); },
                  true);
  };
  if (op == "Add")
    return binary([](IndexMath &m, OpFoldResult x, OpFoldResult y) { return m.add(x, y); }, false);
  if (op == "Sub")
    return binary([](IndexMath &m, OpFoldResult x, OpFoldResult y) { return m.sub(x, y); }, false);
  if (op == "Mul")
    return binary([](IndexMath &m, OpFoldResult x, OpFoldResult y) { return m.mul(x, y); }, false);
  if (op == "Div")
    return binary([](IndexMath &m, OpFoldResult x, OpFoldResult y) { return m.div(x, y); }, false);
  if (op == "Mod")
    return binary([](IndexMath &m, OpFoldResult x, OpFoldResult y) { return m.mod(x, y); }, false);
  if (op == "Max")
    return binary([](IndexMath &m, OpFoldResult x, OpFoldResult y) { return m.max(x, y); }, false);
  if (op == "Min")
    return binary([](IndexMath &m, OpFoldResult x, OpFoldResult y) { return m.min(x, y); }, false);
  if (op == "Equal")
    return compare(P::eq);
  if (op == "Less")
    return compare(P::slt);
  if (op == "LessOrEqual")
    return compare(P::sle);
  if (op == "Greater")
    return compare(P::sgt);
  if (op == "GreaterOrEqual")
    return compare(P::sge);
  if (op == "And")
    return binary([](IndexMath &m, OpFoldResult x, OpFoldResult y) {
      return m.select(x, y, m.constant(0));
    }, true);
  if (op == "Or")
    return binary([](IndexMath &m, OpFoldResult x, OpFoldResult y) {
      return m.select(x, m.constant(1), y);
    }, true);
  if (op == "Not")
    return std::make_pair(ElementFn([](IndexMath &m, ArrayRef<OpFoldResult> a) {
                            return m.select(a[0], m.constant(0), m.constant(1));
                          }), true);
  if (op == "Neg")
    return std::make_pair(ElementFn([](IndexMath &m, ArrayRef<OpFoldResult> a) {
                            return m.sub(m.constant(0), a[0]);
                          }), false);
  if (op == "Abs")
    return std::make_pair(ElementFn([](IndexMath &m, ArrayRef<OpFoldResult> a) {
                            return m.max(a[0], m.sub(m.constant(0), a[0]));
                          }), false);
  if (op == "Where")
    return std::make_pair(ElementFn([](IndexMath &m, ArrayRef<OpFoldResult> a) {
                            return m.select(a[0], a[1], a[2]);
                          }), false);
  if (op == "Identity" || op == "Cast")
    return std::make_pair(ElementFn([](IndexMath &, ArrayRef<OpFoldResult> a) {
                            return a[0];
                          }), false);
  return std::nullopt;
}

/// Elementwise evaluation with broadcasting of 0-d and 1-element inputs.
static std::optional<ShapeValue> evaluateElementwise(
    IndexMath &m, ArrayRef<ShapeValue> inputs, const ElementFn &fn) {
  size_t length = 1;
  bool scalar = true;
  for (const ShapeValue &in : inputs) {
    scalar &= in.scalar;
    if (in.elems.size() != 1) {
      if (length != 1 && length != in.elems.size())
        return std::nullopt;
      length = in.elems.size();
    }
  }
  ShapeValue out;
  out.scalar = scalar;
  for (size_t k = 0; k < length; ++k) {
    SmallVector<OpFoldResult> args;
    for (const ShapeValue &in : inputs)
      args.push_back(in.elems[in.elems.size() == 1 ? 0 : k]);
    OpFoldResult r = fn(m, args);
    if (!r)
      return std::nullopt;
    out.elems.push_back(r);
  }
  return out;
}

/// Shape(x){start, end} of a tensor with dynamic dims.
static bool evaluateShape(NodeImporter &n, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  auto start = n.intAttr("start", 0);
  auto end = n.intAttr("end", rank);
  if (failed(start) || failed(end) || n.node.attribute_size() > 2)
    return false;
  auto clampAxis = [&](int64_t a) {
    return std::clamp<int64_t>(a < 0 ? a + rank : a, 0, rank);
  };
  int64_t lo = clampAxis(*start), hi = std::max(lo, clampAxis(*end));
  ShapeValue s;
  for (int64_t d = lo; d < hi; ++d)
    s.elems.push_back(n.graph.dimOf(x, d));
  n.setShapeResult(s, n.b.getI64Type());
  return true;
}

/// Gather, Slice, Concat, Squeeze, Unsqueeze or Reshape of tracked values with
/// constant indices, bounds and axes; nullopt if the node is not one of those
/// or its form is not handled.
static std::optional<ShapeValue>
evaluateMovement(NodeImporter &n, ArrayRef<std::optional<ShapeValue>> ins) {
  StringRef op = n.opType();
  auto constantAt = [&](unsigned i) -> std::optional<SmallVector<int64_t>> {
    if (i >= ins.size() || !ins[i])
      return std::nullopt;
    SmallVector<int64_t> values;
    for (OpFoldResult e : ins[i]->elems) {
      auto c = getConstantIntValue(e);
      if (!c)
        return std::nullopt;
      values.push_back(*c);
    }
    return values;
  };
  const ShapeValue &data = *ins[0];
  int64_t length = data.elems.size();
  if (op == "Gather") {
    auto idx = constantAt(1);
    auto axis = n.intAttr("axis", 0);
    if (data.scalar || !idx || failed(axis) || (*axis != 0 && *axis != -1))
      return std::nullopt;
    ShapeValue out;
    out.scalar = ins[1]->scalar;
    for (int64_t i : *idx) {
      if (i < -length || i >= length)
        return std::nullopt;
      out.elems.push_back(data.elems[i < 0 ? i + length : i]);
    }
    return out;
  }
  if (op == "Slice" && n.opset() >= 10) {
    auto starts = constantAt(1), ends = constantAt(2);
    auto axes = ins.size() > 3 && n.hasInput(3) ? constantAt(3)
                                                 : SmallVector<int64_t>{0};
    auto steps = ins.size() > 4 && n.hasInput(4) ? constantAt(4)
                                                  : SmallVector<int64_t>{1};
    if (data.scalar || !starts || !ends || !axes || !steps ||
        starts->size() != 1 || ends->size() != 1 || axes->size() != 1 ||
        steps->size() != 1 || ((*axes)[0] != 0 && (*axes)[0] != -1) ||
        (*steps)[0] == 0)
      return std::nullopt;
    int64_t step = (*steps)[0];
    auto wrap = [&](int64_t v) { return v < 0 ? v + length : v; };
    int64_t s = wrap((*starts)[0]), e = wrap((*ends)[0]);
    ShapeValue out;
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, length);
      e = std::clamp<int64_t>(e, 0, length);
      for (int64_t i = s; i < e; i += step)
        out.elems.push_back(data.elems[i]);
    } else {
      s = std::clamp<int64_t>(s, 0, length - 1);
      e = std::clamp<int64_t>(e, -1, length - 1);
      for (int64_t i = s; i > e; i += step)
        out.elems.push_back(data.elems[i]);
    }
    return out;
  }
  if (op == "Concat") {
    auto axis = n.intAttr("axis", 0);
    if (failed(axis) || (*axis != 0 && *axis != -1))
      return std::nullopt;
    ShapeValue out;
    for (const auto &in : ins) {
      if (!in || in->scalar)
        return std::nullopt;
      llvm::append_range(out.elems, in->elems);
    }
    return out;
  }
  if (op == "Unsqueeze" || op == "Squeeze") {
    std::optional<SmallVector<int64_t>> axes;
    if (n.opset() >= 13)
      axes = n.hasInput(1) ? constantAt(1) : SmallVector<int64_t>();
    else if (n.attr("axes"))
      if (auto a = n.intsAttr("axes", std::nullopt); succeeded(a))
        axes = *a;
    if (!axes)
      return std::nullopt;
    bool unsqueeze = op == "Unsqueeze";
    // Only between 0-d and 1-D of one element.
    if (unsqueeze ? !(data.scalar && axes->size() == 1 &&
                      ((*axes)[0] == 0 || (*axes)[0] == -1))
                  : !(!data.scalar && length == 1 && axes->size() <= 1 &&
                      (axes->empty() || (*axes)[0] == 0 || (*axes)[0] == -1)))
      return std::nullopt;
    ShapeValue out = data;
    out.scalar = !unsqueeze;
    return out;
  }
  if (op == "Reshape" && n.opset() >= 5) {
    auto shape = constantAt(1);
    if (!shape || shape->size() > 1)
      return std::nullopt;
    if (shape->empty() && length == 1) {
      ShapeValue out = data;
      out.scalar = true;
      return out;
    }
    if (shape->size() == 1 &&
        ((*shape)[0] == length || (*shape)[0] == -1)) {
      ShapeValue out = data;
      out.scalar = false;
      return out;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

bool mlir::kiln::onnx::tryEvaluateShapeNode(NodeImporter &n) {
  bool standardDomain = n.node.domain().empty() || n.node.domain() == "ai.onnx";
  if (!standardDomain || n.node.output_size() != 1 || n.node.input_size() == 0)
    return false;
  SmallVector<Value> inputs;
  for (int i = 0; i < n.node.input_size(); ++i) {
    if (n.node.input(i).empty()) {
      inputs.push_back(Value());
      continue;
    }
    auto it = n.graph.values.find(n.node.input(i));
    if (it == n.graph.values.end())
      return false;
    inputs.push_back(it->second);
  }
  StringRef op = n.opType();
  if (op == "Shape") {
    auto type = cast<RankedTensorType>(inputs[0].getType());
    return !type.hasStaticShape() && evaluateShape(n, inputs[0]);
  }
  if (op == "Size") {
    auto type = cast<RankedTensorType>(inputs[0].getType());
    if (type.hasStaticShape() || n.node.attribute_size())
      return false;
    IndexMath m = n.math();
    OpFoldResult size = m.constant(1);
    for (int64_t d = 0; d < type.getRank(); ++d)
      size = m.mul(size, n.graph.dimOf(inputs[0], d));
    ShapeValue s;
    s.scalar = true;
    s.elems.push_back(size);
    n.setShapeResult(s, n.b.getI64Type());
    return true;
  }
  // Everything else needs a tracked first (or, for Where, any) input.
  SmallVector<std::optional<ShapeValue>> ins;
  bool anyTracked = false;
  for (Value v : inputs) {
    ins.push_back(v ? knownShapeValue(n.graph, v) : std::nullopt);
    anyTracked |= v && n.graph.shapeValues.count(v);
  }
  if (!anyTracked)
    return false;
  Type firstType =
      cast<RankedTensorType>(inputs[0].getType()).getElementType();
  if (ins[0]) {
    if (auto out = evaluateMovement(n, ins)) {
      n.setShapeResult(*out, firstType);
      return true;
    }
  }
  auto fn = elementFunction(op);
  if (!fn || llvm::any_of(ins, [](const auto &in) { return !in; }))
    return false;
  Type elementType = firstType;
  if (op == "Where")
    elementType = cast<RankedTensorType>(inputs[1].getType()).getElementType();
  if (op == "Cast") {
    const auto *to = n.attr("to");
    elementType = to && to->has_i() ? convertDataType(n.ctx(), to->i()) : Type();
    if (!elementType || !elementType.isSignlessInteger())
      return false;
  }
  if (op == "Mod") {
    const auto *fmod = n.attr("fmod");
    if (fmod && fmod->i() != 0)
      return false;
  }
  // Casts to narrower types are not modelled: keep the tracked value exact.
  if (op == "Cast" && elementType.getIntOrFloatBitWidth() < 32)
    return false;
  if (fn->second)
    elementType = n.b.getI1Type();
  SmallVector<ShapeValue> values;
  for (const auto &in : ins)
    values.push_back(*in);
  IndexMath m = n.math();
  auto out = evaluateElementwise(m, values, fn->first);
  if (!out)
    return false;
  n.setShapeResult(*out, elementType);
  return true;
}
