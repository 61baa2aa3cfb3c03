//===- Attention.cpp - ONNX Attention, RotaryEmbedding → kiln -------------===//
//
// Opset-23+ Attention as kiln.attention on 4-D [B, H, S, D] tensors. The 3-D
// form ([B, S, H * D], with q_num_heads/kv_num_heads) is reshaped and
// transposed around it; masks are brought to rank 4. A past KV cache is
// concatenated in front of K and V (which become present_key/value); with
// a cache, causality is offset by the past length; causality with a cache
// and sliding windows become a constant additive mask. nonpad_kv_seqlen and
// the qk_matmul_output output are not supported. RotaryEmbedding's 3-D form
// gets the same head split and merge around kiln.rotary_embedding.
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

/// The mask brought to rank 4 (leading 1s), checked to cover all T keys.
static FailureOr<Value> rank4Mask(NodeImporter &n, Value mask, int64_t t) {
  auto type = cast<RankedTensorType>(mask.getType());
  Type elem = type.getElementType();
  if (!isa<FloatType>(elem) && !elem.isInteger(1))
    return n.error() << "attn_mask must be bool or float, got " << elem;
  if (type.getRank() < 2 || type.getRank() > 4 || !type.hasStaticShape())
    return n.error() << "attn_mask must be static with rank 2 to 4, got "
                     << type;
  if (type.getShape().back() != t)
    return n.error() << "attn_mask covers " << type.getShape().back()
                     << " keys, not " << t
                     << " (padding the mask is not supported)";
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

/// Which keys each query may see, beyond attn_mask: causality and a sliding
/// window, both offset by the KV-cache length `past` (query s sits at
/// position s + past). Negative window sizes are unbounded.
struct StructuralMask {
  bool causal = false;
  int64_t past = 0, left = -1, right = -1;
  bool allows(int64_t s, int64_t t) const {
    int64_t diff = s + past - t;
    return (!causal || diff >= 0) && (left < 0 || diff <= left) &&
           (right < 0 || -diff <= right);
  }
};

/// The structural mask as a constant [1, 1, S, T] additive mask (0 where
/// allowed, -inf elsewhere) in Q's element type.
static FailureOr<Value> structuralMask(NodeImporter &n, Value q, Value k,
                                       const StructuralMask &mask) {
  auto qType = cast<RankedTensorType>(q.getType());
  int64_t s = qType.getDimSize(2);
  int64_t t = cast<RankedTensorType>(k.getType()).getDimSize(2);
  auto ft = cast<FloatType>(qType.getElementType());
  if (s == ShapedType::kDynamic || t == ShapedType::kDynamic ||
      mask.past == ShapedType::kDynamic)
    return n.error() << "causal or windowed attention with a KV cache needs "
                        "static sequence lengths";
  APFloat zero = APFloat::getZero(ft.getFloatSemantics());
  APFloat ninf = APFloat::getInf(ft.getFloatSemantics(), /*Negative=*/true);
  SmallVector<APFloat> values;
  for (int64_t i = 0; i < s; ++i)
    for (int64_t j = 0; j < t; ++j)
      values.push_back(mask.allows(i, j) ? zero : ninf);
  auto type = RankedTensorType::get({1, 1, s, t}, ft);
  return n.create<ConstantOp>(
      {}, {n.namedAttr("value", DenseElementsAttr::get(type, values))});
}

/// Attention(Q, K, V, attn_mask) → kiln.attention (with head split/merge for
/// the 3-D form).
static LogicalResult convertAttention(NodeImporter &n) {
  if (failed(n.checkAttributes({"is_causal", "kv_num_heads", "q_num_heads",
                                "qk_matmul_output_mode", "scale", "softcap",
                                "softmax_precision", "left_window_size",
                                "right_window_size"})) ||
      failed(n.expectOutputs(3, "qk_matmul_output")))
    return failure();
  if (n.hasInput(6))
    return n.error() << "nonpad_kv_seqlen is not supported";
  if (n.hasInput(4) != n.hasInput(5))
    return n.error() << "past_key and past_value must be given together";
  auto causal = n.intAttr("is_causal", 0);
  auto qHeads = n.intAttr("q_num_heads", 0);
  auto kvHeads = n.intAttr("kv_num_heads", 0);
  auto softcap = n.floatAttr("softcap", 0.0f);
  auto left = n.intAttr("left_window_size", -1);
  auto right = n.intAttr("right_window_size", -1);
  auto q = n.input(0), k = n.input(1), v = n.input(2);
  if (failed(causal) || failed(qHeads) || failed(kvHeads) || failed(softcap) ||
      failed(left) || failed(right) || failed(q) || failed(k) || failed(v))
    return failure();
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
  StructuralMask structural;
  structural.causal = *causal != 0;
  structural.left = *left;
  structural.right = *right;
  if (n.hasInput(4)) {
    auto pastKey = n.input(4);
    if (failed(pastKey))
      return failure();
    auto pastType = cast<RankedTensorType>(pastKey->getType());
    if (pastType.getRank() != 4)
      return n.error() << "past_key must be 4-D";
    structural.past = pastType.getDimSize(2);
    auto withPast = appendPast(n, *k, *v);
    if (failed(withPast))
      return failure();
    std::tie(*k, *v) = *withPast;
  }
  // kiln.attention's own is_causal covers the plain case; cache offsets and
  // windows become a constant additive mask.
  bool causalOp = structural.causal && structural.past == 0 &&
                  structural.left < 0 && structural.right < 0;
  Value causalMask;
  if ((structural.causal || structural.left >= 0 || structural.right >= 0) &&
      !causalOp) {
    auto mask = structuralMask(n, *q, *k, structural);
    if (failed(mask))
      return failure();
    causalMask = *mask;
  }
  int64_t headSize = cast<RankedTensorType>(q->getType()).getShape().back();
  auto scale = n.floatAttr("scale", 1.0f / std::sqrt(float(headSize)));
  if (failed(scale))
    return failure();
  SmallVector<Value> operands = {*q, *k, *v};
  if (n.hasInput(3)) {
    auto mask = n.input(3);
    if (failed(mask))
      return failure();
    auto kType = cast<RankedTensorType>(k->getType());
    auto mask4 = rank4Mask(n, *mask, kType.getRank() == 4 ? kType.getDimSize(2)
                                                          : -1);
    if (failed(mask4))
      return failure();
    if (causalMask) {
      if (cast<RankedTensorType>(mask4->getType()).getElementType() !=
          cast<RankedTensorType>(causalMask.getType()).getElementType())
        return n.error() << "causal KV-cache or windowed attention needs a "
                            "float attn_mask of Q's type";
      mask4 = n.create<AddOp>({*mask4, causalMask});
      if (failed(mask4))
        return failure();
    }
    operands.push_back(*mask4);
  } else if (causalMask) {
    operands.push_back(causalMask);
  }
  auto y = n.create<AttentionOp>(
      operands, {n.namedAttr("scale", n.b.getF64FloatAttr(*scale)),
                 n.namedAttr("is_causal", n.b.getBoolAttr(causalOp)),
                 n.namedAttr("softcap", n.b.getF64FloatAttr(*softcap))});
  if (failed(y))
    return failure();
  if (is3d) {
    auto merged = transpose0213(n, *y);
    if (failed(merged))
      return failure();
    auto t = cast<RankedTensorType>(merged->getType());
    y = n.createTyped<ReshapeOp>(
        RankedTensorType::get({t.getDimSize(0), t.getDimSize(1),
                               t.getDimSize(2) * t.getDimSize(3)},
                              t.getElementType()),
        {*merged});
    if (failed(y))
      return failure();
  }
  n.setResult(*y, 0);
  n.setResult(*k, 1);
  n.setResult(*v, 2);
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
