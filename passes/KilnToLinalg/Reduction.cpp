//===- Reduction.cpp - kiln reductions and softmaxes → linalg -------------===//
//
// Reductions are linalg.generics with reduction iterators whose output starts
// at the identity of the combiner (0, 1, -inf, +inf, INT_MIN...), followed by
// one elementwise epilogue (sqrt, log, 1/count, the cast back from the f32
// accumulator of f16/bf16) and an expand_shape for keepdims. Softmaxes are
// the numerically stable forms: max-reduce, then exp(x - max) sums.
// arg_reduce carries value and index through one generic with two outputs.
//
//===----------------------------------------------------------------------===//

#include "passes/KilnToLinalg/ReductionBuilders.h"

#include "dialects/kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;

//===----------------------------------------------------------------------===//
// Shared builders (ReductionBuilders.h)
//===----------------------------------------------------------------------===//

Type kiln::getAccumulatorType(Type elem) {
  if (isa<Float16Type, BFloat16Type>(elem))
    return Float32Type::get(elem.getContext());
  return elem;
}

Value kiln::castFloat(OpBuilder &b, Location loc, Value v, Type to) {
  auto from = cast<FloatType>(v.getType());
  auto toF = cast<FloatType>(to);
  if (from == toF)
    return v;
  if (from.getWidth() < toF.getWidth())
    return arith::ExtFOp::create(b, loc, to, v);
  return arith::TruncFOp::create(b, loc, to, v);
}

AffineMap kiln::getReducedMap(MLIRContext *ctx, int64_t rank,
                              ArrayRef<int64_t> axes) {
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d)
    if (!llvm::is_contained(axes, d))
      exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

Value kiln::buildReduction(OpBuilder &b, Location loc, Value shapeSource,
                           ArrayRef<int64_t> axes, ValueRange inputs,
                           ArrayRef<AffineMap> inputMaps, Value init,
                           ScalarFn combine) {
  auto type = cast<RankedTensorType>(shapeSource.getType());
  SmallVector<int64_t> shape;
  SmallVector<Value> dynSizes;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (llvm::is_contained(axes, d)) {
      iterators.push_back(utils::IteratorType::reduction);
      continue;
    }
    iterators.push_back(utils::IteratorType::parallel);
    shape.push_back(type.getDimSize(d));
    if (type.isDynamicDim(d))
      dynSizes.push_back(tensor::DimOp::create(b, loc, shapeSource, d));
  }
  auto outType = RankedTensorType::get(shape, init.getType());
  Value acc = createFilledTensor(b, loc, outType, dynSizes, init);
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(getReducedMap(b.getContext(), type.getRank(), axes));
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{outType}, inputs, ValueRange{acc}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, combine(nb, nloc, args));
      });
  return generic.getResult(0);
}

Value kiln::getReducedCount(OpBuilder &b, Location loc, Value shapeSource,
                            ArrayRef<int64_t> axes, Type type) {
  auto shaped = cast<RankedTensorType>(shapeSource.getType());
  int64_t staticCount = 1;
  Value dynCount;
  for (int64_t axis : axes) {
    if (!shaped.isDynamicDim(axis)) {
      staticCount *= shaped.getDimSize(axis);
      continue;
    }
    Value dim = tensor::DimOp::create(b, loc, shapeSource, axis);
    dynCount =
        dynCount ? arith::MulIOp::create(b, loc, dynCount, dim).getResult()
                 : dim;
  }
  if (!dynCount)
    return createScalarConstant(b, loc, type, double(staticCount));
  Value count = arith::MulIOp::create(
      b, loc, dynCount, arith::ConstantIndexOp::create(b, loc, staticCount));
  Value countInt = arith::IndexCastOp::create(b, loc, b.getI64Type(), count);
  return arith::UIToFPOp::create(b, loc, type, countInt);
}

Value kiln::restoreKeptDims(OpBuilder &b, Location loc, Value reduced,
                            RankedTensorType resultType,
                            ArrayRef<int64_t> axes) {
  auto type = cast<RankedTensorType>(reduced.getType());
  if (type.getRank() == resultType.getRank())
    return reduced;
  // Each size-1 reduced dim joins the group of the next kept dim (trailing
  // ones the last group).
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices current;
  for (int64_t d = 0; d < resultType.getRank(); ++d) {
    current.push_back(d);
    if (!llvm::is_contained(axes, d)) {
      groups.push_back(current);
      current.clear();
    }
  }
  if (!current.empty() && !groups.empty())
    llvm::append_range(groups.back(), current);
  return tensor::ExpandShapeOp::create(b, loc, resultType, reduced, groups);
}

//===----------------------------------------------------------------------===//
// Scalar pieces
//===----------------------------------------------------------------------===//

/// The identity of `kind`'s combiner in `type`.
static Value reductionInit(OpBuilder &b, Location loc, StringRef kind,
                           Type type) {
  if (kind == "prod")
    return createScalarConstant(b, loc, type, 1.0);
  if (kind != "max" && kind != "min")
    return createScalarConstant(b, loc, type, 0.0);
  bool isMax = kind == "max";
  if (auto ft = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(
        b, loc,
        b.getFloatAttr(ft, APFloat::getInf(ft.getFloatSemantics(), isMax)));
  unsigned width = type.getIntOrFloatBitWidth();
  // Booleans are unsigned: max is any (from false), min is all (from true).
  APInt v = width == 1 ? APInt(1, isMax ? 0 : 1)
            : isMax    ? APInt::getSignedMinValue(width)
                       : APInt::getSignedMaxValue(width);
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, v));
}

/// max/min that propagate NaN for floats (as numpy does), signed for ints,
/// or and and for booleans.
static Value maxOrMin(OpBuilder &b, Location loc, bool isMax, Value x,
                      Value y) {
  if (isa<FloatType>(x.getType()))
    return isMax ? arith::MaximumFOp::create(b, loc, x, y).getResult()
                 : arith::MinimumFOp::create(b, loc, x, y).getResult();
  if (x.getType().isInteger(1))
    return isMax ? arith::OrIOp::create(b, loc, x, y).getResult()
                 : arith::AndIOp::create(b, loc, x, y).getResult();
  return isMax ? arith::MaxSIOp::create(b, loc, x, y).getResult()
               : arith::MinSIOp::create(b, loc, x, y).getResult();
}

/// One reduction step of `kind` on element `x` (already in the accumulator
/// type) into `acc`.
static Value reductionStep(OpBuilder &b, Location loc, StringRef kind, Value x,
                           Value acc) {
  bool isFloat = isa<FloatType>(x.getType());
  if (kind == "max" || kind == "min")
    return maxOrMin(b, loc, kind == "max", x, acc);
  if (kind == "prod")
    return isFloat ? arith::MulFOp::create(b, loc, x, acc).getResult()
                   : arith::MulIOp::create(b, loc, x, acc).getResult();
  if (kind == "l2" || kind == "sum_square")
    x = isFloat ? arith::MulFOp::create(b, loc, x, x).getResult()
                : arith::MulIOp::create(b, loc, x, x).getResult();
  if (kind == "l1") {
    if (isFloat) {
      x = math::AbsFOp::create(b, loc, x);
    } else {
      Value zero = createScalarConstant(b, loc, x.getType(), 0);
      Value neg = arith::SubIOp::create(b, loc, zero, x);
      Value isNeg =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, zero);
      x = arith::SelectOp::create(b, loc, isNeg, neg, x);
    }
  }
  return isFloat ? arith::AddFOp::create(b, loc, x, acc).getResult()
                 : arith::AddIOp::create(b, loc, x, acc).getResult();
}

/// The result of reducing an empty set with `kind`: the combiner's identity
/// through the epilogue (log(0) = -inf, 0/0 = NaN for mean).
static Value emptyReductionValue(OpBuilder &b, Location loc, StringRef kind,
                                 Type elemType) {
  if (!isa<FloatType>(elemType))
    return reductionInit(b, loc, kind, elemType);
  double value = kind == "prod" ? 1.0 : 0.0;
  if (kind == "log_sum" || kind == "log_sum_exp" || kind == "max")
    value = -INFINITY;
  else if (kind == "min")
    value = INFINITY;
  else if (kind == "mean")
    value = NAN;
  return createScalarConstant(b, loc, elemType, value);
}

namespace {

/// kiln.reduce(x) {kind, axes} → generic(step) over axes, generic(epilogue),
/// expand_shape for keepdims
struct ReduceLowering : OpConversionPattern<ReduceOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ReduceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    Type elemType = resultType.getElementType();
    Type accType = getAccumulatorType(elemType);
    bool isFloat = isa<FloatType>(elemType);
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    ArrayRef<int64_t> axes = op.getAxes();
    StringRef kind = op.getKind();
    if (axes.empty()) {
      rewriter.replaceOp(op, input);
      return success();
    }
    auto inputType = cast<RankedTensorType>(input.getType());
    int64_t rank = inputType.getRank();
    // Reducing an empty set gives the combiner's identity, passed through the
    // epilogue (0, 1, -inf, +inf; log(0) = -inf); no loops over zero trips.
    if (llvm::any_of(axes, [&](int64_t a) {
          return inputType.getDimSize(a) == 0;
        })) {
      if (!resultType.hasStaticShape())
        return unsupported(rewriter, op, "empty reduction with dynamic dims");
      Value fill = emptyReductionValue(rewriter, loc, kind, elemType);
      rewriter.replaceOp(
          op, createFilledTensor(rewriter, loc, resultType, {}, fill));
      return success();
    }
    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    auto toAcc = [&](OpBuilder &b, Location l, Value v) {
      return isFloat ? castFloat(b, l, v, accType) : v;
    };

    // log_sum_exp subtracts the max first, so exp cannot overflow.
    Value max;
    if (kind == "log_sum_exp")
      max = buildReduction(
          rewriter, loc, input, axes, {input}, {id},
          reductionInit(rewriter, loc, "max", accType),
          [&](OpBuilder &b, Location l, ValueRange a) {
            return maxOrMin(b, l, true, toAcc(b, l, a[0]), a[1]);
          });
    StringRef stepKind =
        kind == "mean" || kind == "log_sum" || kind == "log_sum_exp" ? "sum"
                                                                      : kind;
    SmallVector<Value> inputs = {input};
    SmallVector<AffineMap> maps = {id};
    if (max) {
      inputs.push_back(max);
      maps.push_back(getReducedMap(rewriter.getContext(), rank, axes));
    }
    Value reduced = buildReduction(
        rewriter, loc, input, axes, inputs, maps,
        reductionInit(rewriter, loc, stepKind, accType),
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value x = toAcc(b, l, a[0]);
          if (max)
            x = math::ExpOp::create(b, l,
                                    arith::SubFOp::create(b, l, x, a[1]));
          return reductionStep(b, l, stepKind, x, a.back());
        });

    bool hasEpilogue = kind == "mean" || kind == "l2" || kind == "log_sum" ||
                       kind == "log_sum_exp" || accType != elemType;
    if (hasEpilogue) {
      Value count;
      if (kind == "mean")
        count = getReducedCount(rewriter, loc, input, axes, accType);
      auto redType = cast<RankedTensorType>(reduced.getType());
      SmallVector<Value> epiInputs = {reduced};
      if (max)
        epiInputs.push_back(max);
      AffineMap redId = rewriter.getMultiDimIdentityMap(redType.getRank());
      reduced = createElementwiseGeneric(
          rewriter, loc, RankedTensorType::get(redType.getShape(), elemType),
          getDynamicSizes(rewriter, loc, reduced), epiInputs,
          SmallVector<AffineMap>(epiInputs.size(), redId),
          [&](OpBuilder &b, Location l, ValueRange a) {
            Value v = a[0];
            if (kind == "mean")
              v = arith::DivFOp::create(b, l, v, count);
            else if (kind == "l2")
              v = math::SqrtOp::create(b, l, v);
            else if (kind == "log_sum" || kind == "log_sum_exp")
              v = math::LogOp::create(b, l, v);
            if (max)
              v = arith::AddFOp::create(b, l, v, a[1]);
            return isFloat ? castFloat(b, l, v, elemType) : v;
          });
    }
    rewriter.replaceOp(
        op, restoreKeptDims(rewriter, loc, reduced, resultType, axes));
    return success();
  }
};

} // namespace

/// Index (i64, `axis` dropped) of the max or min of `input` along `axis`;
/// ties keep the first index unless `last`. One generic carries the best
/// value and its index as two outputs.
static Value buildArgReduction(OpBuilder &b, Location loc, Value input,
                               int64_t axis, bool isMax, bool last) {
  auto type = cast<RankedTensorType>(input.getType());
  Type elemType = type.getElementType();
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> shape;
  SmallVector<Value> dynSizes;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (d == axis) {
      iterators.push_back(utils::IteratorType::reduction);
      continue;
    }
    iterators.push_back(utils::IteratorType::parallel);
    shape.push_back(type.getDimSize(d));
    if (type.isDynamicDim(d))
      dynSizes.push_back(tensor::DimOp::create(b, loc, input, d));
  }
  auto valueType = RankedTensorType::get(shape, elemType);
  auto indexType = RankedTensorType::get(shape, b.getI64Type());
  Value valueInit = createFilledTensor(
      b, loc, valueType, dynSizes,
      reductionInit(b, loc, isMax ? "max" : "min", elemType));
  Value indexInit = createFilledTensor(
      b, loc, indexType, dynSizes,
      createScalarConstant(b, loc, b.getI64Type(), 0));
  AffineMap reduced = getReducedMap(ctx, type.getRank(), {axis});
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(type.getRank()),
                                 reduced, reduced};
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{valueType, indexType}, ValueRange{input},
      ValueRange{valueInit, indexInit}, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value better;
        if (isa<FloatType>(elemType)) {
          auto pred = isMax ? (last ? arith::CmpFPredicate::OGE
                                    : arith::CmpFPredicate::OGT)
                            : (last ? arith::CmpFPredicate::OLE
                                    : arith::CmpFPredicate::OLT);
          better = arith::CmpFOp::create(nb, l, pred, a[0], a[1]);
        } else {
          auto pred = isMax ? (last ? arith::CmpIPredicate::sge
                                    : arith::CmpIPredicate::sgt)
                            : (last ? arith::CmpIPredicate::sle
                                    : arith::CmpIPredicate::slt);
          better = arith::CmpIOp::create(nb, l, pred, a[0], a[1]);
        }
        Value idx = arith::IndexCastOp::create(
            nb, l, nb.getI64Type(), linalg::IndexOp::create(nb, l, axis));
        Value v = arith::SelectOp::create(nb, l, better, a[0], a[1]);
        Value i = arith::SelectOp::create(nb, l, better, idx, a[2]);
        linalg::YieldOp::create(nb, l, ValueRange{v, i});
      });
  return generic.getResult(1);
}

/// max over `axis` and sum(exp(x - max)) over `axis`, both in the accumulator
/// type with `axis` dropped: the two reductions of every stable softmax.
static std::pair<Value, Value> buildSoftmaxStats(OpBuilder &b, Location loc,
                                                 Value input, int64_t axis) {
  auto type = cast<RankedTensorType>(input.getType());
  Type accType = getAccumulatorType(type.getElementType());
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  AffineMap reduced = getReducedMap(b.getContext(), type.getRank(), {axis});
  Value max = buildReduction(
      b, loc, input, {axis}, {input}, {id},
      reductionInit(b, loc, "max", accType),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        return maxOrMin(nb, l, true, castFloat(nb, l, a[0], accType), a[1]);
      });
  Value sum = buildReduction(
      b, loc, input, {axis}, {input, max}, {id, reduced},
      createScalarConstant(b, loc, accType, 0.0),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value x = castFloat(nb, l, a[0], accType);
        Value e = math::ExpOp::create(nb, l,
                                      arith::SubFOp::create(nb, l, x, a[1]));
        return arith::AddFOp::create(nb, l, e, a[2]).getResult();
      });
  return {max, sum};
}

namespace {

/// kiln.arg_reduce(x) {axis} → generic(value, index) over axis
struct ArgReduceLowering : OpConversionPattern<ArgReduceOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ArgReduceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value index = buildArgReduction(
        rewriter, op.getLoc(), adaptor.getInput(), op.getAxis(),
        op.getKind() == "max", op.getSelectLastIndex());
    rewriter.replaceOp(op, restoreKeptDims(
                               rewriter, op.getLoc(), index,
                               cast<RankedTensorType>(op.getType()),
                               {int64_t(op.getAxis())}));
    return success();
  }
};

/// kiln.reduce_mean(x) {axes} → generic sum over axes, generic * 1/count
struct ReduceMeanLowering : OpConversionPattern<ReduceMeanOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ReduceMeanOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    if (!isa<FloatType>(resultType.getElementType()))
      return unsupported(rewriter, op, "element type must be float");
    if (op.getAxes().empty()) {
      rewriter.replaceOp(op, adaptor.getInput());
      return success();
    }
    rewriter.replaceOp(op, createMean(rewriter, op.getLoc(), adaptor.getInput(),
                                      op.getAxes(), resultType));
    return success();
  }
};

/// kiln.softmax(x) {axis} → m = max(x), e = exp(x - m), s = sum(e), e / s
struct SoftmaxLowering : OpConversionPattern<SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    auto floatType = dyn_cast<FloatType>(type.getElementType());
    if (!floatType)
      return unsupported(rewriter, op, "element type must be float");
    Type accType = getAccumulatorType(floatType);
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    int64_t axis = op.getAxis();

    Value max = buildReduction(
        rewriter, loc, input, {axis}, {input},
        {rewriter.getMultiDimIdentityMap(type.getRank())},
        reductionInit(rewriter, loc, "max", accType),
        [&](OpBuilder &b, Location l, ValueRange a) {
          return maxOrMin(b, l, true, castFloat(b, l, a[0], accType), a[1]);
        });

    AffineMap identity = rewriter.getMultiDimIdentityMap(type.getRank());
    AffineMap reduced =
        getReducedMap(rewriter.getContext(), type.getRank(), {axis});
    SmallVector<Value> dynSizes = getDynamicSizes(rewriter, loc, input);
    auto accTensorType = RankedTensorType::get(type.getShape(), accType);
    Value exp = createElementwiseGeneric(
        rewriter, loc, accTensorType, dynSizes, {input, max},
        {identity, reduced}, [&](OpBuilder &b, Location l, ValueRange a) {
          Value x = castFloat(b, l, a[0], accType);
          Value shifted = arith::SubFOp::create(b, l, x, a[1]);
          return math::ExpOp::create(b, l, shifted).getResult();
        });
    Value sum = buildReduction(
        rewriter, loc, exp, {axis}, {exp}, {identity},
        createScalarConstant(rewriter, loc, accType, 0.0),
        [](OpBuilder &b, Location l, ValueRange a) {
          return arith::AddFOp::create(b, l, a[0], a[1]).getResult();
        });
    Value result = createElementwiseGeneric(
        rewriter, loc, type, dynSizes, {exp, sum}, {identity, reduced},
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value q = arith::DivFOp::create(b, l, a[0], a[1]);
          return castFloat(b, l, q, floatType);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// kiln.log_softmax(x) {axis} → m = max(x), s = sum(exp(x - m)),
/// x - m - log(s)
struct LogSoftmaxLowering : OpConversionPattern<LogSoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(LogSoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Type elemType = type.getElementType();
    Type accType = getAccumulatorType(elemType);
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto [max, sum] = buildSoftmaxStats(rewriter, loc, input, op.getAxis());
    AffineMap reduced =
        getReducedMap(rewriter.getContext(), type.getRank(), {int64_t(op.getAxis())});
    Value result = createElementwiseGeneric(
        rewriter, loc, type, getDynamicSizes(rewriter, loc, input),
        {input, max, sum},
        {rewriter.getMultiDimIdentityMap(type.getRank()), reduced, reduced},
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value x = castFloat(b, l, a[0], accType);
          Value shifted = arith::SubFOp::create(b, l, x, a[1]);
          Value logSum = math::LogOp::create(b, l, a[2]);
          return castFloat(b, l, arith::SubFOp::create(b, l, shifted, logSum),
                           elemType);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// kiln.hardmax(x) {axis} → i = argmax(x), (index(axis) == i) ? 1 : 0
struct HardmaxLowering : OpConversionPattern<HardmaxOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(HardmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Type elemType = type.getElementType();
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    int64_t axis = op.getAxis();
    Value argmax = buildArgReduction(rewriter, loc, input, axis,
                                     /*isMax=*/true, /*last=*/false);
    Value result = createElementwiseGeneric(
        rewriter, loc, type, getDynamicSizes(rewriter, loc, input), {argmax},
        {getReducedMap(rewriter.getContext(), type.getRank(), {axis})},
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value idx = arith::IndexCastOp::create(
              b, l, b.getI64Type(), linalg::IndexOp::create(b, l, axis));
          Value hit =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, idx, a[0]);
          return arith::SelectOp::create(
                     b, l, hit, createScalarConstant(b, l, elemType, 1.0),
                     createScalarConstant(b, l, elemType, 0.0))
              .getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void kiln::populateReductionToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<ReduceLowering, ArgReduceLowering, ReduceMeanLowering,
               SoftmaxLowering, LogSoftmaxLowering, HardmaxLowering>(
      patterns.getContext());
}
