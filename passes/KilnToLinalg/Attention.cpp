//===- Attention.cpp - kiln.attention, kiln.rotary_embedding → linalg -----===//
//
// Attention as plain linalg on tensors (a fused flash-attention kernel is
// later work): the query heads are viewed as [B, Hkv, G, S, D] so grouped
// query heads read their kv head through a projected-permutation map, then
// QK^T (contraction over D, f32 accumulator), elementwise generics for scale
// and softcap, then for the causal / window / padding and explicit masks, the
// stable softmax over T with fully masked rows giving 0, and the contraction
// with V. The optional qk output is one of these intermediates, cast back.
//
// rotary_embedding is one elementwise generic: each output reads its own
// element through the identity map and, with tensor.extract, its rotation
// partner (d ± rd/2, or d xor 1 when interleaved) and the cos/sin entry of
// its pair (the row picked by position_ids when given).
//
//===----------------------------------------------------------------------===//

#include "passes/KilnToLinalg/ReductionBuilders.h"

#include "dialects/kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::kiln;

/// [B, H, X, Y] viewed as [B, Hkv, H / Hkv, X, Y] (H is 1 or Hq).
static Value expandHeads(OpBuilder &b, Location loc, Value t, int64_t hkv) {
  auto type = cast<RankedTensorType>(t.getType());
  ArrayRef<int64_t> s = type.getShape();
  int64_t h = s[1];
  SmallVector<int64_t> shape = {s[0], h == 1 ? 1 : hkv, h == 1 ? 1 : h / hkv,
                                s[2], s[3]};
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), t,
      SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}, {4}});
}

/// A generic over `numLoops` dims whose last is a reduction: out[...] +=
/// in0 * in1 (in the accumulator type of `outType`).
static Value buildContraction(OpBuilder &b, Location loc, Value lhs,
                              Value rhs, ArrayRef<AffineMap> maps,
                              RankedTensorType outType) {
  Type acc = outType.getElementType();
  Value init = createFilledTensor(b, loc, outType, {},
                                  createScalarConstant(b, loc, acc, 0.0));
  SmallVector<utils::IteratorType> iterators(maps[0].getNumDims() - 1,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{outType}, ValueRange{lhs, rhs}, ValueRange{init},
      maps, iterators, [&](OpBuilder &nb, Location l, ValueRange a) {
        Value x = castFloat(nb, l, a[0], acc);
        Value y = castFloat(nb, l, a[1], acc);
        Value p = arith::MulFOp::create(nb, l, x, y);
        linalg::YieldOp::create(nb, l,
                                arith::AddFOp::create(nb, l, a[2], p)
                                    .getResult());
      });
  return generic.getResult(0);
}

static Value negInfinity(OpBuilder &b, Location loc, Type type) {
  auto ft = cast<FloatType>(type);
  return arith::ConstantOp::create(
      b, loc, b.getFloatAttr(ft, APFloat::getInf(ft.getFloatSemantics(), true)));
}

/// scale and softcap applied to the raw scores [B, Hkv, G, S, T].
static Value applyScaleAndSoftcap(OpBuilder &b, Location loc, AttentionOp op,
                                  Value scores) {
  auto type = cast<RankedTensorType>(scores.getType());
  Type acc = type.getElementType();
  double scale = op.getScale().convertToDouble();
  double softcap = op.getSoftcap().convertToDouble();
  return createElementwiseGeneric(
      b, loc, type, {}, {scores}, {b.getMultiDimIdentityMap(5)},
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value x = arith::MulFOp::create(nb, l, a[0],
                                        createScalarConstant(nb, l, acc, scale));
        if (softcap > 0) {
          Value cap = createScalarConstant(nb, l, acc, softcap);
          Value t = math::TanhOp::create(nb, l,
                                         arith::DivFOp::create(nb, l, x, cap));
          x = arith::MulFOp::create(nb, l, t, cap);
        }
        return x;
      });
}

/// Whether key t may be seen from query s by causality, the sliding window
/// and kv_seqlen padding (`lengths` is kv_seqlen[b] as i64, or null); null
/// when nothing restricts it.
static Value structurallyAllowed(OpBuilder &b, Location l, AttentionOp op,
                                 int64_t s, Value lengths) {
  bool causal = op.getIsCausal();
  int64_t left = op.getLeftWindow(), right = op.getRightWindow();
  if (!causal && left < 0 && right < 0 && !lengths)
    return nullptr;
  Type i64 = b.getI64Type();
  auto index = [&](unsigned dim) {
    return arith::IndexCastOp::create(b, l, i64,
                                      linalg::IndexOp::create(b, l, dim));
  };
  auto cst = [&](int64_t v) {
    return arith::ConstantIntOp::create(b, l, i64, v).getResult();
  };
  auto cmp = [&](arith::CmpIPredicate pred, Value x, Value y) {
    return arith::CmpIOp::create(b, l, pred, x, y).getResult();
  };
  Value t = index(4);
  // The query's absolute position s + offset; kv_seqlen makes the offset
  // kv_seqlen[b] - S.
  Value offset = lengths ? arith::SubIOp::create(b, l, lengths, cst(s))
                         : cst(op.getOffset());
  Value pos = arith::AddIOp::create(b, l, index(3), offset);
  Value diff = arith::SubIOp::create(b, l, pos, t);
  SmallVector<Value> conditions;
  if (causal)
    conditions.push_back(cmp(arith::CmpIPredicate::sge, diff, cst(0)));
  if (left >= 0)
    conditions.push_back(cmp(arith::CmpIPredicate::sle, diff, cst(left)));
  if (right >= 0)
    conditions.push_back(cmp(arith::CmpIPredicate::sge, diff, cst(-right)));
  if (lengths)
    conditions.push_back(cmp(arith::CmpIPredicate::slt, t, lengths));
  Value allowed = conditions.front();
  for (Value c : ArrayRef(conditions).drop_front())
    allowed = arith::AndIOp::create(b, l, allowed, c);
  return allowed;
}

/// The structural masks (causal, window, kv_seqlen padding) and the explicit
/// mask applied to the scaled scores [B, Hkv, G, S, T].
static Value applyMasks(OpBuilder &b, Location loc, AttentionOp op,
                        Value scores, Value mask, Value lengths, int64_t hkv) {
  auto type = cast<RankedTensorType>(scores.getType());
  Type acc = type.getElementType();
  SmallVector<Value> inputs = {scores};
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(5)};
  if (mask) {
    Value mask5 = expandHeads(b, loc, mask, hkv);
    inputs.push_back(mask5);
    maps.push_back(
        getBroadcastMap(cast<RankedTensorType>(mask5.getType()), type));
  }
  if (lengths) {
    inputs.push_back(lengths);
    maps.push_back(AffineMap::get(5, 0, {b.getAffineDimExpr(0)},
                                  b.getContext()));
  }
  int64_t s = type.getDimSize(3);
  return createElementwiseGeneric(
      b, loc, type, {}, inputs, maps,
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value x = a[0];
        Value ninf = negInfinity(nb, l, acc);
        if (Value allowed = structurallyAllowed(nb, l, op, s,
                                                lengths ? a.back() : Value()))
          x = arith::SelectOp::create(nb, l, allowed, x, ninf);
        if (mask) {
          if (a[1].getType().isInteger(1))
            x = arith::SelectOp::create(nb, l, a[1], x, ninf);
          else
            x = arith::AddFOp::create(nb, l, x, castFloat(nb, l, a[1], acc));
        }
        return x;
      });
}

/// [B, Hkv, G, S, X] in the accumulator type → [B, Hq, S, X] of `type`.
static Value mergeHeads(OpBuilder &b, Location loc, Value t,
                        RankedTensorType type) {
  auto tType = cast<RankedTensorType>(t.getType());
  Type elemType = type.getElementType();
  if (tType.getElementType() != elemType)
    t = createElementwiseGeneric(
        b, loc, tType.clone(elemType), {}, {t},
        {b.getMultiDimIdentityMap(5)},
        [&](OpBuilder &nb, Location l, ValueRange a) {
          return castFloat(nb, l, a[0], elemType);
        });
  return tensor::CollapseShapeOp::create(
      b, loc, type, t,
      SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}, {4}});
}

namespace {

/// kiln.attention(q, k, v, mask) → p = softmax(mask(softcap(q k^T * scale))),
/// p v (and the scores at the point qk_mode names)
struct AttentionLowering : OpConversionPattern<AttentionOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    Type elemType = resultType.getElementType();
    if (!isa<FloatType>(elemType))
      return unsupported(rewriter, op, "element type must be float");
    Type acc = getAccumulatorType(elemType);
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto kType = cast<RankedTensorType>(adaptor.getK().getType());
    auto vType = cast<RankedTensorType>(adaptor.getV().getType());
    int64_t hkv = kType.getDimSize(1);
    Value q = expandHeads(rewriter, loc, adaptor.getQ(), hkv);
    ArrayRef<int64_t> qs = cast<RankedTensorType>(q.getType()).getShape();
    int64_t t = kType.getDimSize(2), dv = vType.getDimSize(3);

    // Loops (b, h, g, s, t, d): scores[b,h,g,s,t] = sum_d q[b,h,g,s,d] k[b,h,t,d].
    AffineExpr d0, d1, d2, d3, d4, d5;
    bindDims(ctx, d0, d1, d2, d3, d4, d5);
    auto map = [&](ArrayRef<AffineExpr> e) {
      return AffineMap::get(6, 0, e, ctx);
    };
    auto scoresType = RankedTensorType::get(
        {qs[0], qs[1], qs[2], qs[3], t}, acc);
    Value scores = buildContraction(
        rewriter, loc, q, adaptor.getK(),
        {map({d0, d1, d2, d3, d5}), map({d0, d1, d4, d5}),
         map({d0, d1, d2, d3, d4})},
        scoresType);
    Value capped = applyScaleAndSoftcap(rewriter, loc, op, scores);
    scores = applyMasks(rewriter, loc, op, capped, adaptor.getMask(),
                        adaptor.getKvSeqlen(), hkv);

    // Stable softmax over t; a fully masked row has max -inf, so shift by 0
    // there and divide by 1 instead of 0: the row becomes 0.
    AffineMap id5 = rewriter.getMultiDimIdentityMap(5);
    AffineMap rows = getReducedMap(ctx, 5, {4});
    Value max = buildReduction(
        rewriter, loc, scores, {4}, {scores}, {id5},
        negInfinity(rewriter, loc, acc),
        [](OpBuilder &b, Location l, ValueRange a) {
          return arith::MaximumFOp::create(b, l, a[0], a[1]).getResult();
        });
    auto rowType = cast<RankedTensorType>(max.getType());
    Value safeMax = createElementwiseGeneric(
        rewriter, loc, rowType, {}, {max}, {rewriter.getMultiDimIdentityMap(4)},
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value masked = arith::CmpFOp::create(
              b, l, arith::CmpFPredicate::OEQ, a[0], negInfinity(b, l, acc));
          return arith::SelectOp::create(
                     b, l, masked, createScalarConstant(b, l, acc, 0.0), a[0])
              .getResult();
        });
    Value sum = buildReduction(
        rewriter, loc, scores, {4}, {scores, safeMax}, {id5, rows},
        createScalarConstant(rewriter, loc, acc, 0.0),
        [](OpBuilder &b, Location l, ValueRange a) {
          Value e = math::ExpOp::create(b, l,
                                        arith::SubFOp::create(b, l, a[0], a[1]));
          return arith::AddFOp::create(b, l, e, a[2]).getResult();
        });
    Value probs = createElementwiseGeneric(
        rewriter, loc, scoresType, {}, {scores, safeMax, sum},
        {id5, rows, rows}, [&](OpBuilder &b, Location l, ValueRange a) {
          Value e = math::ExpOp::create(b, l,
                                        arith::SubFOp::create(b, l, a[0], a[1]));
          Value zero = createScalarConstant(b, l, acc, 0.0);
          Value empty =
              arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, a[2], zero);
          Value denom = arith::SelectOp::create(
              b, l, empty, createScalarConstant(b, l, acc, 1.0), a[2]);
          return arith::DivFOp::create(b, l, e, denom).getResult();
        });

    // Loops (b, h, g, s, e, t): out[b,h,g,s,e] = sum_t p[b,h,g,s,t] v[b,h,t,e].
    auto outType =
        RankedTensorType::get({qs[0], qs[1], qs[2], qs[3], dv}, acc);
    Value out = buildContraction(
        rewriter, loc, probs, adaptor.getV(),
        {map({d0, d1, d2, d3, d5}), map({d0, d1, d5, d4}),
         map({d0, d1, d2, d3, d4})},
        outType);
    SmallVector<Value> results = {
        mergeHeads(rewriter, loc, out, resultType)};
    if (std::optional<int64_t> mode = op.getQkMode()) {
      Value qk = *mode <= 1 ? capped : *mode == 2 ? scores : probs;
      results.push_back(mergeHeads(rewriter, loc, qk,
                                   cast<RankedTensorType>(op.getQk().getType())));
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// kiln.rotary_embedding(x, cos, sin) → y[d] = x[d] cos[j] ∓ x[partner(d)] sin[j]
/// for d < rotary_dim, x[d] beyond
struct RotaryEmbeddingLowering : OpConversionPattern<RotaryEmbeddingOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(RotaryEmbeddingOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Type elemType = type.getElementType();
    if (!isa<FloatType>(elemType))
      return unsupported(rewriter, op, "element type must be float");
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    int64_t rd = op.getRotaryDim(), half = rd / 2;
    bool interleaved = op.getInterleaved();
    Value x = adaptor.getInput();
    Value cos = adaptor.getCos(), sin = adaptor.getSin();
    Value ids = adaptor.getPositionIds();
    // The rotation partner and the cos/sin entries are read with
    // tensor.extract at computed indices: d ± rd/2 (d xor 1 interleaved) and
    // the pair index are not projected permutations.
    SmallVector<Value> inputs = {x};
    SmallVector<AffineMap> maps = {rewriter.getMultiDimIdentityMap(4)};
    if (ids) {
      inputs.push_back(ids);
      maps.push_back(AffineMap::get(4, 0,
                                    {rewriter.getAffineDimExpr(0),
                                     rewriter.getAffineDimExpr(2)},
                                    ctx));
    }
    Value result = createElementwiseGeneric(
        rewriter, loc, type, {}, inputs, maps,
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          auto cst = [&](int64_t v) {
            return arith::ConstantIndexOp::create(nb, l, v).getResult();
          };
          Value bi = linalg::IndexOp::create(nb, l, 0);
          Value hi = linalg::IndexOp::create(nb, l, 1);
          Value si = linalg::IndexOp::create(nb, l, 2);
          Value di = linalg::IndexOp::create(nb, l, 3);
          // Indices beyond rd are clamped into range; their result is x.
          Value dr = arith::RemUIOp::create(nb, l, di, cst(rd));
          Value partner, pair;
          if (interleaved) {
            Value odd = arith::RemUIOp::create(nb, l, dr, cst(2));
            Value even = arith::SubIOp::create(nb, l, dr, odd);
            Value oddPartner = arith::AddIOp::create(nb, l, even, cst(1));
            Value isOdd = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                                odd, cst(1));
            partner = arith::SelectOp::create(nb, l, isOdd, even, oddPartner);
            pair = arith::DivUIOp::create(nb, l, dr, cst(2));
          } else {
            partner = arith::RemUIOp::create(
                nb, l, arith::AddIOp::create(nb, l, dr, cst(half)), cst(rd));
            pair = arith::RemUIOp::create(nb, l, dr, cst(half));
          }
          Value xp = tensor::ExtractOp::create(
              nb, l, x, ValueRange{bi, hi, si, partner});
          SmallVector<Value> at = {bi, si, pair};
          if (ids)
            at = {arith::IndexCastOp::create(nb, l, nb.getIndexType(), a[1]),
                  pair};
          Value c = tensor::ExtractOp::create(nb, l, cos, at);
          Value sn = tensor::ExtractOp::create(nb, l, sin, at);
          // The first of each pair subtracts, the second adds.
          Value first;
          if (interleaved) {
            Value two = arith::ConstantIndexOp::create(nb, l, 2);
            Value rem = arith::RemUIOp::create(nb, l, di, two);
            first = arith::CmpIOp::create(
                nb, l, arith::CmpIPredicate::eq, rem,
                arith::ConstantIndexOp::create(nb, l, 0));
          } else {
            first = arith::CmpIOp::create(
                nb, l, arith::CmpIPredicate::ult, di,
                arith::ConstantIndexOp::create(nb, l, half));
          }
          Value xc = arith::MulFOp::create(nb, l, a[0], c);
          Value ps = arith::MulFOp::create(nb, l, xp, sn);
          Value rotated = arith::SelectOp::create(
              nb, l, first, arith::SubFOp::create(nb, l, xc, ps),
              arith::AddFOp::create(nb, l, xc, ps));
          Value inside = arith::CmpIOp::create(
              nb, l, arith::CmpIPredicate::ult, di,
              arith::ConstantIndexOp::create(nb, l, rd));
          return arith::SelectOp::create(nb, l, inside, rotated, a[0]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void kiln::populateAttentionToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<AttentionLowering, RotaryEmbeddingLowering>(
      patterns.getContext());
}
