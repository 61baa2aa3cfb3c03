//===- Attention.cpp - kiln.attention, kiln.rotary_embedding → linalg -----===//
//
// Attention as plain linalg on tensors (a fused flash-attention kernel is
// later work): the query heads are viewed as [B, Hkv, G, S, D] so grouped
// query heads read their kv head through a projected-permutation map, then
// QK^T (contraction over D, f32 accumulator), one elementwise generic for
// scale, softcap, causal and explicit masks, the stable softmax over T with
// fully masked rows giving 0, and the contraction with V.
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

/// scale, softcap, causal mask and explicit mask applied to the raw scores
/// [B, Hkv, G, S, T] in one elementwise generic.
static Value applyScoreModifiers(OpBuilder &b, Location loc, AttentionOp op,
                                 Value scores, Value mask, int64_t hkv) {
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
  double scale = op.getScale().convertToDouble();
  double softcap = op.getSoftcap().convertToDouble();
  bool causal = op.getIsCausal();
  return createElementwiseGeneric(
      b, loc, type, {}, inputs, maps,
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value x = arith::MulFOp::create(nb, l, a[0],
                                        createScalarConstant(nb, l, acc, scale));
        if (softcap > 0) {
          Value cap = createScalarConstant(nb, l, acc, softcap);
          Value t = math::TanhOp::create(nb, l,
                                         arith::DivFOp::create(nb, l, x, cap));
          x = arith::MulFOp::create(nb, l, t, cap);
        }
        Value ninf = negInfinity(nb, l, acc);
        if (causal) {
          Value s = linalg::IndexOp::create(nb, l, 3);
          Value t = linalg::IndexOp::create(nb, l, 4);
          Value keep =
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ule, t, s);
          x = arith::SelectOp::create(nb, l, keep, x, ninf);
        }
        if (a.size() > 1) {
          if (a[1].getType().isInteger(1))
            x = arith::SelectOp::create(nb, l, a[1], x, ninf);
          else
            x = arith::AddFOp::create(nb, l, x, castFloat(nb, l, a[1], acc));
        }
        return x;
      });
}

namespace {

/// kiln.attention(q, k, v, mask) → p = softmax(mask(q k^T * scale)), p v
struct AttentionLowering : OpConversionPattern<AttentionOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
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
    scores = applyScoreModifiers(rewriter, loc, op, scores, adaptor.getMask(),
                                 hkv);

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
    if (acc != elemType)
      out = createElementwiseGeneric(
          rewriter, loc, RankedTensorType::get(outType.getShape(), elemType),
          {}, {out}, {id5}, [&](OpBuilder &b, Location l, ValueRange a) {
            return castFloat(b, l, a[0], elemType);
          });
    rewriter.replaceOp(op, tensor::CollapseShapeOp::create(
                               rewriter, loc, resultType, out,
                               SmallVector<ReassociationIndices>{
                                   {0}, {1, 2}, {3}, {4}}));
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
