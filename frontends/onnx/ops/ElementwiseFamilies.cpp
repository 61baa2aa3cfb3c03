//===- ElementwiseFamilies.cpp - ONNX math/logic/cast ops → kiln ----------===//
//
// The ONNX elementwise ops that map onto kiln's enum-parameterised families:
// unary math and activations (kiln.unary), Pow/Max/Min/Mod/PRelu/logical and
// bitwise ops (kiln.binary; variadic Max/Min/Sum/Mean become chains),
// comparisons (kiln.compare), IsNaN/IsInf (kiln.classify), Where and
// Cast/CastLike. Element types are checked here so that an unsupported dtype
// is an error naming the node rather than a lowering failure.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"

#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx;

/// Input `i` with an element type kiln computes on: a float or an integer
/// (signless, unsigned, or i1 for bool).
FailureOr<Value> mlir::kiln::onnx::numericInput(NodeImporter &n, unsigned i) {
  auto value = n.input(i);
  if (failed(value))
    return failure();
  Type elem = cast<RankedTensorType>(value->getType()).getElementType();
  if (!isa<FloatType>(elem) && !isa<IntegerType>(elem))
    return n.error() << "unsupported dtype " << elem << " for input '"
                     << n.node.input(i) << "'";
  return value;
}

/// Inputs `0..count-1`, all numeric and of one element type.
static FailureOr<SmallVector<Value>> sameTypedInputs(NodeImporter &n,
                                                     unsigned count) {
  SmallVector<Value> values;
  for (unsigned i = 0; i < count; ++i) {
    auto v = numericInput(n, i);
    if (failed(v))
      return failure();
    values.push_back(*v);
  }
  Type elem = getElementTypeOrSelf(values.front().getType());
  for (Value v : values)
    if (getElementTypeOrSelf(v.getType()) != elem)
      return n.error() << "inputs have different element types (" << elem
                       << " and " << getElementTypeOrSelf(v.getType()) << ")";
  return values;
}

static LogicalResult expectElement(NodeImporter &n, Value v, bool floatOnly) {
  Type elem = getElementTypeOrSelf(v.getType());
  if (floatOnly && !isa<FloatType>(elem))
    return n.error() << "unsupported dtype " << elem << " (needs a float)";
  if (!floatOnly && elem.isInteger(1))
    return n.error() << "unsupported dtype " << elem << " (needs a number)";
  return success();
}

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

/// How one ONNX unary op maps to kiln.unary: its kind, whether it is
/// float-only, and which ONNX attributes fill `alpha` and `beta`.
struct UnaryInfo {
  UnaryKind kind;
  bool floatOnly = true;
  const char *alphaName = nullptr;
  float alphaDefault = 0;
  const char *betaName = nullptr;
  float betaDefault = 0;
};

static std::optional<UnaryInfo> lookupUnary(StringRef op) {
  using K = UnaryKind;
  return llvm::StringSwitch<std::optional<UnaryInfo>>(op)
      .Case("Exp", UnaryInfo{K::Exp})
      .Case("Log", UnaryInfo{K::Log})
      .Case("Sqrt", UnaryInfo{K::Sqrt})
      .Case("Reciprocal", UnaryInfo{K::Reciprocal})
      .Case("Erf", UnaryInfo{K::Erf})
      .Case("Tanh", UnaryInfo{K::Tanh})
      .Case("Sin", UnaryInfo{K::Sin})
      .Case("Cos", UnaryInfo{K::Cos})
      .Case("Tan", UnaryInfo{K::Tan})
      .Case("Asin", UnaryInfo{K::Asin})
      .Case("Acos", UnaryInfo{K::Acos})
      .Case("Atan", UnaryInfo{K::Atan})
      .Case("Sinh", UnaryInfo{K::Sinh})
      .Case("Cosh", UnaryInfo{K::Cosh})
      .Case("Asinh", UnaryInfo{K::Asinh})
      .Case("Acosh", UnaryInfo{K::Acosh})
      .Case("Atanh", UnaryInfo{K::Atanh})
      .Case("Floor", UnaryInfo{K::Floor})
      .Case("Ceil", UnaryInfo{K::Ceil})
      .Case("Round", UnaryInfo{K::Round})
      .Case("Softplus", UnaryInfo{K::Softplus})
      .Case("Softsign", UnaryInfo{K::Softsign})
      .Case("Mish", UnaryInfo{K::Mish})
      .Case("HardSwish", UnaryInfo{K::HardSwish})
      .Case("LeakyRelu", UnaryInfo{K::LeakyRelu, true, "alpha", 0.01f})
      .Case("Elu", UnaryInfo{K::Elu, true, "alpha", 1.0f})
      .Case("Selu",
            UnaryInfo{K::Selu, true, "alpha", 1.67326319217681884765625f,
                      "gamma", 1.05070102214813232421875f})
      .Case("Celu", UnaryInfo{K::Celu, true, "alpha", 1.0f})
      .Case("HardSigmoid",
            UnaryInfo{K::HardSigmoid, true, "alpha", 0.2f, "beta", 0.5f})
      .Case("ThresholdedRelu",
            UnaryInfo{K::ThresholdedRelu, true, "alpha", 1.0f})
      .Case("Shrink", UnaryInfo{K::Shrink, true, "lambd", 0.5f, "bias", 0.0f})
      .Case("Neg", UnaryInfo{K::Neg, false})
      .Case("Abs", UnaryInfo{K::Abs, false})
      .Case("Sign", UnaryInfo{K::Sign, false})
      .Default(std::nullopt);
}

static LogicalResult createUnary(NodeImporter &n, Value x, UnaryKind kind,
                                 double alpha = 0, double beta = 0) {
  SmallVector<NamedAttribute> attrs = {
      n.namedAttr("kind", UnaryKindAttr::get(n.ctx(), kind))};
  if (alpha != 0)
    attrs.push_back(n.namedAttr("alpha", n.b.getF64FloatAttr(alpha)));
  if (beta != 0)
    attrs.push_back(n.namedAttr("beta", n.b.getF64FloatAttr(beta)));
  auto result = n.createTyped<UnaryOp>(x.getType(), {x}, attrs);
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// Exp(x) → kiln.unary exp x (and every op lookupUnary knows).
static LogicalResult convertUnary(NodeImporter &n) {
  std::optional<UnaryInfo> info = lookupUnary(n.opType());
  SmallVector<StringRef> known;
  for (const char *name : {info->alphaName, info->betaName})
    if (name)
      known.push_back(name);
  if (failed(n.checkAttributes(known)))
    return failure();
  auto x = numericInput(n, 0);
  if (failed(x) || failed(expectElement(n, *x, info->floatOnly)))
    return failure();
  double alpha = 0, beta = 0;
  if (info->alphaName) {
    auto a = n.floatAttr(info->alphaName, info->alphaDefault);
    if (failed(a))
      return failure();
    alpha = *a;
  }
  if (info->betaName) {
    auto v = n.floatAttr(info->betaName, info->betaDefault);
    if (failed(v))
      return failure();
    beta = *v;
  }
  return createUnary(n, *x, info->kind, alpha, beta);
}

/// Gelu(x) {approximate} → kiln.unary gelu|gelu_tanh x
static LogicalResult convertGelu(NodeImporter &n) {
  // Gelu joined the default domain in opset 20; before that it is unknown.
  if (n.opset() < 20)
    return n.error() << "unsupported op Gelu (opset " << n.opset() << ")";
  if (failed(n.checkAttributes({"approximate"})))
    return failure();
  auto approx = n.stringAttr("approximate", "none");
  auto x = numericInput(n, 0);
  if (failed(approx) || failed(x) || failed(expectElement(n, *x, true)))
    return failure();
  if (*approx != "none" && *approx != "tanh")
    return n.error() << "unsupported approximate '" << *approx
                     << "' (expected none or tanh)";
  return createUnary(n, *x,
                     *approx == "tanh" ? UnaryKind::GeluTanh : UnaryKind::Gelu);
}

/// Not(x) / BitwiseNot(x) → kiln.unary not x
static LogicalResult convertNot(NodeImporter &n) {
  if (failed(n.checkAttributes({})))
    return failure();
  auto x = numericInput(n, 0);
  if (failed(x))
    return failure();
  Type elem = getElementTypeOrSelf(x->getType());
  bool logical = n.opType() == "Not";
  if (logical != elem.isInteger(1) || isa<FloatType>(elem))
    return n.error() << "unsupported dtype " << elem << " (needs "
                     << (logical ? "bool" : "an integer") << ")";
  return createUnary(n, *x, UnaryKind::Not);
}

//===----------------------------------------------------------------------===//
// Binary, variadic and comparisons
//===----------------------------------------------------------------------===//

static FailureOr<Value> createBinary(NodeImporter &n, BinaryKind kind, Value l,
                                     Value r) {
  return n.create<BinaryOp>(
      {l, r}, {n.namedAttr("kind", BinaryKindAttr::get(n.ctx(), kind))});
}

static std::optional<BinaryKind> lookupBinary(StringRef op) {
  return llvm::StringSwitch<std::optional<BinaryKind>>(op)
      .Case("PRelu", BinaryKind::PRelu)
      .Cases({"And", "BitwiseAnd"}, BinaryKind::And)
      .Cases({"Or", "BitwiseOr"}, BinaryKind::Or)
      .Cases({"Xor", "BitwiseXor"}, BinaryKind::Xor)
      .Default(std::nullopt);
}

/// PRelu/And/Or/Xor/Bitwise*(a, b) → kiln.binary <kind> a, b
static LogicalResult convertBinary(NodeImporter &n) {
  if (failed(n.checkAttributes({})))
    return failure();
  auto operands = sameTypedInputs(n, 2);
  if (failed(operands))
    return failure();
  BinaryKind kind = *lookupBinary(n.opType());
  Type elem = getElementTypeOrSelf((*operands)[0].getType());
  bool logical =
      n.opType() == "And" || n.opType() == "Or" || n.opType() == "Xor";
  bool bitwise = n.opType().starts_with("Bitwise");
  if ((logical && !elem.isInteger(1)) ||
      (bitwise && (isa<FloatType>(elem) || elem.isInteger(1))) ||
      (kind == BinaryKind::PRelu && elem.isInteger(1)))
    return n.error() << "unsupported dtype " << elem;
  auto result = createBinary(n, kind, (*operands)[0], (*operands)[1]);
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// BitShift(x, y) {direction} → kiln.binary shl|shr x, y
static LogicalResult convertBitShift(NodeImporter &n) {
  if (failed(n.checkAttributes({"direction"})))
    return failure();
  auto direction = n.stringAttr("direction", "");
  auto operands = sameTypedInputs(n, 2);
  if (failed(direction) || failed(operands))
    return failure();
  Type elem = getElementTypeOrSelf((*operands)[0].getType());
  if (isa<FloatType>(elem) || elem.isInteger(1))
    return n.error() << "unsupported dtype " << elem << " (needs an integer)";
  if (*direction != "LEFT" && *direction != "RIGHT")
    return n.error() << "direction must be LEFT or RIGHT, got '" << *direction
                     << "'";
  auto result = createBinary(
      n, *direction == "LEFT" ? BinaryKind::ShiftLeft : BinaryKind::ShiftRight,
      (*operands)[0], (*operands)[1]);
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// Pow(x, y) → kiln.binary pow x, cast(y); the exponent may have another type.
static LogicalResult convertPow(NodeImporter &n) {
  if (failed(n.checkAttributes({})))
    return failure();
  auto x = numericInput(n, 0);
  auto y = numericInput(n, 1);
  if (failed(x) || failed(y) || failed(expectElement(n, *x, false)) ||
      failed(expectElement(n, *y, false)))
    return failure();
  Type elem = getElementTypeOrSelf(x->getType());
  auto yType = cast<RankedTensorType>(y->getType());
  if (yType.getElementType() != elem) {
    auto cast = n.createTyped<CastOp>(yType.clone(elem), {*y});
    if (failed(cast))
      return failure();
    y = *cast;
  }
  auto result = createBinary(n, BinaryKind::Pow, *x, *y);
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// Mod(a, b) {fmod} → kiln.binary mod|fmod a, b
static LogicalResult convertMod(NodeImporter &n) {
  if (failed(n.checkAttributes({"fmod"})))
    return failure();
  auto fmod = n.intAttr("fmod", 0);
  auto operands = sameTypedInputs(n, 2);
  if (failed(fmod) || failed(operands) ||
      failed(expectElement(n, (*operands)[0], false)))
    return failure();
  auto result = createBinary(n, *fmod ? BinaryKind::Fmod : BinaryKind::Mod,
                             (*operands)[0], (*operands)[1]);
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// Max/Min/Sum/Mean(x0, x1, ...) → a left-to-right chain of binary ops;
/// Mean divides the sum by the input count.
static LogicalResult convertVariadic(NodeImporter &n) {
  if (failed(n.checkAttributes({})))
    return failure();
  unsigned count = n.node.input_size();
  if (count == 0)
    return n.error() << "needs at least one input";
  auto operands = sameTypedInputs(n, count);
  if (failed(operands) || failed(expectElement(n, (*operands)[0], false)))
    return failure();
  StringRef op = n.opType();
  if (op == "Mean" &&
      !isa<FloatType>(getElementTypeOrSelf((*operands)[0].getType())))
    return n.error() << "Mean needs float inputs";
  Value acc = (*operands)[0];
  for (Value next : ArrayRef(*operands).drop_front()) {
    FailureOr<Value> r =
        op == "Max"   ? createBinary(n, BinaryKind::Max, acc, next)
        : op == "Min" ? createBinary(n, BinaryKind::Min, acc, next)
                      : n.create<AddOp>({acc, next});
    if (failed(r))
      return failure();
    acc = *r;
  }
  if (op == "Mean" && count > 1) {
    Type elem = getElementTypeOrSelf(acc.getType());
    auto scalarType = RankedTensorType::get({}, elem);
    Value divisor = ConstantOp::create(
        n.b, n.loc,
        DenseElementsAttr::get(scalarType, n.b.getFloatAttr(elem, count)));
    auto r = n.create<DivOp>({acc, divisor});
    if (failed(r))
      return failure();
    acc = *r;
  }
  n.setResult(acc);
  return success();
}

/// Equal/Greater/...(a, b) → kiln.compare <kind> a, b : i1
static LogicalResult convertCompare(NodeImporter &n) {
  if (failed(n.checkAttributes({})))
    return failure();
  auto operands = sameTypedInputs(n, 2);
  if (failed(operands))
    return failure();
  CompareKind kind = llvm::StringSwitch<CompareKind>(n.opType())
                         .Case("Greater", CompareKind::Gt)
                         .Case("GreaterOrEqual", CompareKind::Ge)
                         .Case("Less", CompareKind::Lt)
                         .Case("LessOrEqual", CompareKind::Le)
                         .Default(CompareKind::Eq);
  auto result = n.create<CompareOp>(
      *operands, {n.namedAttr("kind", CompareKindAttr::get(n.ctx(), kind))});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

//===----------------------------------------------------------------------===//
// Classification, Where, Cast
//===----------------------------------------------------------------------===//

static FailureOr<Value> createClassify(NodeImporter &n, ClassifyKind kind,
                                       Value x) {
  return n.create<ClassifyOp>(
      {x}, {n.namedAttr("kind", ClassifyKindAttr::get(n.ctx(), kind))});
}

/// IsNaN(x) / IsInf(x) {detect_positive, detect_negative} → kiln.classify
static LogicalResult convertClassify(NodeImporter &n) {
  bool isNaN = n.opType() == "IsNaN";
  if (failed(n.checkAttributes(
          isNaN ? ArrayRef<StringRef>{}
                : ArrayRef<StringRef>{"detect_positive", "detect_negative"})))
    return failure();
  auto x = numericInput(n, 0);
  auto pos = n.intAttr("detect_positive", 1);
  auto neg = n.intAttr("detect_negative", 1);
  if (failed(x) || failed(pos) || failed(neg) ||
      failed(expectElement(n, *x, true)))
    return failure();
  FailureOr<Value> result;
  if (isNaN)
    result = createClassify(n, ClassifyKind::IsNaN, *x);
  else if (*pos && *neg)
    result = createClassify(n, ClassifyKind::IsInf, *x);
  else if (*pos || *neg)
    result = createClassify(
        n, *pos ? ClassifyKind::IsPosInf : ClassifyKind::IsNegInf, *x);
  else { // detects nothing: +inf and -inf at once is never true
    auto p = createClassify(n, ClassifyKind::IsPosInf, *x);
    auto m = createClassify(n, ClassifyKind::IsNegInf, *x);
    if (failed(p) || failed(m))
      return failure();
    result = createBinary(n, BinaryKind::And, *p, *m);
  }
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// Where(c, a, b) → kiln.where c, a, b
static LogicalResult convertWhere(NodeImporter &n) {
  if (failed(n.checkAttributes({})))
    return failure();
  auto c = n.input(0);
  if (failed(c))
    return failure();
  if (!getElementTypeOrSelf(c->getType()).isInteger(1))
    return n.error() << "condition must be bool";
  auto x = numericInput(n, 1);
  auto y = numericInput(n, 2);
  if (failed(x) || failed(y))
    return failure();
  if (getElementTypeOrSelf(x->getType()) != getElementTypeOrSelf(y->getType()))
    return n.error() << "X and Y have different element types";
  auto result = n.create<WhereOp>({*c, *x, *y});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// `narrow` of kiln.cast for an ONNX type held in a wider one; empty if none.
static StringRef narrowName(int32_t dataType) {
  switch (dataType) {
  case dtype::Int4:
    return "int4";
  case dtype::UInt4:
    return "uint4";
  case dtype::Int2:
    return "int2";
  case dtype::UInt2:
    return "uint2";
  case dtype::Float4E2M1:
    return "float4e2m1";
  default:
    return "";
  }
}

FailureOr<Value> mlir::kiln::onnx::createCast(NodeImporter &n, Value x,
                                              int32_t toType, bool saturate,
                                              StringRef roundMode) {
  Type to = convertDataType(n.ctx(), toType);
  if (!to || !isa<FloatType, IntegerType>(to))
    return n.error() << "unsupported target dtype " << dataTypeName(toType);
  auto type = cast<RankedTensorType>(x.getType());
  StringRef narrow = narrowName(toType);
  if (type.getElementType() == to && narrow.empty())
    return x;
  SmallVector<NamedAttribute> attrs;
  bool toFloat8 = isa<Float8E4M3FNType, Float8E4M3FNUZType, Float8E5M2Type,
                      Float8E5M2FNUZType, Float8E8M0FNUType>(to);
  if (toFloat8 && saturate && narrow.empty())
    attrs.push_back(n.namedAttr("saturate", n.b.getUnitAttr()));
  if (isa<Float8E8M0FNUType>(to))
    attrs.push_back(n.namedAttr("round_mode", n.b.getStringAttr(roundMode)));
  if (!narrow.empty())
    attrs.push_back(n.namedAttr("narrow", n.b.getStringAttr(narrow)));
  return n.createTyped<CastOp>(type.clone(to), {x}, attrs);
}

/// Cast(x) {to, saturate, round_mode} / CastLike(x, like) → kiln.cast x
/// (x itself if the types agree).
static LogicalResult convertCast(NodeImporter &n) {
  bool like = n.opType() == "CastLike";
  if (failed(n.checkAttributes(
          like ? ArrayRef<StringRef>{"saturate", "round_mode"}
               : ArrayRef<StringRef>{"to", "saturate", "round_mode"})))
    return failure();
  auto x = numericInput(n, 0);
  auto saturate = n.intAttr("saturate", 1);
  auto roundMode = n.stringAttr("round_mode", "up");
  if (failed(x) || failed(saturate) || failed(roundMode))
    return failure();
  if (*roundMode != "up" && *roundMode != "down" && *roundMode != "nearest")
    return n.error() << "round_mode must be up, down or nearest, got '"
                     << *roundMode << "'";
  int32_t toType;
  if (like) {
    if (failed(numericInput(n, 1)))
      return failure();
    toType = n.inputDataType(1);
  } else {
    const ::onnx::AttributeProto *toAttr = n.attr("to");
    if (!toAttr)
      return n.error() << "missing required attribute 'to'";
    toType = toAttr->i();
  }
  auto result = createCast(n, *x, toType, *saturate != 0, *roundMode);
  if (failed(result))
    return failure();
  n.setResult(*result);
  n.setResultDataType(toType);
  return success();
}

void mlir::kiln::onnx::registerElementwiseFamilyOps(ConverterMap &map) {
  for (StringRef op :
       {"Exp",      "Log",      "Sqrt",  "Reciprocal",  "Erf",
        "Tanh",     "Sin",      "Cos",   "Tan",         "Asin",
        "Acos",     "Atan",     "Sinh",  "Cosh",        "Asinh",
        "Acosh",    "Atanh",    "Floor", "Ceil",        "Round",
        "Softplus", "Softsign", "Mish",  "HardSwish",   "LeakyRelu",
        "Elu",      "Selu",     "Celu",  "HardSigmoid", "ThresholdedRelu",
        "Shrink",   "Neg",      "Abs",   "Sign"})
    map[op.str()] = convertUnary;
  map["Gelu"] = convertGelu;
  map["Not"] = convertNot;
  map["BitwiseNot"] = convertNot;
  for (StringRef op :
       {"PRelu", "And", "Or", "Xor", "BitwiseAnd", "BitwiseOr", "BitwiseXor"})
    map[op.str()] = convertBinary;
  map["Pow"] = convertPow;
  map["BitShift"] = convertBitShift;
  map["Mod"] = convertMod;
  for (StringRef op : {"Max", "Min", "Sum", "Mean"})
    map[op.str()] = convertVariadic;
  for (StringRef op :
       {"Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual"})
    map[op.str()] = convertCompare;
  map["IsNaN"] = convertClassify;
  map["IsInf"] = convertClassify;
  map["Where"] = convertWhere;
  map["Cast"] = convertCast;
  map["CastLike"] = convertCast;
}
