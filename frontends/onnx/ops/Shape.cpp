//===- Shape.cpp - ONNX data movement and constants → kiln ----------------===//
//
// Reshape and Flatten (both kiln.reshape, with the target shape computed
// here), Transpose, Concat and Constant. Reshape's shape must be a constant:
// kiln's shapes are resolved at import, symbolic dims stay dynamic.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"

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

void mlir::kiln::onnx::registerShapeOps(ConverterMap &map) {
  map["Reshape"] = convertReshape;
  map["Flatten"] = convertFlatten;
  map["Transpose"] = convertTranspose;
  map["Concat"] = convertConcat;
  map["Constant"] = convertConstant;
}
