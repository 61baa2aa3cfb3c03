//===- SequenceModel.cpp - Swish, SwiGLU, CausalConvWithState, LinearAttention //
//
// The recent ONNX ops of LLM and state-space blocks. Swish and SwiGLU are
// elementwise (x * sigmoid(alpha * x), times B for SwiGLU) and become kiln
// mul/sigmoid. CausalConvWithState is a depthwise 1-D convolution over the
// carried state concatenated in front of the input: kiln.concat, a grouped
// kiln.conv (in f32 for narrower floats), the optional SiLU, and a slice of
// the last k - 1 positions as the new state. LinearAttention's recurrence is
// kiln.linear_attention on 4-D heads, with the 3-D packing undone around it.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx;

/// A splat constant of `type` holding `value`.
static FailureOr<Value> splat(NodeImporter &n, RankedTensorType type,
                              double value) {
  auto ft = cast<FloatType>(type.getElementType());
  return n.create<ConstantOp>(
      {}, {n.namedAttr("value", DenseElementsAttr::get(
                                    type, n.b.getFloatAttr(ft, value)))});
}

/// Input `i` that must be a float tensor (f16, bf16, f32 or f64).
static FailureOr<Value> anyFloatInput(NodeImporter &n, unsigned i) {
  auto value = n.input(i);
  if (failed(value))
    return failure();
  Type elem = getElementTypeOrSelf(value->getType());
  if (!isa<Float16Type, BFloat16Type, Float32Type, Float64Type>(elem))
    return n.error() << "unsupported dtype " << elem << " for input '"
                     << n.node.input(i) << "'";
  return value;
}

/// x * sigmoid(alpha * x).
static FailureOr<Value> swish(NodeImporter &n, Value x, double alpha) {
  Value arg = x;
  if (alpha != 1.0) {
    auto type = cast<RankedTensorType>(x.getType());
    auto a = splat(n, RankedTensorType::get({}, type.getElementType()), alpha);
    if (failed(a))
      return failure();
    auto scaled = n.create<MulOp>({x, *a});
    if (failed(scaled))
      return failure();
    arg = *scaled;
  }
  auto gate = n.createTyped<SigmoidOp>(x.getType(), {arg});
  if (failed(gate))
    return failure();
  return n.create<MulOp>({x, *gate});
}

/// Swish(x){alpha} → kiln.mul(x, kiln.sigmoid(alpha * x))
static LogicalResult convertSwish(NodeImporter &n) {
  if (failed(n.checkAttributes({"alpha"})))
    return failure();
  auto x = anyFloatInput(n, 0);
  auto alpha = n.floatAttr("alpha", 1.0f);
  if (failed(x) || failed(alpha))
    return failure();
  auto y = swish(n, *x, *alpha);
  if (failed(y))
    return failure();
  n.setResult(*y);
  return success();
}

/// SwiGLU(a, b){alpha} → kiln.mul(swish(a), b)
static LogicalResult convertSwiGLU(NodeImporter &n) {
  if (failed(n.checkAttributes({"alpha"})))
    return failure();
  auto a = anyFloatInput(n, 0), b = anyFloatInput(n, 1);
  auto alpha = n.floatAttr("alpha", 1.0f);
  if (failed(a) || failed(b) || failed(alpha))
    return failure();
  if (a->getType() != b->getType())
    return n.error() << "A " << a->getType() << " and B " << b->getType()
                     << " must have the same type (SwiGLU does not broadcast)";
  auto gate = swish(n, *a, *alpha);
  if (failed(gate))
    return failure();
  auto y = n.create<MulOp>({*gate, *b});
  if (failed(y))
    return failure();
  n.setResult(*y);
  return success();
}

/// `x` converted to element type `elem` (itself when it already is).
static FailureOr<Value> castTo(NodeImporter &n, Value x, Type elem) {
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getElementType() == elem)
    return x;
  return n.createTyped<CastOp>(type.clone(elem), {x});
}

/// CausalConvWithState(x, w, bias?, past?){activation} →
///   padded = concat(past or 0, x); y = conv(padded, w, bias){group = C};
///   silu(y); present = padded[..., L:]
static LogicalResult convertCausalConvWithState(NodeImporter &n) {
  if (failed(n.checkAttributes({"activation"})) ||
      failed(n.expectOutputs(2, "")))
    return failure();
  auto x = anyFloatInput(n, 0), w = anyFloatInput(n, 1);
  auto activation = n.stringAttr("activation", "none");
  if (failed(x) || failed(w) || failed(activation))
    return failure();
  if (*activation != "none" && *activation != "silu" && *activation != "swish")
    return n.error() << "unsupported activation '" << *activation
                     << "' (expected none, silu or swish)";
  auto xType = cast<RankedTensorType>(x->getType());
  auto wType = cast<RankedTensorType>(w->getType());
  Type elem = xType.getElementType();
  if (xType.getRank() != 3 || !xType.hasStaticShape())
    return n.error() << "input must be static 3-D (batch, channels, length), "
                        "got "
                     << xType;
  int64_t batch = xType.getDimSize(0), channels = xType.getDimSize(1),
          length = xType.getDimSize(2);
  if (wType.getRank() != 3 || wType.getDimSize(0) != channels ||
      wType.getDimSize(1) != 1 || wType.getDimSize(2) < 1 ||
      wType.getElementType() != elem)
    return n.error() << "weight must be (" << channels << ", 1, k) of " << elem
                     << ", got " << wType;
  int64_t k = wType.getDimSize(2);
  auto stateType = RankedTensorType::get({batch, channels, k - 1}, elem);

  Value padded = *x;
  if (k > 1) {
    FailureOr<Value> past;
    if (n.hasInput(3)) {
      past = n.input(3);
      if (succeeded(past) && past->getType() != stateType)
        return n.error() << "past_state must be " << stateType << ", got "
                         << past->getType();
    } else {
      past = splat(n, stateType, 0.0);
    }
    if (failed(past))
      return failure();
    auto joined = n.create<ConcatOp>(
        {*past, *x}, {n.namedAttr("axis", n.b.getI64IntegerAttr(2))});
    if (failed(joined))
      return failure();
    padded = *joined;
  }

  // kiln.conv computes in f32: narrower floats convert around it.
  Type f32 = n.b.getF32Type();
  Type convElem = isa<Float64Type>(elem) ? elem : f32;
  SmallVector<Value> operands;
  for (Value v : {padded, *w}) {
    auto converted = castTo(n, v, convElem);
    if (failed(converted))
      return failure();
    operands.push_back(*converted);
  }
  if (n.hasInput(2)) {
    auto bias = n.input(2);
    if (failed(bias))
      return failure();
    auto biasType = cast<RankedTensorType>(bias->getType());
    if (biasType.getRank() != 1 || biasType.getDimSize(0) != channels ||
        biasType.getElementType() != elem)
      return n.error() << "bias must be (" << channels << ") of " << elem
                       << ", got " << biasType;
    auto converted = castTo(n, *bias, convElem);
    if (failed(converted))
      return failure();
    operands.push_back(*converted);
  }
  auto conv = n.create<ConvOp>(
      operands, {n.namedAttr("strides", n.b.getDenseI64ArrayAttr({1})),
                 n.namedAttr("pads", n.b.getDenseI64ArrayAttr({0, 0})),
                 n.namedAttr("dilations", n.b.getDenseI64ArrayAttr({1})),
                 n.namedAttr("group", n.b.getI64IntegerAttr(channels))});
  if (failed(conv))
    return failure();
  auto y = castTo(n, *conv, elem);
  if (failed(y))
    return failure();
  if (*activation != "none") {
    y = swish(n, *y, 1.0);
    if (failed(y))
      return failure();
  }
  n.setResult(*y, 0);

  if (n.node.output_size() > 1 && !n.node.output(1).empty()) {
    auto present = n.create<SliceOp>(
        {padded},
        {n.namedAttr("offsets", n.b.getDenseI64ArrayAttr({0, 0, length})),
         n.namedAttr("sizes",
                     n.b.getDenseI64ArrayAttr({batch, channels, k - 1})),
         n.namedAttr("strides", n.b.getDenseI64ArrayAttr({1, 1, 1}))});
    if (failed(present))
      return failure();
    n.setResult(*present, 1);
  }
  return success();
}

/// [B, T, H * X] → [B, H, T, X] (`what` names the input in messages).
static FailureOr<Value> toHeads(NodeImporter &n, Value x, int64_t heads,
                                StringRef what) {
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getRank() != 3 || !type.hasStaticShape())
    return n.error() << what << " must be static 3-D, got " << type;
  if (heads <= 0 || type.getDimSize(2) % heads != 0)
    return n.error() << what << " last dim " << type.getDimSize(2)
                     << " is not a multiple of " << heads << " heads";
  auto split = n.createTyped<ReshapeOp>(
      RankedTensorType::get({type.getDimSize(0), type.getDimSize(1), heads,
                             type.getDimSize(2) / heads},
                            type.getElementType()),
      {x});
  if (failed(split))
    return failure();
  return n.create<TransposeOp>(
      {*split}, {n.namedAttr("perm", n.b.getDenseI64ArrayAttr({0, 2, 1, 3}))});
}

/// LinearAttention(q, k, v, past_state?, decay?, beta?) →
/// kiln.linear_attention on [B, H, T, D] heads; the update rule is implied
/// by which of decay (gated) and beta (delta) are given.
static LogicalResult convertLinearAttention(NodeImporter &n) {
  if (failed(n.checkAttributes({"chunk_size", "kv_num_heads", "q_num_heads",
                                "scale", "update_rule"})) ||
      failed(n.expectOutputs(2, "")))
    return failure();
  auto qHeads = n.intAttr("q_num_heads", 0);
  auto kvHeads = n.intAttr("kv_num_heads", 0);
  auto scale = n.floatAttr("scale", 0.0f);
  auto rule = n.stringAttr("update_rule", "gated_delta");
  auto q = anyFloatInput(n, 0), k = anyFloatInput(n, 1),
       v = anyFloatInput(n, 2);
  if (failed(qHeads) || failed(kvHeads) || failed(scale) || failed(rule) ||
      failed(q) || failed(k) || failed(v))
    return failure();
  if (*rule != "linear" && *rule != "gated" && *rule != "delta" &&
      *rule != "gated_delta")
    return n.error() << "unsupported update_rule '" << *rule
                     << "' (expected linear, gated, delta or gated_delta)";
  bool gated = *rule == "gated" || *rule == "gated_delta";
  bool delta = *rule == "delta" || *rule == "gated_delta";
  if (gated != n.hasInput(4))
    return n.error() << "update_rule '" << *rule
                     << (gated ? "' needs" : "' takes no") << " decay input";
  if (delta != n.hasInput(5))
    return n.error() << "update_rule '" << *rule
                     << (delta ? "' needs" : "' takes no") << " beta input";
  if (*qHeads <= 0 || *kvHeads <= 0 || *qHeads % *kvHeads != 0)
    return n.error() << "q_num_heads " << *qHeads
                     << " must be a positive multiple of kv_num_heads "
                     << *kvHeads;
  auto qType = cast<RankedTensorType>(q->getType());
  auto q4 = toHeads(n, *q, *qHeads, "query");
  auto k4 = toHeads(n, *k, *kvHeads, "key");
  auto v4 = toHeads(n, *v, *kvHeads, "value");
  if (failed(q4) || failed(k4) || failed(v4))
    return failure();
  int64_t batch = qType.getDimSize(0), len = qType.getDimSize(1);
  int64_t dk = cast<RankedTensorType>(q4->getType()).getDimSize(3);
  int64_t dv = cast<RankedTensorType>(v4->getType()).getDimSize(3);

  SmallVector<Value> operands = {*q4, *k4, *v4};
  SmallVector<int32_t> segments = {1, 1, 1, 0, 0, 0};
  Type stateElem = qType.getElementType();
  if (n.hasInput(3)) {
    auto past = anyFloatInput(n, 3);
    if (failed(past))
      return failure();
    stateElem = getElementTypeOrSelf(past->getType());
    operands.push_back(*past);
    segments[3] = 1;
  }
  // decay: [B, T, Hkv] (per head) or [B, T, Hkv * Dk]; beta: [B, T, Hkv|1].
  for (auto [input, name] : {std::pair<unsigned, StringRef>{4, "decay"},
                             std::pair<unsigned, StringRef>{5, "beta"}}) {
    if (!n.hasInput(input))
      continue;
    auto x = anyFloatInput(n, input);
    if (failed(x))
      return failure();
    auto type = cast<RankedTensorType>(x->getType());
    if (type.getRank() != 3 || !type.hasStaticShape())
      return n.error() << name << " must be static 3-D, got " << type;
    int64_t last = type.getDimSize(2);
    bool perHead = last == *kvHeads || (input == 5 && last == 1);
    if (!perHead && !(input == 4 && last == *kvHeads * dk))
      return n.error() << name << " last dim " << last << " must be "
                       << *kvHeads
                       << (input == 4 ? " or kv_num_heads * d_k" : " or 1");
    FailureOr<Value> heads =
        perHead ? n.createTyped<ReshapeOp>(
                      RankedTensorType::get({batch, len, last, 1},
                                            type.getElementType()),
                      {*x})
                : n.createTyped<ReshapeOp>(
                      RankedTensorType::get({batch, len, *kvHeads, dk},
                                            type.getElementType()),
                      {*x});
    if (failed(heads))
      return failure();
    heads = n.create<TransposeOp>(
        {*heads},
        {n.namedAttr("perm", n.b.getDenseI64ArrayAttr({0, 2, 1, 3}))});
    if (failed(heads))
      return failure();
    operands.push_back(*heads);
    segments[input] = 1;
  }
  double scaleValue = *scale != 0.0f ? double(*scale) : 1.0 / std::sqrt(dk);
  auto outType = RankedTensorType::get({batch, *qHeads, len, dv},
                                       qType.getElementType());
  auto stateType = RankedTensorType::get({batch, *kvHeads, dk, dv}, stateElem);
  OperationState state(
      n.loc, LinearAttentionOp::getOperationName(), operands,
      {outType, stateType},
      {n.namedAttr("scale", n.b.getF64FloatAttr(scaleValue)),
       n.namedAttr("operandSegmentSizes", n.b.getDenseI32ArrayAttr(segments))});
  Operation *op = n.b.create(state);
  if (failed(mlir::verify(op))) {
    op->erase();
    return n.error() << "cannot build kiln.linear_attention";
  }
  auto merged = n.create<TransposeOp>(
      {op->getResult(0)},
      {n.namedAttr("perm", n.b.getDenseI64ArrayAttr({0, 2, 1, 3}))});
  if (failed(merged))
    return failure();
  auto output = n.createTyped<ReshapeOp>(
      RankedTensorType::get({batch, len, *qHeads * dv},
                            qType.getElementType()),
      {*merged});
  if (failed(output))
    return failure();
  n.setResult(*output, 0);
  n.setResult(op->getResult(1), 1);
  return success();
}

void mlir::kiln::onnx::registerSequenceModelOps(ConverterMap &map) {
  map["Swish"] = convertSwish;
  map["SwiGLU"] = convertSwiGLU;
  map["CausalConvWithState"] = convertCausalConvWithState;
  map["LinearAttention"] = convertLinearAttention;
}
