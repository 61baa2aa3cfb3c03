//===- SequenceModel.cpp - kiln.linear_attention → scf.for + linalg -------===//
//
// Linear attention is a recurrence over the tokens: one scf.for over T
// carries the f32 state [B, Hkv, Dk, Dv] and the output [B, Hkv, G, T, Dv]
// (query heads grouped under their kv head, as in the attention lowering).
// Each step slices token t out of q/k/v/decay/beta and runs small linalg
// generics: the delta rule's retrieval S^T k (a reduction over Dk), the
// state update (decay, plus k ⊗ v) in one elementwise generic, and the read
// q^T S (a reduction over Dk) into row t of the output. The state update,
// the read and the retrieval write into loop-carried tensors (the state, the
// output row, a scratch row) so that bufferization updates them in place.
// q's scale and exp(decay) are applied once before the loop.
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

/// A generic whose last loop is a reduction: `init` (zeroed) += the product
/// of `inputs` over it, in the accumulator type of `init`.
static Value buildSumOfProducts(OpBuilder &b, Location loc, ValueRange inputs,
                                ArrayRef<AffineMap> maps, Value init) {
  auto outType = cast<RankedTensorType>(init.getType());
  Type acc = outType.getElementType();
  init = linalg::FillOp::create(b, loc,
                                createScalarConstant(b, loc, acc, 0.0), init)
             .getResult(0);
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

/// An all-parallel generic that updates `out` in place: the body sees the
/// inputs, then the current element of `out`. Reading the init keeps
/// canonicalization from giving the generic a fresh one, so a loop-carried
/// `out` stays in its buffer; such a generic must not be fused into a
/// consumer with a larger iteration space (fusion only takes single-use
/// producers, and a carried value is also yielded).
static Value buildInPlace(OpBuilder &b, Location loc, ValueRange inputs,
                          ArrayRef<AffineMap> inputMaps, Value out,
                          ScalarFn body) {
  auto type = cast<RankedTensorType>(out.getType());
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(b.getMultiDimIdentityMap(type.getRank()));
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{type}, inputs, ValueRange{out}, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange a) {
        linalg::YieldOp::create(nb, l, body(nb, l, a));
      });
  return generic.getResult(0);
}

/// `f(x)` elementwise into a new tensor of element type `to`.
static Value mapTensor(OpBuilder &b, Location loc, Value x, Type to,
                       function_ref<Value(OpBuilder &, Location, Value)> f) {
  auto type = cast<RankedTensorType>(x.getType());
  return createElementwiseGeneric(
      b, loc, type.clone(to), {}, {x},
      {b.getMultiDimIdentityMap(type.getRank())},
      [&](OpBuilder &nb, Location l, ValueRange a) {
        return f(nb, l, castFloat(nb, l, a[0], to));
      });
}

/// `x` converted elementwise to float type `to` (itself if it already is).
static Value convertTensor(OpBuilder &b, Location loc, Value x, Type to) {
  if (cast<RankedTensorType>(x.getType()).getElementType() == to)
    return x;
  return mapTensor(b, loc, x, to,
                   [](OpBuilder &, Location, Value v) { return v; });
}

/// One token of the recurrence, updating `state` [B, Hkv, Dk, Dv] in place
/// from token slices k [B, Hkv, Dk], v [B, Hkv, Dv], the exp'd decay
/// [B, Hkv|1, Dk|1] and beta [B, Hkv|1, 1] (either may be null); `scratch`
/// [B, Hkv, Dv] holds the delta rule's retrieval S^T k. Returns the new
/// state and scratch.
static std::pair<Value, Value> updateState(OpBuilder &b, Location loc, Value state, Value k,
                         Value v, Value decay, Value beta, Value scratch) {
  MLIRContext *ctx = b.getContext();
  auto stateType = cast<RankedTensorType>(state.getType());
  Type acc = stateType.getElementType();
  ArrayRef<int64_t> s = stateType.getShape(); // B, H, Dk, Dv
  Value u = v;
  if (beta) {
    // Loops (b, h, m, d): r[b,h,m] = sum_d S[b,h,d,m] exp(g)[b,h,d] k[b,h,d].
    SmallVector<int64_t> loops = {s[0], s[1], s[3], s[2]};
    auto map = [&](ArrayRef<unsigned> dims, Value x) {
      return broadcastingMap(ctx, 4, dims, loops, x);
    };
    SmallVector<Value> inputs = {state, k};
    SmallVector<AffineMap> maps = {map({0, 1, 3, 2}, state), map({0, 1, 3}, k)};
    if (decay) {
      inputs.push_back(decay);
      maps.push_back(map({0, 1, 3}, decay));
    }
    maps.push_back(AffineMap::get(4, 0,
                                  {getAffineDimExpr(0, ctx),
                                   getAffineDimExpr(1, ctx),
                                   getAffineDimExpr(2, ctx)},
                                  ctx));
    Value retrieved = buildSumOfProducts(b, loc, inputs, maps, scratch);
    // u[b,h,m] = beta (v - r), in a fresh tensor: it fuses into the state
    // update, which must then not read a clobbered init.
    SmallVector<int64_t> uLoops = {s[0], s[1], s[3]};
    AffineMap id3 = b.getMultiDimIdentityMap(3);
    u = createElementwiseGeneric(
        b, loc, cast<RankedTensorType>(retrieved.getType()), {},
        {v, retrieved, beta},
        {id3, id3, broadcastingMap(ctx, 3, {0, 1, 2}, uLoops, beta)},
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value diff = arith::SubFOp::create(
              nb, l, castFloat(nb, l, a[0], acc), a[1]);
          return arith::MulFOp::create(nb, l, castFloat(nb, l, a[2], acc),
                                       diff)
              .getResult();
        });
    scratch = retrieved;
  }
  // Loops (b, h, d, m): S = S exp(g)[b,h,d] + k[b,h,d] u[b,h,m].
  auto map4 = [&](ArrayRef<unsigned> dims, Value x) {
    return broadcastingMap(ctx, 4, dims, s, x);
  };
  SmallVector<Value> inputs = {k, u};
  SmallVector<AffineMap> maps = {map4({0, 1, 2}, k), map4({0, 1, 3}, u)};
  if (decay) {
    inputs.push_back(decay);
    maps.push_back(map4({0, 1, 2}, decay));
  }
  Value updated = buildInPlace(
      b, loc, inputs, maps, state,
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value old = a.back();
        if (decay)
          old = arith::MulFOp::create(nb, l, old, a[2]);
        Value kv = arith::MulFOp::create(nb, l, castFloat(nb, l, a[0], acc),
                                         castFloat(nb, l, a[1], acc));
        return arith::AddFOp::create(nb, l, old, kv).getResult();
      });
  return {updated, scratch};
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

    // Loop invariants: q as [B, Hkv, G, T, Dk] times scale, exp(decay).
    auto qType = cast<RankedTensorType>(adaptor.getQ().getType());
    Value q = tensor::ExpandShapeOp::create(
        rewriter, loc,
        RankedTensorType::get({batch, hkv, groups, len, dk},
                              qType.getElementType()),
        adaptor.getQ(),
        SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}, {4}});
    q = mapTensor(rewriter, loc, q, acc, [&](OpBuilder &b, Location l, Value x) {
      return arith::MulFOp::create(b, l, x,
                                   createScalarConstant(b, l, acc, scale))
          .getResult();
    });
    Value decayAll = adaptor.getDecay();
    if (decayAll)
      decayAll = mapTensor(rewriter, loc, decayAll, acc,
                           [](OpBuilder &b, Location l, Value x) {
                             return math::ExpOp::create(b, l, x).getResult();
                           });
    Value betaAll = adaptor.getBeta();

    // Carried: the state, the grouped output, and the delta rule's scratch.
    Value state0 =
        adaptor.getState()
            ? convertTensor(rewriter, loc, adaptor.getState(), acc)
            : createFilledTensor(rewriter, loc, stateType.clone(acc), {},
                                 createScalarConstant(rewriter, loc, acc, 0.0));
    SmallVector<Value> init = {
        state0, createEmptyTensor(
                    rewriter, loc,
                    RankedTensorType::get({batch, hkv, groups, len, dv}, acc),
                    {})};
    if (betaAll)
      init.push_back(createEmptyTensor(
          rewriter, loc, RankedTensorType::get({batch, hkv, dv}, acc), {}));
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value end = arith::ConstantIndexOp::create(rewriter, loc, len);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value kAll = adaptor.getK(), vAll = adaptor.getV();
    auto loop = scf::ForOp::create(
        rewriter, loc, zero, end, one, init,
        [&](OpBuilder &b, Location l, Value t, ValueRange iter) {
          Value k = sliceToken(b, l, kAll, 2, t);
          Value v = sliceToken(b, l, vAll, 2, t);
          Value decay = decayAll ? sliceToken(b, l, decayAll, 2, t) : Value();
          Value beta = betaAll ? sliceToken(b, l, betaAll, 2, t) : Value();
          auto [state, scratch] = updateState(b, l, iter[0], k, v, decay, beta,
                                              betaAll ? iter[2] : Value());
          // Loops (b, h, g, m, d): o[b,h,g,m] = sum_d q[b,h,g,d] S[b,h,d,m],
          // straight into row t of the output.
          Value qt = sliceToken(b, l, q, 3, t);
          Value row = sliceToken(b, l, iter[1], 3, t);
          AffineExpr d0, d1, d2, d3, d4;
          bindDims(ctx, d0, d1, d2, d3, d4);
          auto map = [&](ArrayRef<AffineExpr> e) {
            return AffineMap::get(5, 0, e, ctx);
          };
          Value o = buildSumOfProducts(
              b, l, {qt, state},
              {map({d0, d1, d2, d4}), map({d0, d1, d4, d3}),
               map({d0, d1, d2, d3})},
              row);
          SmallVector<OpFoldResult> offsets(5, b.getIndexAttr(0));
          offsets[3] = t;
          SmallVector<OpFoldResult> sizes = {
              b.getIndexAttr(batch), b.getIndexAttr(hkv),
              b.getIndexAttr(groups), b.getIndexAttr(1), b.getIndexAttr(dv)};
          SmallVector<OpFoldResult> strides(5, b.getIndexAttr(1));
          Value out = tensor::InsertSliceOp::create(b, l, o, iter[1], offsets,
                                                    sizes, strides);
          SmallVector<Value> next = {state, out};
          if (scratch)
            next.push_back(scratch);
          scf::YieldOp::create(b, l, next);
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
