//===- Scatter.cpp - kiln scatters and topk → scf / linalg ----------------===//
//
// Scatters write in update order (later updates win, reductions combine in
// order), which no parallel linalg op expresses: they become one scf.for over
// the updates, carrying the result tensor and doing tensor.extract /
// tensor.insert (bufferized in place into a copy of the data). topk is two
// linalg.generic reductions: each element's rank along the axis (how many
// elements beat it; ties go to the lower index), then for each output slot
// the element of that rank.
//
//===----------------------------------------------------------------------===//

#include "passes/KilnToLinalg/KilnToLinalg.h"

#include "dialects/kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::kiln;

/// arith computes only on signless integers, and kiln has no bufferizable
/// way to reinterpret unsigned tensors; ops that compute on elements reject
/// them.
static bool isUnsignedTensor(Type type) {
  return cast<RankedTensorType>(type).getElementType().isUnsignedInteger();
}
/// Splits `linear` into a row-major multi-index over `dims` (index values).
static SmallVector<Value> delinearize(OpBuilder &b, Location loc, Value linear,
                                      ArrayRef<Value> dims) {
  SmallVector<Value> index(dims.size());
  for (int64_t d = int64_t(dims.size()) - 1; d >= 0; --d) {
    index[d] = arith::RemUIOp::create(b, loc, linear, dims[d]);
    linear = arith::DivUIOp::create(b, loc, linear, dims[d]);
  }
  return index;
}

/// Product of index values (1 for none).
static Value product(OpBuilder &b, Location loc, ArrayRef<Value> dims) {
  Value p = arith::ConstantIndexOp::create(b, loc, 1);
  for (Value d : dims)
    p = arith::MulIOp::create(b, loc, p, d);
  return p;
}

/// A raw (i32/i64) index as an index in [0, extent), negative ones wrapped.
static Value wrap(OpBuilder &b, Location loc, Value raw, Value extent) {
  Value i = arith::IndexCastOp::create(b, loc, b.getIndexType(), raw);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, i, zero);
  i = arith::SelectOp::create(b, loc, neg,
                              arith::AddIOp::create(b, loc, i, extent), i);
  Value last = arith::SubIOp::create(
      b, loc, extent, arith::ConstantIndexOp::create(b, loc, 1));
  return arith::MinSIOp::create(b, loc,
                                arith::MaxSIOp::create(b, loc, i, zero), last);
}

/// `old` combined with `update` by an ONNX scatter reduction.
static Value combine(OpBuilder &b, Location loc, StringRef reduction,
                     Value old, Value update) {
  Type t = update.getType();
  bool isFloat = isa<FloatType>(t);
  if (reduction == "add")
    return isFloat ? arith::AddFOp::create(b, loc, old, update).getResult()
           : t.isInteger(1) ? arith::OrIOp::create(b, loc, old, update).getResult()
                            : arith::AddIOp::create(b, loc, old, update).getResult();
  if (reduction == "mul")
    return isFloat ? arith::MulFOp::create(b, loc, old, update).getResult()
           : t.isInteger(1) ? arith::AndIOp::create(b, loc, old, update).getResult()
                            : arith::MulIOp::create(b, loc, old, update).getResult();
  // On booleans max is "or" and min is "and" (signed i1 compares invert).
  if (t.isInteger(1) && (reduction == "max" || reduction == "min"))
    return reduction == "max"
               ? arith::OrIOp::create(b, loc, old, update).getResult()
               : arith::AndIOp::create(b, loc, old, update).getResult();
  if (reduction == "max")
    return isFloat ? arith::MaximumFOp::create(b, loc, old, update).getResult()
                   : arith::MaxSIOp::create(b, loc, old, update).getResult();
  if (reduction == "min")
    return isFloat ? arith::MinimumFOp::create(b, loc, old, update).getResult()
                   : arith::MinSIOp::create(b, loc, old, update).getResult();
  return update;
}

/// Index values of every dim of `tensor`.
static SmallVector<Value> dimValues(OpBuilder &b, Location loc, Value tensor) {
  SmallVector<Value> dims;
  for (int64_t d = 0; d < cast<RankedTensorType>(tensor.getType()).getRank(); ++d)
    dims.push_back(getDimValue(b, loc, tensor, d));
  return dims;
}

/// scf.for over [0, count) carrying `init`; `body` returns (position in the
/// result, update value) for iteration `i` and gets the current tensor.
static Value scatterLoop(
    OpBuilder &b, Location loc, Value init, Value count, StringRef reduction,
    function_ref<std::pair<SmallVector<Value>, Value>(OpBuilder &, Value)>
        body) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto loop = scf::ForOp::create(
      b, loc, zero, count, one, ValueRange{init},
      [&](OpBuilder &nb, Location l, Value i, ValueRange iter) {
        auto [at, update] = body(nb, i);
        Value current = iter[0];
        if (reduction != "none")
          update = combine(nb, l, reduction,
                           tensor::ExtractOp::create(nb, l, current, at),
                           update);
        Value next = tensor::InsertOp::create(nb, l, update, current, at);
        scf::YieldOp::create(nb, l, next);
      });
  return loop.getResult(0);
}

namespace {

/// kiln.scatter_elements(d, i, u) → scf.for p { t[p with axis = wrap(i[p])]
/// = u[p] }
struct ScatterElementsLowering : OpConversionPattern<ScatterElementsOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ScatterElementsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    if (isUnsignedTensor(op.getType()) && op.getReduction() != "none")
      return unsupported(rewriter, op,
                         "scatter reduction on unsigned integers");
    Value data = adaptor.getData();
    Value indices = adaptor.getIndices();
    Value updates = adaptor.getUpdates();
    int64_t axis = op.getAxis();
    SmallVector<Value> dims = dimValues(rewriter, loc, indices);
    Value extent = getDimValue(rewriter, loc, data, axis);
    Value result = scatterLoop(
        rewriter, loc, data, product(rewriter, loc, dims), op.getReduction(),
        [&](OpBuilder &b, Value i) {
          SmallVector<Value> p = delinearize(b, loc, i, dims);
          Value raw = tensor::ExtractOp::create(b, loc, indices, p);
          Value update = tensor::ExtractOp::create(b, loc, updates, p);
          SmallVector<Value> at(p);
          at[axis] = wrap(b, loc, raw, extent);
          return std::make_pair(at, update);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// kiln.scatter_nd(d, i, u) → scf.for (m, s) { t[wrap(i[m, :]), s] = u[m, s] }
struct ScatterNDLowering : OpConversionPattern<ScatterNDOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ScatterNDOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    if (isUnsignedTensor(op.getType()) && op.getReduction() != "none")
      return unsupported(rewriter, op,
                         "scatter reduction on unsigned integers");
    Value data = adaptor.getData();
    Value indices = adaptor.getIndices();
    Value updates = adaptor.getUpdates();
    int64_t k = op.getIndices().getType().getShape().back();
    SmallVector<Value> idxDims = dimValues(rewriter, loc, indices);
    idxDims.pop_back();
    SmallVector<Value> dataDims = dimValues(rewriter, loc, data);
    ArrayRef<Value> sliceDims = ArrayRef<Value>(dataDims).drop_front(k);
    Value sliceSize = product(rewriter, loc, sliceDims);
    Value count = arith::MulIOp::create(
        rewriter, loc, product(rewriter, loc, idxDims), sliceSize);
    Value result = scatterLoop(
        rewriter, loc, data, count, op.getReduction(),
        [&](OpBuilder &b, Value i) {
          Value m = arith::DivUIOp::create(b, loc, i, sliceSize);
          Value s = arith::RemUIOp::create(b, loc, i, sliceSize);
          SmallVector<Value> mIdx = delinearize(b, loc, m, idxDims);
          SmallVector<Value> sIdx = delinearize(b, loc, s, sliceDims);
          SmallVector<Value> at, tuple(mIdx);
          tuple.push_back(Value());
          for (int64_t j = 0; j < k; ++j) {
            tuple.back() = arith::ConstantIndexOp::create(b, loc, j);
            Value raw = tensor::ExtractOp::create(b, loc, indices, tuple);
            at.push_back(wrap(b, loc, raw, dataDims[j]));
          }
          llvm::append_range(at, sIdx);
          SmallVector<Value> u(mIdx);
          llvm::append_range(u, sIdx);
          Value update = tensor::ExtractOp::create(b, loc, updates, u);
          return std::make_pair(at, update);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Whether `a` ranks before `b` (strictly larger for largest, smaller
/// otherwise).
static Value beats(OpBuilder &b, Location loc, Value a, Value c,
                   bool largest) {
  if (isa<FloatType>(a.getType()))
    return arith::CmpFOp::create(b, loc,
                                 largest ? arith::CmpFPredicate::OGT
                                         : arith::CmpFPredicate::OLT,
                                 a, c);
  bool u = a.getType().isInteger(1);
  arith::CmpIPredicate pred =
      largest ? (u ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt)
              : (u ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt);
  return arith::CmpIOp::create(b, loc, pred, a, c);
}

static Value equals(OpBuilder &b, Location loc, Value a, Value c) {
  if (isa<FloatType>(a.getType()))
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, a, c);
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, a, c);
}

/// Maps over (result dims, j) reading `operand` with its `axis` dim → j.
static AffineMap axisToReductionMap(MLIRContext *ctx, int64_t rank,
                                    int64_t axis) {
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d)
    exprs.push_back(getAffineDimExpr(d == axis ? rank : d, ctx));
  return AffineMap::get(rank + 1, 0, exprs, ctx);
}

/// kiln.topk(x) → rank = generic(x, x){count beats}; values, indices =
/// generic(x, rank){select rank == slot}
struct TopKLowering : OpConversionPattern<TopKOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(TopKOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    if (isUnsignedTensor(op.getInput().getType()))
      return unsupported(rewriter, op, "topk of unsigned integers");
    Value x = adaptor.getInput();
    auto inType = cast<RankedTensorType>(x.getType());
    auto valType = cast<RankedTensorType>(op.getValues().getType());
    auto idxType = cast<RankedTensorType>(op.getIndices().getType());
    int64_t rank = inType.getRank(), axis = op.getAxis();
    bool largest = op.getLargest();
    MLIRContext *ctx = getContext();
    AffineMap outMap = AffineMap::getMultiDimIdentityMap(rank + 1, ctx)
                           .getMajorSubMap(rank);
    AffineMap alongJ = axisToReductionMap(ctx, rank, axis);
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    Type i64 = rewriter.getI64Type();
    auto castIndex = [&](OpBuilder &b, Location l, Value v) {
      return arith::IndexCastOp::create(b, l, i64, v).getResult();
    };
    // rank[i] = #{j : x[j] beats x[i], or equals it with j < i}.
    auto rankType = RankedTensorType::get(inType.getShape(), i64);
    SmallVector<Value> dyn = getDynamicSizes(rewriter, loc, x);
    Value zero64 = createScalarConstant(rewriter, loc, i64, 0);
    Value ranks = linalg::GenericOp::create(
        rewriter, loc, TypeRange{rankType}, ValueRange{x, x},
        ValueRange{createFilledTensor(rewriter, loc, rankType, dyn, zero64)},
        {outMap, alongJ, outMap}, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value i = linalg::IndexOp::create(b, l, axis);
          Value j = linalg::IndexOp::create(b, l, rank);
          Value earlier =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, j, i);
          Value tie = arith::AndIOp::create(
              b, l, earlier, equals(b, l, args[1], args[0]));
          Value wins = arith::OrIOp::create(
              b, l, beats(b, l, args[1], args[0], largest), tie);
          Value inc = arith::ExtUIOp::create(b, l, i64, wins);
          linalg::YieldOp::create(b, l,
                                  arith::AddIOp::create(b, l, args[2], inc)
                                      .getResult());
        }).getResult(0);
    // values[.., r, ..], indices[.., r, ..] = the element whose rank is r.
    SmallVector<Value> outDyn;
    for (int64_t d = 0; d < rank; ++d) {
      if (!valType.isDynamicDim(d))
        continue;
      if (d == axis && adaptor.getDynamicK())
        outDyn.push_back(adaptor.getDynamicK());
      else
        outDyn.push_back(tensor::DimOp::create(rewriter, loc, x, d));
    }
    Value zeroVal =
        createScalarConstant(rewriter, loc, inType.getElementType(), 0);
    auto pick = linalg::GenericOp::create(
        rewriter, loc, TypeRange{valType, idxType}, ValueRange{x, ranks},
        ValueRange{createFilledTensor(rewriter, loc, valType, outDyn, zeroVal),
                   createFilledTensor(rewriter, loc, idxType, outDyn, zero64)},
        {alongJ, alongJ, outMap, outMap}, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value slot = castIndex(b, l, linalg::IndexOp::create(b, l, axis));
          Value j = castIndex(b, l, linalg::IndexOp::create(b, l, rank));
          Value hit = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq,
                                            args[1], slot);
          linalg::YieldOp::create(
              b, l,
              ValueRange{arith::SelectOp::create(b, l, hit, args[0], args[2]),
                         arith::SelectOp::create(b, l, hit, j, args[3])});
        });
    rewriter.replaceOp(op, pick.getResults());
    return success();
  }
};

} // namespace

void kiln::populateScatterToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<ScatterElementsLowering, ScatterNDLowering, TopKLowering>(
      patterns.getContext());
}
