//===- Attention.cpp - ONNX Attention, RotaryEmbedding → kiln -------------===//
//
// Opset-23+ Attention as kiln.attention on 4-D [B, H, S, D] tensors. The 3-D
// form ([B, S, H * D], with q_num_heads/kv_num_heads) is reshaped and
// transposed around it; masks are brought to rank 4. A past KV cache is
// concatenated in front of K and V (which become present_key/value) and
// offsets causality and windows by the past length; nonpad_kv_seqlen passes
// through as kiln.attention's kv_seqlen (per-batch padding and offset); a
// short mask is padded. qk_matmul_output is kiln.attention's optional second
// result. RotaryEmbedding's 3-D form gets the same head split and merge
// around kiln.rotary_embedding.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx;

static FailureOr<Value> transpose0213(NodeImporter &n, Value x) {
  return n.create<TransposeOp>(
      {x}, {n.namedAttr("perm", n.b.getDenseI64ArrayAttr({0, 2, 1, 3}))});
}

/// [B, S, H * D] → [B, H, S, D].
static FailureOr<Value> splitHeads(NodeImporter &n, Value x, int64_t heads,
                                   StringRef what) {
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getRank() != 3 || !type.hasStaticShape())
    return n.error() << what << " must be static 3-D or 4-D, got " << type;
  if (heads <= 0 || type.getDimSize(2) % heads != 0)
    return n.error() << what << " hidden size " << type.getDimSize(2)
                     << " is not a multiple of " << heads << " heads";
  auto split = n.createTyped<ReshapeOp>(
      RankedTensorType::get({type.getDimSize(0), type.getDimSize(1), heads,
                             type.getDimSize(2) / heads},
                            type.getElementType()),
      {x});
  if (failed(split))
    return failure();
  return transpose0213(n, *split);
}

/// The mask brought to rank 4 (leading 1s) and padded to cover all T keys
/// (with -inf, or false for a bool mask, as ONNX prescribes).
static FailureOr<Value> rank4Mask(NodeImporter &n, Value mask, int64_t t) {
  auto type = cast<RankedTensorType>(mask.getType());
  Type elem = type.getElementType();
  if (!isa<FloatType>(elem) && !elem.isInteger(1))
    return n.error() << "attn_mask must be bool or float, got " << elem;
  if (type.getRank() < 1 || type.getRank() > 4 || !type.hasStaticShape())
    return n.error() << "attn_mask must be static with rank 1 to 4, got "
                     << type;
  int64_t keys = type.getShape().back();
  if (keys > t)
    return n.error() << "attn_mask covers " << keys << " keys, more than "
                     << t;
  if (keys < t) {
    Attribute fill =
        elem.isInteger(1)
            ? Attribute(n.b.getBoolAttr(false))
            : Attribute(n.b.getFloatAttr(
                  elem, APFloat::getInf(
                            cast<FloatType>(elem).getFloatSemantics(), true)));
    auto value = n.create<ConstantOp>(
        {}, {n.namedAttr("value", DenseElementsAttr::get(
                                      RankedTensorType::get({}, elem), fill))});
    if (failed(value))
      return failure();
    SmallVector<int64_t> pads(2 * type.getRank(), 0);
    pads.back() = t - keys;
    auto padded = n.create<PadOp>(
        {mask, *value}, {n.namedAttr("mode", n.b.getStringAttr("constant")),
                         n.namedAttr("pads", n.b.getDenseI64ArrayAttr(pads))});
    if (failed(padded))
      return failure();
    mask = *padded;
    type = cast<RankedTensorType>(mask.getType());
  }
  if (type.getRank() == 4)
    return mask;
  SmallVector<int64_t> shape(4 - type.getRank(), 1);
  llvm::append_range(shape, type.getShape());
  return n.createTyped<ReshapeOp>(RankedTensorType::get(shape, elem), {mask});
}

/// past_key/past_value (inputs 4, 5) concatenated in front of K and V along
/// the sequence dim.
static FailureOr<std::pair<Value, Value>> appendPast(NodeImporter &n, Value k,
                                                     Value v) {
  auto pastK = n.input(4), pastV = n.input(5);
  if (failed(pastK) || failed(pastV))
    return failure();
  auto axis = n.namedAttr("axis", n.b.getI64IntegerAttr(2));
  auto fullK = n.create<ConcatOp>({*pastK, k}, {axis});
  auto fullV = n.create<ConcatOp>({*pastV, v}, {axis});
  if (failed(fullK) || failed(fullV))
    return failure();
  return std::make_pair(*fullK, *fullV);
}

/// [B, H, S, D] → [B, S, H * D].
static FailureOr<Value> mergeHeads(NodeImporter &n, Value x) {
  auto merged = transpose0213(n, x);
  if (failed(merged))
    return failure();
  auto t = cast<RankedTensorType>(merged->getType());
  return n.createTyped<ReshapeOp>(
      RankedTensorType::get({t.getDimSize(0), t.getDimSize(1),
                             t.getDimSize(2) * t.getDimSize(3)},
                            t.getElementType()),
      {*merged});
}

/// kiln.attention with its inferred result types (one, or two with qk_mode).
static FailureOr<ResultRange> createAttention(NodeImporter &n,
                                             ValueRange operands,
                                             ArrayRef<NamedAttribute> attrs) {
  DictionaryAttr dict = n.b.getDictionaryAttr(attrs);
  AttentionOp::Properties props;
  SmallVector<Type, 2> types;
  if (failed(AttentionOp::setPropertiesFromAttr(
          props, dict, [&] { return n.error(); })) ||
      failed(AttentionOp::inferReturnTypes(n.ctx(), n.loc, operands, dict,
                                           OpaqueProperties(&props), {},
                                           types)))
    return n.error() << "cannot build kiln.attention";
  OperationState state(n.loc, AttentionOp::getOperationName(), operands, types,
                       attrs);
  Operation *op = n.b.create(state);
  if (failed(mlir::verify(op))) {
    op->erase();
    return n.error() << "cannot build kiln.attention";
  }
  return op->getResults();
}

/// Attention(Q, K, V, attn_mask, past_key, past_value, nonpad_kv_seqlen) →
/// kiln.attention (with head split/merge for the 3-D form); causality and
/// windows are offset by the past length, or per batch by nonpad_kv_seqlen.
static LogicalResult convertAttention(NodeImporter &n) {
  if (failed(n.checkAttributes({"is_causal", "kv_num_heads", "q_num_heads",
                                "qk_matmul_output_mode", "scale", "softcap",
                                "softmax_precision", "left_window_size",
                                "right_window_size"})) ||
      failed(n.expectOutputs(4, "")))
    return failure();
  if (n.hasInput(4) != n.hasInput(5))
    return n.error() << "past_key and past_value must be given together";
  if (n.hasInput(4) && n.hasInput(6))
    return n.error() << "nonpad_kv_seqlen cannot be combined with past_key";
  auto causal = n.intAttr("is_causal", 0);
  auto qHeads = n.intAttr("q_num_heads", 0);
  auto kvHeads = n.intAttr("kv_num_heads", 0);
  auto softcap = n.floatAttr("softcap", 0.0f);
  auto left = n.intAttr("left_window_size", -1);
  auto right = n.intAttr("right_window_size", -1);
  auto qkMode = n.intAttr("qk_matmul_output_mode", 0);
  auto q = n.input(0), k = n.input(1), v = n.input(2);
  if (failed(causal) || failed(qHeads) || failed(kvHeads) || failed(softcap) ||
      failed(left) || failed(right) || failed(qkMode) || failed(q) ||
      failed(k) || failed(v))
    return failure();
  if (*left < -1 || *right < -1)
    return n.error() << "window sizes must be -1 or non-negative, got "
                     << *left << " and " << *right;
  auto qType = cast<RankedTensorType>(q->getType());
  if (!isa<Float16Type, BFloat16Type, Float32Type, Float64Type>(
          qType.getElementType()))
    return n.error() << "unsupported dtype " << qType.getElementType();
  bool is3d = qType.getRank() == 3;
  if (is3d) {
    q = splitHeads(n, *q, *qHeads, "Q");
    k = splitHeads(n, *k, *kvHeads, "K");
    v = splitHeads(n, *v, *kvHeads, "V");
    if (failed(q) || failed(k) || failed(v))
      return failure();
  }
  int64_t offset = 0;
  if (n.hasInput(4)) {
    auto pastKey = n.input(4);
    if (failed(pastKey))
      return failure();
    auto pastType = cast<RankedTensorType>(pastKey->getType());
    if (pastType.getRank() != 4 || pastType.isDynamicDim(2))
      return n.error() << "past_key must be 4-D with a static length, got "
                       << pastType;
    offset = pastType.getDimSize(2);
    auto withPast = appendPast(n, *k, *v);
    if (failed(withPast))
      return failure();
    std::tie(*k, *v) = *withPast;
  }
  int64_t headSize = cast<RankedTensorType>(q->getType()).getShape().back();
  auto scale = n.floatAttr("scale", 1.0f / std::sqrt(float(headSize)));
  if (failed(scale))
    return failure();
  SmallVector<Value> operands = {*q, *k, *v};
  int32_t numMasks = 0, numLengths = 0;
  if (n.hasInput(3)) {
    auto mask = n.input(3);
    if (failed(mask))
      return failure();
    auto kType = cast<RankedTensorType>(k->getType());
    auto mask4 = rank4Mask(n, *mask, kType.getDimSize(2));
    if (failed(mask4))
      return failure();
    operands.push_back(*mask4);
    numMasks = 1;
  }
  if (n.hasInput(6)) {
    auto lengths = n.input(6);
    if (failed(lengths))
      return failure();
    operands.push_back(*lengths);
    numLengths = 1;
  }
  SmallVector<NamedAttribute> attrs = {
      n.namedAttr("scale", n.b.getF64FloatAttr(*scale)),
      n.namedAttr("is_causal", n.b.getBoolAttr(*causal != 0)),
      n.namedAttr("softcap", n.b.getF64FloatAttr(*softcap)),
      n.namedAttr("offset", n.b.getI64IntegerAttr(offset)),
      n.namedAttr("left_window", n.b.getI64IntegerAttr(*left)),
      n.namedAttr("right_window", n.b.getI64IntegerAttr(*right)),
      n.namedAttr("operandSegmentSizes",
                  n.b.getDenseI32ArrayAttr({1, 1, 1, numMasks, numLengths}))};
  bool wantQk = n.node.output_size() > 3 && !n.node.output(3).empty();
  if (wantQk)
    attrs.push_back(
        n.namedAttr("qk_mode", n.b.getI64IntegerAttr(*qkMode)));
  auto attention = createAttention(n, operands, attrs);
  if (failed(attention))
    return failure();
  Value y = attention->front();
  if (is3d) {
    auto merged = mergeHeads(n, y);
    if (failed(merged))
      return failure();
    y = *merged;
  }
  n.setResult(y, 0);
  n.setResult(*k, 1);
  n.setResult(*v, 2);
  if (wantQk)
    n.setResult((*attention)[1], 3);
  return success();
}

/// RotaryEmbedding(x, cos, sin, position_ids) → kiln.rotary_embedding on
/// [B, H, S, D] (the 3-D form split into num_heads heads and merged back).
static LogicalResult convertRotaryEmbedding(NodeImporter &n) {
  if (failed(n.checkAttributes(
          {"interleaved", "num_heads", "rotary_embedding_dim"})))
    return failure();
  auto x = n.input(0), cos = n.input(1), sin = n.input(2);
  auto interleaved = n.intAttr("interleaved", 0);
  auto heads = n.intAttr("num_heads", 0);
  auto rotaryDim = n.intAttr("rotary_embedding_dim", 0);
  if (failed(x) || failed(cos) || failed(sin) || failed(interleaved) ||
      failed(heads) || failed(rotaryDim))
    return failure();
  auto xType = cast<RankedTensorType>(x->getType());
  if (!isa<FloatType>(xType.getElementType()))
    return n.error() << "unsupported dtype " << xType.getElementType();
  bool is3d = xType.getRank() == 3;
  Value x4 = *x;
  if (is3d) {
    auto split = splitHeads(n, *x, *heads, "X");
    if (failed(split))
      return failure();
    x4 = *split;
  } else if (xType.getRank() != 4) {
    return n.error() << "X must be 3-D or 4-D, got " << xType;
  }
  int64_t headSize = cast<RankedTensorType>(x4.getType()).getShape().back();
  SmallVector<Value> operands = {x4, *cos, *sin};
  if (n.hasInput(3)) {
    auto ids = n.input(3);
    if (failed(ids))
      return failure();
    operands.push_back(*ids);
  }
  auto y = n.createTyped<RotaryEmbeddingOp>(
      x4.getType(), operands,
      {n.namedAttr("interleaved", n.b.getBoolAttr(*interleaved != 0)),
       n.namedAttr("rotary_dim",
                   n.b.getI64IntegerAttr(*rotaryDim ? *rotaryDim : headSize))});
  if (failed(y))
    return failure();
  if (is3d) {
    auto merged = transpose0213(n, *y);
    if (failed(merged))
      return failure();
    y = n.createTyped<ReshapeOp>(xType, {*merged});
    if (failed(y))
      return failure();
  }
  n.setResult(*y);
  return success();
}

void mlir::kiln::onnx::registerAttentionOps(ConverterMap &map) {
  map["Attention"] = convertAttention;
  map["RotaryEmbedding"] = convertRotaryEmbedding;
}
