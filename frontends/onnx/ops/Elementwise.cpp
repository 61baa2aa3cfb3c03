//===- Elementwise.cpp - ONNX elementwise ops → kiln ----------------------===//
//
// Add/Sub/Mul/Div (numpy broadcasting, opset 7+ semantics), Relu, Sigmoid,
// Clip (bounds as attributes before opset 11, as constant inputs after) and
// Identity (forwarded without an op).
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"

#include <limits>
#include <type_traits>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx;

/// Add(a, b) → kiln.add a, b (and likewise Sub, Mul, Div).
template <typename OpT>
static LogicalResult convertBinary(NodeImporter &n) {
  // Before opset 7, `broadcast`/`axis` selected a different broadcast rule.
  if (failed(n.checkAttributes({})))
    return failure();
  auto lhs = numericInput(n, 0);
  auto rhs = numericInput(n, 1);
  if (failed(lhs) || failed(rhs))
    return failure();
  Type elem = getElementTypeOrSelf(lhs->getType());
  if (elem != getElementTypeOrSelf(rhs->getType()) || elem.isInteger(1))
    return n.error() << "unsupported dtypes " << elem << " and "
                     << getElementTypeOrSelf(rhs->getType());
  auto result = n.create<OpT>({*lhs, *rhs});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// Relu(x) → kiln.relu x (and Sigmoid).
template <typename OpT>
static LogicalResult convertUnary(NodeImporter &n) {
  if (failed(n.checkAttributes({})))
    return failure();
  auto x = numericInput(n, 0);
  if (failed(x))
    return failure();
  Type elem = getElementTypeOrSelf(x->getType());
  if (elem.isInteger(1) || (!isa<FloatType>(elem) && std::is_same_v<OpT, SigmoidOp>))
    return n.error() << "unsupported dtype " << elem;
  auto result = n.createTyped<OpT>(x->getType(), {*x});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// Reads an optional scalar bound input of Clip (opset 11+).
static FailureOr<double> clipBound(NodeImporter &n, unsigned i, StringRef what,
                                   double dflt) {
  if (!n.hasInput(i))
    return dflt;
  auto attr = n.constantInput(i, what);
  if (failed(attr))
    return failure();
  if (attr->getNumElements() != 1)
    return n.error() << what << " must be a scalar";
  if (auto intType = dyn_cast<IntegerType>(attr->getElementType());
      intType && !intType.isInteger(1)) {
    APInt v = *attr->getValues<APInt>().begin();
    return intType.isUnsigned() ? double(v.getZExtValue())
                                : double(v.getSExtValue());
  }
  if (!isa<FloatType>(attr->getElementType()))
    return n.error() << what << " must be a float or integer scalar";
  APFloat v = *attr->getValues<APFloat>().begin();
  bool lost;
  v.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
  return v.convertToDouble();
}

/// Whether optional input `i` is given but not a constant.
static bool isRuntimeInput(NodeImporter &n, unsigned i) {
  if (!n.hasInput(i))
    return false;
  auto v = n.input(i);
  return succeeded(v) && !v->getDefiningOp<ConstantOp>();
}

/// Clip(x, min, max) with bounds computed at run time →
/// kiln.binary min(kiln.binary max(x, min), max).
static LogicalResult convertClipRuntimeBounds(NodeImporter &n) {
  auto x = numericInput(n, 0);
  if (failed(x))
    return failure();
  Value result = *x;
  for (auto [i, kind] : {std::pair(1u, BinaryKind::Max),
                         std::pair(2u, BinaryKind::Min)}) {
    if (!n.hasInput(i))
      continue;
    auto bound = numericInput(n, i);
    if (failed(bound))
      return failure();
    if (getElementTypeOrSelf(bound->getType()) !=
        getElementTypeOrSelf(x->getType()))
      return n.error() << "bounds must have the input's element type";
    auto r = n.create<BinaryOp>(
        {result, *bound},
        {n.namedAttr("kind", BinaryKindAttr::get(n.ctx(), kind))});
    if (failed(r))
      return failure();
    result = *r;
  }
  n.setResult(result);
  return success();
}

/// Clip(x, min, max) → kiln.clip x {min, max}.
static LogicalResult convertClip(NodeImporter &n) {
  if (n.opset() >= 11 && (isRuntimeInput(n, 1) || isRuntimeInput(n, 2))) {
    if (failed(n.checkAttributes({})))
      return failure();
    return convertClipRuntimeBounds(n);
  }
  double lo, hi;
  if (n.opset() < 11) {
    if (failed(n.checkAttributes({"min", "max"})))
      return failure();
    auto minAttr = n.floatAttr("min", std::numeric_limits<float>::lowest());
    auto maxAttr = n.floatAttr("max", std::numeric_limits<float>::max());
    if (failed(minAttr) || failed(maxAttr))
      return failure();
    lo = *minAttr;
    hi = *maxAttr;
  } else {
    if (failed(n.checkAttributes({})))
      return failure();
    auto minV = clipBound(n, 1, "min", -std::numeric_limits<double>::infinity());
    auto maxV = clipBound(n, 2, "max", std::numeric_limits<double>::infinity());
    if (failed(minV) || failed(maxV))
      return failure();
    lo = *minV;
    hi = *maxV;
  }
  auto x = numericInput(n, 0);
  if (failed(x))
    return failure();
  if (getElementTypeOrSelf(x->getType()).isInteger(1))
    return n.error() << "unsupported dtype i1";
  auto result = n.createTyped<ClipOp>(
      x->getType(), {*x},
      {n.namedAttr("min", n.b.getF64FloatAttr(lo)),
       n.namedAttr("max", n.b.getF64FloatAttr(hi))});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
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

void mlir::kiln::onnx::registerElementwiseOps(ConverterMap &map) {
  map["Add"] = convertBinary<AddOp>;
  map["Sub"] = convertBinary<SubOp>;
  map["Mul"] = convertBinary<MulOp>;
  map["Div"] = convertBinary<DivOp>;
  map["Relu"] = convertUnary<ReluOp>;
  map["Sigmoid"] = convertUnary<SigmoidOp>;
  map["Clip"] = convertClip;
  map["Identity"] = convertIdentity;
  registerElementwiseFamilyOps(map);
}
