//===- SequenceModel.cpp - kiln.linear_attention → scf.for + linalg -------===//
//
// Linear attention is a recurrence over the tokens: one scf.for over T
// carries the f32 state [B, Hkv, Dk, Dv] and the output [B, Hkv, G, T, Dv]
// (query heads grouped under their kv head, as in the attention lowering).
// Each step slices token t out of q/k/v/decay/beta and runs small linalg
// generics: the delta rule's retrieval S^T k (a reduction over Dk), the
// state update (decay, plus k ⊗ v) in one elementwise generic, and the read
// q^T S (a reduction over Dk), inserted at row t of the output.
//
//===----------------------------------------------------------------------===//

#include "passes/KilnToLinalg/ReductionBuilders.h"

#include "dialects/kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::kiln;

/// Token `t` of `x` along `dim` ([.., T, ..] → [.., ..], rank-reduced).
static Value sliceToken(OpBuilder &b, Location loc, Value x, int64_t dim,
                        Value t) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes, strides(type.getRank(), b.getIndexAttr(1));
  SmallVector<int64_t> shape;
  for (auto [d, size] : llvm::enumerate(type.getShape())) {
    sizes.push_back(b.getIndexAttr(int64_t(d) == dim ? 1 : size));
    if (int64_t(d) != dim)
      shape.push_back(size);
  }
  offsets[dim] = t;
  return tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), x, offsets,
      sizes, strides);
}

/// Map from loops `dims` (of `numLoops`) onto `operand`'s shape, reading
/// index 0 where the operand has size 1 but the loop range does not.
static AffineMap broadcastingMap(MLIRContext *ctx, unsigned numLoops,
                                 ArrayRef<unsigned> dims,
                                 ArrayRef<int64_t> loopSizes, Value operand) {
  auto shape = cast<RankedTensorType>(operand.getType()).getShape();
  SmallVector<AffineExpr> exprs;
  for (auto [i, d] : llvm::enumerate(dims))
    exprs.push_back(shape[i] == 1 && loopSizes[d] != 1
                        ? getAffineConstantExpr(0, ctx)
                        : getAffineDimExpr(d, ctx));
  return AffineMap::get(numLoops, 0, exprs, ctx);
}

/// A generic whose last loop is a reduction: out = sum over it of
/// `product(inputs)`, starting from 0 (`outType` has the accumulator type).
static Value buildSumOfProducts(OpBuilder &b, Location loc, ValueRange inputs,
                                ArrayRef<AffineMap> maps,
                                RankedTensorType outType) {
  Type acc = outType.getElementType();
  Value init = createFilledTensor(b, loc, outType, {},
                                  createScalarConstant(b, loc, acc, 0.0));
  SmallVector<utils::IteratorType> iterators(maps[0].getNumDims() - 1,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{outType}, inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value p = castFloat(nb, l, a[0], acc);
        for (Value x : a.drop_front().drop_back())
          p = arith::MulFOp::create(nb, l, p, castFloat(nb, l, x, acc));
        linalg::YieldOp::create(
            nb, l, arith::AddFOp::create(nb, l, a.back(), p).getResult());
      });
  return generic.getResult(0);
}

/// `x` converted elementwise to float type `to` (itself if it already is).
static Value convertTensor(OpBuilder &b, Location loc, Value x, Type to) {
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getElementType() == to)
    return x;
  return createElementwiseGeneric(
      b, loc, type.clone(to), {}, {x},
      {b.getMultiDimIdentityMap(type.getRank())},
      [&](OpBuilder &nb, Location l, ValueRange a) {
        return castFloat(nb, l, a[0], to);
      });
}

/// One token of the recurrence: the new state [B, Hkv, Dk, Dv] from the old
/// one and token slices k [B, Hkv, Dk], v [B, Hkv, Dv], decay
/// [B, Hkv|1, Dk|1] and beta [B, Hkv|1, 1] (either may be null).
static Value updateState(OpBuilder &b, Location loc, Value state, Value k,
                         Value v, Value decay, Value beta) {
  MLIRContext *ctx = b.getContext();
  auto stateType = cast<RankedTensorType>(state.getType());
  Type acc = stateType.getElementType();
  ArrayRef<int64_t> s = stateType.getShape(); // B, H, Dk, Dv
  // Loops (b, h, d, m).
  AffineMap id4 = b.getMultiDimIdentityMap(4);
  auto map4 = [&](ArrayRef<unsigned> dims, Value x) {
    return broadcastingMap(ctx, 4, dims, s, x);
  };
  Value u = v;
  SmallVector<Value> inputs = {state, k};
  SmallVector<AffineMap> maps = {id4, map4({0, 1, 2}, k)};
  if (beta) {
    // Loops (b, h, m, d): r[b,h,m] = sum_d exp(g) S[b,h,d,m] k[b,h,d].
    SmallVector<int64_t> loops = {s[0], s[1], s[3], s[2]};
    auto map = [&](ArrayRef<unsigned> dims, Value x) {
      return broadcastingMap(ctx, 4, dims, loops, x);
    };
    SmallVector<Value> rIn = {state, k};
    SmallVector<AffineMap> rMaps = {map({0, 1, 3, 2}, state),
                                    map({0, 1, 3}, k)};
    Value decayed = state;
    if (decay) {
      // The decay factor joins the product through its own exp'd tensor.
      decayed = createElementwiseGeneric(
          b, loc, stateType, {}, {state, decay}, {id4, map4({0, 1, 2}, decay)},
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value g = math::ExpOp::create(nb, l, castFloat(nb, l, a[1], acc));
            return arith::MulFOp::create(nb, l, a[0], g).getResult();
          });
      rIn[0] = decayed;
    }
    rMaps.push_back(AffineMap::get(4, 0,
                                   {getAffineDimExpr(0, ctx),
                                    getAffineDimExpr(1, ctx),
                                    getAffineDimExpr(2, ctx)},
                                   ctx));
    Value retrieved = buildSumOfProducts(
        b, loc, rIn, rMaps, RankedTensorType::get({s[0], s[1], s[3]}, acc));
    // u[b,h,m] = beta (v - r).
    auto uType = RankedTensorType::get({s[0], s[1], s[3]}, acc);
    SmallVector<int64_t> uLoops = {s[0], s[1], s[3]};
    u = createElementwiseGeneric(
        b, loc, uType, {}, {v, retrieved, beta},
        {b.getMultiDimIdentityMap(3), b.getMultiDimIdentityMap(3),
         broadcastingMap(ctx, 3, {0, 1, 2}, uLoops, beta)},
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value diff = arith::SubFOp::create(nb, l, castFloat(nb, l, a[0], acc),
                                             a[1]);
          return arith::MulFOp::create(nb, l, castFloat(nb, l, a[2], acc), diff)
              .getResult();
        });
  }
  inputs.push_back(u);
  maps.push_back(map4({0, 1, 3}, u));
  if (decay) {
    inputs.push_back(decay);
    maps.push_back(map4({0, 1, 2}, decay));
  }
  // S[b,h,d,m] = S exp(g[b,h,d]) + k[b,h,d] u[b,h,m].
  return createElementwiseGeneric(
      b, loc, stateType, {}, inputs, maps,
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value old = a[0];
        if (a.size() > 3)
          old = arith::MulFOp::create(
              nb, l, old,
              math::ExpOp::create(nb, l, castFloat(nb, l, a[3], acc)));
        Value kv = arith::MulFOp::create(nb, l, castFloat(nb, l, a[1], acc),
                                         castFloat(nb, l, a[2], acc));
        return arith::AddFOp::create(nb, l, old, kv).getResult();
      });
}

namespace {

/// kiln.linear_attention → scf.for t { S = update(S, k_t, v_t); o_t = q_t^T S }
struct LinearAttentionLowering : OpConversionPattern<LinearAttentionOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(LinearAttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto outType = cast<RankedTensorType>(op.getOutput().getType());
    auto stateType = cast<RankedTensorType>(op.getPresentState().getType());
    Type acc = getAccumulatorType(outType.getElementType());
    if (!acc.isF32() && !acc.isF64())
      return unsupported(rewriter, op, "element type must be a float");
    auto kType = cast<RankedTensorType>(adaptor.getK().getType());
    int64_t batch = kType.getDimSize(0), hkv = kType.getDimSize(1),
            len = kType.getDimSize(2), dk = kType.getDimSize(3);
    int64_t dv = outType.getDimSize(3), groups = outType.getDimSize(1) / hkv;
    double scale = op.getScale().convertToDouble();

    // q as [B, Hkv, G, T, Dk].
    auto qType = cast<RankedTensorType>(adaptor.getQ().getType());
    Value q = tensor::ExpandShapeOp::create(
        rewriter, loc,
        RankedTensorType::get({batch, hkv, groups, len, dk},
                              qType.getElementType()),
        adaptor.getQ(),
        SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}, {4}});
    auto accStateType = stateType.clone(acc);
    Value state0 =
        adaptor.getState()
            ? convertTensor(rewriter, loc, adaptor.getState(), acc)
            : createFilledTensor(rewriter, loc, accStateType, {},
                                 createScalarConstant(rewriter, loc, acc, 0.0));
    auto groupedType =
        RankedTensorType::get({batch, hkv, groups, len, dv}, acc);
    Value out0 = createEmptyTensor(rewriter, loc, groupedType, {});
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value end = arith::ConstantIndexOp::create(rewriter, loc, len);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value kAll = adaptor.getK(), vAll = adaptor.getV();
    Value decayAll = adaptor.getDecay(), betaAll = adaptor.getBeta();
    auto loop = scf::ForOp::create(
        rewriter, loc, zero, end, one, ValueRange{state0, out0},
        [&](OpBuilder &b, Location l, Value t, ValueRange iter) {
          Value k = sliceToken(b, l, kAll, 2, t);
          Value v = sliceToken(b, l, vAll, 2, t);
          Value decay = decayAll ? sliceToken(b, l, decayAll, 2, t) : Value();
          Value beta = betaAll ? sliceToken(b, l, betaAll, 2, t) : Value();
          Value state = updateState(b, l, iter[0], k, v, decay, beta);
          // Loops (b, h, g, m, d): o[b,h,g,m] = sum_d q[b,h,g,d] S[b,h,d,m].
          Value qt = sliceToken(b, l, q, 3, t);
          AffineExpr d0, d1, d2, d3, d4;
          bindDims(ctx, d0, d1, d2, d3, d4);
          auto map = [&](ArrayRef<AffineExpr> e) {
            return AffineMap::get(5, 0, e, ctx);
          };
          Value o = buildSumOfProducts(
              b, l, {qt, state},
              {map({d0, d1, d2, d4}), map({d0, d1, d4, d3}),
               map({d0, d1, d2, d3})},
              RankedTensorType::get({batch, hkv, groups, dv}, acc));
          o = createElementwiseGeneric(
              b, l, cast<RankedTensorType>(o.getType()), {}, {o},
              {b.getMultiDimIdentityMap(4)},
              [&](OpBuilder &nb, Location il, ValueRange a) {
                return arith::MulFOp::create(
                           nb, il, a[0],
                           createScalarConstant(nb, il, acc, scale))
                    .getResult();
              });
          SmallVector<OpFoldResult> offsets(5, b.getIndexAttr(0));
          offsets[3] = t;
          SmallVector<OpFoldResult> sizes = {
              b.getIndexAttr(batch), b.getIndexAttr(hkv),
              b.getIndexAttr(groups), b.getIndexAttr(1), b.getIndexAttr(dv)};
          SmallVector<OpFoldResult> strides(5, b.getIndexAttr(1));
          Value out = tensor::InsertSliceOp::create(b, l, o, iter[1], offsets,
                                                    sizes, strides);
          scf::YieldOp::create(b, l, ValueRange{state, out});
        });
    Value grouped = convertTensor(rewriter, loc, loop.getResult(1),
                                  outType.getElementType());
    Value out = tensor::CollapseShapeOp::create(
        rewriter, loc, outType, grouped,
        SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}, {4}});
    Value state = convertTensor(rewriter, loc, loop.getResult(0),
                                stateType.getElementType());
    rewriter.replaceOp(op, {out, state});
    return success();
  }
};

} // namespace

void kiln::populateSequenceModelToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<LinearAttentionLowering>(patterns.getContext());
}
