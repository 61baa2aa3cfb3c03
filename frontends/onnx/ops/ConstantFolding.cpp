//===- ConstantFolding.cpp - fold kiln ops on constants during import -----===//
//
// Real exporters compute Reshape targets, Slice bounds and masks with small
// subgraphs (Shape → Gather → Unsqueeze → Concat → Reshape). The importer
// folds each op whose operands are all small dense constants as soon as it is
// created, through the op's `fold` hook, so later converters read those values
// with `constantInput`. Large constants (weights, dense_resource blobs) never
// take part: only inline DenseElementsAttr operands are offered to folders,
// and the folders themselves refuse big results.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx;

/// Elements above which integer arithmetic on constants is not evaluated.
static constexpr int64_t kMaxEvalElements = 1 << 16;

/// Integer Add/Sub/Mul/Div with numpy broadcasting on dense constants, the
/// arithmetic of shape subgraphs; the elementwise ops have no folders of
/// their own for it.
static Attribute evalIntegerBinary(Operation *op, ArrayRef<Attribute> operands) {
  if (!isa<AddOp, SubOp, MulOp, DivOp>(op) || operands.size() != 2)
    return {};
  auto lhs = dyn_cast_or_null<DenseIntElementsAttr>(operands[0]);
  auto rhs = dyn_cast_or_null<DenseIntElementsAttr>(operands[1]);
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  if (!lhs || !rhs || !type.hasStaticShape() ||
      type.getNumElements() > kMaxEvalElements ||
      !type.getElementType().isSignlessInteger() ||
      type.getElementType().isInteger(1))
    return {};
  unsigned width = type.getElementType().getIntOrFloatBitWidth();
  auto values = [](DenseIntElementsAttr a) {
    SmallVector<APInt> v(a.getValues<APInt>());
    return v;
  };
  SmallVector<APInt> a = values(lhs), b = values(rhs), out;
  ArrayRef<int64_t> shape = type.getShape();
  auto at = [&](ArrayRef<APInt> v, ShapedType t, ArrayRef<int64_t> idx) {
    int64_t flat = 0, lead = shape.size() - t.getRank();
    for (int64_t d = 0; d < t.getRank(); ++d)
      flat = flat * t.getDimSize(d) +
             (t.getDimSize(d) == 1 ? 0 : idx[d + lead]);
    return v[flat];
  };
  SmallVector<int64_t> idx(shape.size(), 0);
  for (int64_t i = 0; i < type.getNumElements(); ++i) {
    APInt x = at(a, lhs.getType(), idx), y = at(b, rhs.getType(), idx);
    if (isa<AddOp>(op))
      out.push_back(x + y);
    else if (isa<SubOp>(op))
      out.push_back(x - y);
    else if (isa<MulOp>(op))
      out.push_back(x * y);
    else if (y.isZero())
      return {};
    else
      out.push_back(x.sdiv(y)); // ONNX integer Div truncates like C.
    for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d])
        break;
      idx[d] = 0;
    }
  }
  (void)width;
  return DenseElementsAttr::get(type, out);
}

Value mlir::kiln::onnx::foldToConstant(OpBuilder &b, Operation *op) {
  if (op->getNumResults() != 1 || isa<ConstantOp>(op))
    return {};
  SmallVector<Attribute> operands;
  for (Value v : op->getOperands()) {
    Attribute attr;
    if (auto constant = v.getDefiningOp<ConstantOp>())
      attr = dyn_cast<DenseElementsAttr>(constant.getValue());
    operands.push_back(attr);
  }
  // An empty result needs no computation (and kernels of size 0 are not
  // worth generating).
  auto resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (resultType && resultType.hasStaticShape() &&
      resultType.getNumElements() == 0 && resultType.getElementType().isIntOrFloat()) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(op);
    Value empty = ConstantOp::create(
                      b, op->getLoc(),
                      DenseElementsAttr::get(resultType, ArrayRef<Attribute>{}))
                      .getResult();
    op->erase();
    return empty;
  }
  SmallVector<OpFoldResult> results;
  Attribute folded;
  if (succeeded(op->fold(operands, results)) && results.size() == 1) {
    if (auto value = dyn_cast<Value>(results[0])) {
      if (value == op->getResult(0))
        return {};
      op->erase();
      return value;
    }
    folded = cast<Attribute>(results[0]);
  } else {
    folded = evalIntegerBinary(op, operands);
  }
  auto dense = dyn_cast_or_null<DenseElementsAttr>(folded);
  if (!dense || dense.getType() != op->getResult(0).getType())
    return {};
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(op);
  Value constant = ConstantOp::create(b, op->getLoc(), dense).getResult();
  op->erase();
  return constant;
}

//===----------------------------------------------------------------------===//
// Whole-node evaluation of integer shape arithmetic
//===----------------------------------------------------------------------===//

namespace {
/// A small integer or boolean constant read out of a kiln.constant.
struct IntTensor {
  SmallVector<int64_t> shape;
  SmallVector<int64_t> values;
};
} // namespace

static std::optional<IntTensor> readIntConstant(Value v, bool allowFloat) {
  auto constant = v.getDefiningOp<ConstantOp>();
  auto dense = constant ? dyn_cast<DenseElementsAttr>(constant.getValue())
                        : DenseElementsAttr();
  if (!dense || dense.getNumElements() > kMaxEvalElements)
    return std::nullopt;
  IntTensor t;
  t.shape.assign(dense.getType().getShape().begin(),
                 dense.getType().getShape().end());
  Type et = dense.getElementType();
  if (isa<FloatType>(et)) {
    if (!allowFloat)
      return std::nullopt;
    for (const APFloat &f : dense.getValues<APFloat>())
      t.values.push_back(int64_t(f.convertToDouble()));
  } else if (et.isInteger(1)) {
    for (bool b : dense.getValues<bool>())
      t.values.push_back(b);
  } else if (et.isSignlessInteger()) {
    for (const APInt &i : dense.getValues<APInt>())
      t.values.push_back(i.getSExtValue());
  } else {
    return std::nullopt;
  }
  return t;
}

/// Numpy broadcast of all `inputs`, computing `fn` on each element tuple.
static std::optional<IntTensor>
broadcastEval(ArrayRef<IntTensor> inputs,
              function_ref<std::optional<int64_t>(ArrayRef<int64_t>)> fn) {
  SmallVector<int64_t> shape;
  for (const IntTensor &t : inputs) {
    auto s = broadcastShapes(shape, t.shape);
    if (failed(s))
      return std::nullopt;
    shape = *s;
  }
  IntTensor out;
  out.shape = shape;
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  SmallVector<int64_t> idx(shape.size(), 0), args(inputs.size());
  for (int64_t i = 0; i < n; ++i) {
    for (auto [k, t] : llvm::enumerate(inputs)) {
      int64_t flat = 0, lead = shape.size() - t.shape.size();
      for (size_t d = 0; d < t.shape.size(); ++d)
        flat = flat * t.shape[d] + (t.shape[d] == 1 ? 0 : idx[d + lead]);
      args[k] = t.values[flat];
    }
    auto v = fn(args);
    if (!v)
      return std::nullopt;
    out.values.push_back(*v);
    for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d])
        break;
      idx[d] = 0;
    }
  }
  return out;
}

/// The scalar function of an ONNX op on integers; the bool says whether the
/// result is boolean.
static std::optional<std::pair<
    std::function<std::optional<int64_t>(ArrayRef<int64_t>)>, bool>>
integerFunction(StringRef op) {
  using Fn = std::function<std::optional<int64_t>(ArrayRef<int64_t>)>;
  auto binary = [](auto f, bool isBool) {
    return std::make_pair(
        Fn([f](ArrayRef<int64_t> a) -> std::optional<int64_t> {
          return f(a[0], a[1]);
        }),
        isBool);
  };
  if (op == "Add")
    return binary([](int64_t a, int64_t b) { return std::optional(a + b); }, false);
  if (op == "Sub")
    return binary([](int64_t a, int64_t b) { return std::optional(a - b); }, false);
  if (op == "Mul")
    return binary([](int64_t a, int64_t b) { return std::optional(a * b); }, false);
  if (op == "Div")
    return binary([](int64_t a, int64_t b) -> std::optional<int64_t> {
      if (b == 0)
        return std::nullopt;
      return a / b;
    }, false);
  if (op == "Mod") // fmod = 0: the result takes the divisor's sign (Python's %)
    return binary([](int64_t a, int64_t b) -> std::optional<int64_t> {
      if (b == 0)
        return std::nullopt;
      int64_t r = a % b;
      return r != 0 && ((r < 0) != (b < 0)) ? r + b : r;
    }, false);
  if (op == "Max")
    return binary([](int64_t a, int64_t b) { return std::optional(std::max(a, b)); }, false);
  if (op == "Min")
    return binary([](int64_t a, int64_t b) { return std::optional(std::min(a, b)); }, false);
  if (op == "Equal")
    return binary([](int64_t a, int64_t b) { return std::optional<int64_t>(a == b); }, true);
  if (op == "Less")
    return binary([](int64_t a, int64_t b) { return std::optional<int64_t>(a < b); }, true);
  if (op == "LessOrEqual")
    return binary([](int64_t a, int64_t b) { return std::optional<int64_t>(a <= b); }, true);
  if (op == "Greater")
    return binary([](int64_t a, int64_t b) { return std::optional<int64_t>(a > b); }, true);
  if (op == "GreaterOrEqual")
    return binary([](int64_t a, int64_t b) { return std::optional<int64_t>(a >= b); }, true);
  if (op == "And")
    return binary([](int64_t a, int64_t b) { return std::optional<int64_t>(a && b); }, true);
  if (op == "Or")
    return binary([](int64_t a, int64_t b) { return std::optional<int64_t>(a || b); }, true);
  if (op == "Not")
    return std::make_pair(Fn([](ArrayRef<int64_t> a) { return std::optional<int64_t>(!a[0]); }), true);
  if (op == "Neg")
    return std::make_pair(Fn([](ArrayRef<int64_t> a) { return std::optional<int64_t>(-a[0]); }), false);
  if (op == "Abs")
    return std::make_pair(Fn([](ArrayRef<int64_t> a) { return std::optional<int64_t>(std::abs(a[0])); }), false);
  if (op == "Where")
    return std::make_pair(Fn([](ArrayRef<int64_t> a) { return std::optional<int64_t>(a[0] ? a[1] : a[2]); }), false);
  if (op == "Cast" || op == "Identity")
    return std::make_pair(Fn([](ArrayRef<int64_t> a) { return std::optional<int64_t>(a[0]); }), false);
  return std::nullopt;
}

bool mlir::kiln::onnx::tryEvaluateIntegerNode(NodeImporter &n) {
  bool standardDomain = n.node.domain().empty() || n.node.domain() == "ai.onnx";
  auto fn = integerFunction(n.opType());
  if (!standardDomain || !fn || n.node.output_size() != 1 ||
      n.node.input_size() == 0)
    return false;
  if (n.opType() == "Mod") { // fmod = 1 is C's truncating remainder: not here
    const auto *fmod = n.attr("fmod");
    if (fmod && fmod->i() != 0)
      return false;
  }
  bool isCast = n.opType() == "Cast";
  // Values are evaluated as int64: a float input may only be cast to an
  // integer type (truncating), never to a float one (0.1 would become 0).
  bool castToInteger = false;
  if (isCast) {
    const auto *to = n.attr("to");
    if (to && to->i() >= dtype::Float8E4M3FN) // float8, int4, ...: see Cast
      return false;
    Type target = to && to->has_i() ? convertDataType(n.ctx(), to->i()) : Type();
    castToInteger = target && target.isSignlessInteger();
  }
  SmallVector<IntTensor> inputs;
  Type elementType;
  for (int i = 0; i < n.node.input_size(); ++i) {
    auto it = n.graph.values.find(n.node.input(i));
    if (it == n.graph.values.end())
      return false;
    auto t = readIntConstant(it->second, castToInteger);
    if (!t)
      return false;
    inputs.push_back(std::move(*t));
    // Where's result takes the type of its value operands.
    if (i == (n.opType() == "Where" ? 1 : 0))
      elementType = cast<RankedTensorType>(it->second.getType()).getElementType();
  }
  if (isCast) {
    const auto *to = n.attr("to");
    if (!to || !to->has_i())
      return false;
    elementType = convertDataType(n.ctx(), to->i());
    if (!elementType || !(elementType.isSignlessInteger() || isa<FloatType>(elementType)))
      return false;
  }
  if (fn->second)
    elementType = n.b.getI1Type();
  auto out = broadcastEval(inputs, fn->first);
  if (!out)
    return false;
  auto type = RankedTensorType::get(out->shape, elementType);
  SmallVector<Attribute> values;
  for (int64_t v : out->values) {
    if (isa<FloatType>(elementType))
      values.push_back(n.b.getFloatAttr(elementType, double(v)));
    else if (elementType.isInteger(1))
      values.push_back(n.b.getBoolAttr(v != 0));
    else
      values.push_back(n.b.getIntegerAttr(elementType, v));
  }
  n.setResult(ConstantOp::create(n.b, n.loc, DenseElementsAttr::get(type, values))
                  .getResult());
  return true;
}
