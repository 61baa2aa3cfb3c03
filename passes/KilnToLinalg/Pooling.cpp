//===- Pooling.cpp - kiln pooling ops → linalg pooling --------------------===//
//
// max_pool: tensor.pad with -inf, then linalg.pooling_{ncw,nchw}_max (3-D:
// the same reduction as a linalg.generic) into a
// -inf-filled accumulator. avg_pool: tensor.pad with 0,
// linalg.pooling_{ncw,nchw}_sum, then one elementwise divide by the window
// count: a scalar when every window counts the same, else a compile-time
// constant tensor over the spatial dims (count_include_pad=false, and
// ceil_mode windows clipped to input + pads). ceil_mode's last windows may
// run past the end pad; the input is padded further so they stay in bounds
// and the count ignores that extra padding. global_avg_pool is a mean over
// the spatial dims.
//
//===----------------------------------------------------------------------===//

#include "passes/KilnToLinalg/KilnToLinalg.h"

#include "dialects/kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// The window geometry of a pooling op, with the end padding grown so every
/// output window (ceil_mode included) lies inside the padded input.
struct PoolWindow {
  SmallVector<int64_t> low, high;  // per input dim (N, C included)
  SmallVector<int64_t> extraHigh;  // per spatial dim: padding past `pads`
  SmallVector<Value> dynSizes;     // the result's dynamic sizes (N, C only)
};

template <typename PoolOp>
static FailureOr<PoolWindow> computeWindow(PoolOp op, RankedTensorType inType,
                                           RankedTensorType outType,
                                           PatternRewriter &rewriter) {
  int64_t spatial = inType.getRank() - 2;
  ArrayRef<int64_t> pads = op.getPads(), kernel = op.getKernelShape();
  ArrayRef<int64_t> strides = op.getStrides(), dilations = op.getDilations();
  PoolWindow w;
  w.low = {0, 0};
  w.high = {0, 0};
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t in = inType.getDimSize(i + 2), out = outType.getDimSize(i + 2);
    int64_t extra = 0;
    if (op.getCeilMode()) {
      if (ShapedType::isDynamic(in) || ShapedType::isDynamic(out))
        return unsupported(rewriter, 
            op, "ceil_mode needs static spatial dims");
      int64_t needed = (out - 1) * strides[i] + dilations[i] * (kernel[i] - 1) + 1;
      extra = std::max<int64_t>(0, needed - (in + pads[i] + pads[i + spatial]));
    }
    w.low.push_back(pads[i]);
    w.high.push_back(pads[i + spatial] + extra);
    w.extraHigh.push_back(extra);
  }
  return w;
}

/// The pooling reduction over a window (shape-only `window` operand) as a
/// linalg.generic, for ranks that have no named NC* pooling op (3-D):
/// out[n, c, o...] = combine(in[n, c, o*s + k*d ...], out[n, c, o...]).
static Value buildGenericPool(OpBuilder &b, Location loc,
                              RankedTensorType resultType, Value input,
                              Value window, Value init,
                              ArrayRef<int64_t> strides,
                              ArrayRef<int64_t> dilations, ScalarFn combine) {
  int64_t rank = resultType.getRank(), spatial = rank - 2;
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineExpr> inExprs = {b.getAffineDimExpr(0),
                                     b.getAffineDimExpr(1)};
  SmallVector<AffineExpr> windowExprs, outExprs;
  for (int64_t d = 0; d < rank; ++d)
    outExprs.push_back(b.getAffineDimExpr(d));
  for (int64_t i = 0; i < spatial; ++i) {
    AffineExpr k = b.getAffineDimExpr(rank + i);
    inExprs.push_back(b.getAffineDimExpr(2 + i) * strides[i] + k * dilations[i]);
    windowExprs.push_back(k);
  }
  int64_t loops = rank + spatial;
  SmallVector<AffineMap> maps = {AffineMap::get(loops, 0, inExprs, ctx),
                                 AffineMap::get(loops, 0, windowExprs, ctx),
                                 AffineMap::get(loops, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.append(spatial, utils::IteratorType::reduction);
  return linalg::GenericOp::create(
             b, loc, TypeRange{resultType}, ValueRange{input, window},
             ValueRange{init}, maps, iterators,
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               linalg::YieldOp::create(
                   nb, nloc, combine(nb, nloc, {args[0], args[2]}));
             })
      .getResult(0);
}

/// Builds the named pooling op — `Op2D` for NCHW, `Op1D` for NCW — (window
/// given as a shape-only tensor.empty) into `init`; other ranks get the
/// equivalent linalg.generic reducing with `combine`.
template <typename Op2D, typename Op1D, typename PoolOp>
static Value buildNamedPool(OpBuilder &b, Location loc, PoolOp op,
                            RankedTensorType resultType, Value input,
                            Value init, ScalarFn combine) {
  Value window = tensor::EmptyOp::create(b, loc, op.getKernelShape(),
                                         resultType.getElementType());
  if (resultType.getRank() != 3 && resultType.getRank() != 4)
    return buildGenericPool(b, loc, resultType, input, window, init,
                            op.getStrides(), op.getDilations(), combine);
  SmallVector<NamedAttribute> attrs = {
      b.getNamedAttr("strides", b.getI64TensorAttr(op.getStrides())),
      b.getNamedAttr("dilations", b.getI64TensorAttr(op.getDilations()))};
  // Ranges own nothing: keep the values they view alive in locals.
  SmallVector<Type, 1> types = {resultType};
  SmallVector<Value, 2> ins = {input, window};
  SmallVector<Value, 1> outs = {init};
  if (resultType.getRank() == 4)
    return Op2D::create(b, loc, types, ins, outs, attrs).getResult(0);
  return Op1D::create(b, loc, types, ins, outs, attrs).getResult(0);
}

/// Checks what every pooling lowering needs: float, at least 1 spatial dim.
template <typename PoolOp>
static LogicalResult checkPool(PoolOp op, PatternRewriter &rewriter) {
  auto type = cast<RankedTensorType>(op.getInput().getType());
  if (!isa<FloatType>(type.getElementType()))
    return unsupported(rewriter, op, "element type must be float");
  if (type.getRank() < 3)
    return unsupported(rewriter, op, "pooling needs at least one spatial dim");
  for (int64_t d = 2; d < type.getRank(); ++d)
    if (type.isDynamicDim(d) && op.getCeilMode())
      return unsupported(rewriter, op, "ceil_mode needs static "
                                             "spatial dims");
  return success();
}

/// What every pooling lowering needs first: the checks, the window, and the
/// result's dynamic sizes (N and C from the input; spatial ones static).
template <typename PoolOp>
static FailureOr<PoolWindow> preparePool(PoolOp op, Value input,
                                         RankedTensorType resultType,
                                         PatternRewriter &rewriter) {
  if (failed(checkPool(op, rewriter)))
    return failure();
  auto window = computeWindow(op, cast<RankedTensorType>(input.getType()),
                              resultType, rewriter);
  if (failed(window))
    return failure();
  for (int64_t d = 0; d < resultType.getRank(); ++d) {
    if (!resultType.isDynamicDim(d))
      continue;
    if (d >= 2)
      return unsupported(rewriter, op,
                         "dynamic spatial dims are not supported yet");
    window->dynSizes.push_back(
        tensor::DimOp::create(rewriter, op.getLoc(), input, d));
  }
  return window;
}

/// kiln.max_pool(x) → pooling_nchw_max(pad(x, -inf)) into fill(-inf)
struct MaxPoolLowering : OpConversionPattern<MaxPoolOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MaxPoolOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    Value input = adaptor.getInput();
    auto window = preparePool(op, input, resultType, rewriter);
    if (failed(window))
      return failure();
    auto floatType = cast<FloatType>(resultType.getElementType());
    Value negInf = arith::ConstantOp::create(
        rewriter, loc,
        rewriter.getFloatAttr(floatType,
                              APFloat::getInf(floatType.getFloatSemantics(),
                                              /*Negative=*/true)));
    Value padded = padTensor(rewriter, loc, input, window->low, window->high,
                             negInf);
    Value init =
        createFilledTensor(rewriter, loc, resultType, window->dynSizes, negInf);
    Value result =
        buildNamedPool<linalg::PoolingNchwMaxOp, linalg::PoolingNcwMaxOp>(
            rewriter, loc, op, resultType, padded, init,
            [](OpBuilder &b, Location l, ValueRange args) {
              return arith::MaximumFOp::create(b, l, args[0], args[1])
                  .getResult();
            });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Per-output-position window counts of one spatial dim: positions inside
/// [lo, hi) of the unpadded input coordinates.
static SmallVector<int64_t> windowCounts(int64_t out, int64_t kernel,
                                         int64_t stride, int64_t dilation,
                                         int64_t padBegin, int64_t lo,
                                         int64_t hi) {
  SmallVector<int64_t> counts;
  for (int64_t o = 0; o < out; ++o) {
    int64_t count = 0;
    for (int64_t j = 0; j < kernel; ++j) {
      int64_t p = o * stride - padBegin + j * dilation;
      count += p >= lo && p < hi;
    }
    counts.push_back(count);
  }
  return counts;
}

/// kiln.avg_pool(x) → pooling_nchw_sum(pad(x, 0)) into fill(0), then
/// generic { sum / count } with count a scalar or a constant H x W tensor.
struct AvgPoolLowering : OpConversionPattern<AvgPoolOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AvgPoolOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    Type elemType = resultType.getElementType();
    Value input = adaptor.getInput();
    auto inType = cast<RankedTensorType>(input.getType());
    int64_t spatial = inType.getRank() - 2;
    auto window = preparePool(op, input, resultType, rewriter);
    if (failed(window))
      return failure();
    ArrayRef<Value> dynSizes = window->dynSizes;

    // Window counts per spatial dim; their outer product is the divisor.
    ArrayRef<int64_t> pads = op.getPads(), kernel = op.getKernelShape();
    SmallVector<SmallVector<int64_t>> counts;
    bool uniform = true;
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t in = inType.getDimSize(i + 2);
      int64_t lo = op.getCountIncludePad() ? -pads[i] : 0;
      int64_t hi = op.getCountIncludePad() ? in + pads[i + spatial] : in;
      counts.push_back(windowCounts(resultType.getDimSize(i + 2), kernel[i],
                                    op.getStrides()[i], op.getDilations()[i],
                                    pads[i], lo, hi));
      uniform &= llvm::all_equal(counts.back());
    }

    Value zero = createScalarConstant(rewriter, loc, elemType, 0.0);
    Value padded =
        padTensor(rewriter, loc, input, window->low, window->high, zero);
    Value init = createFilledTensor(rewriter, loc, resultType, dynSizes, zero);
    Value sum =
        buildNamedPool<linalg::PoolingNchwSumOp, linalg::PoolingNcwSumOp>(
            rewriter, loc, op, resultType, padded, init,
            [](OpBuilder &b, Location l, ValueRange args) {
              return arith::AddFOp::create(b, l, args[0], args[1]).getResult();
            });

    SmallVector<Value> inputs = {sum};
    SmallVector<AffineMap> maps = {
        rewriter.getMultiDimIdentityMap(resultType.getRank())};
    Value divisor;
    if (uniform) {
      int64_t total = 1;
      for (auto &c : counts)
        total *= c.empty() ? 1 : c.front();
      divisor = createScalarConstant(rewriter, loc, elemType, double(total));
    } else {
      // Constant count tensor over the spatial dims, broadcast over N and C.
      SmallVector<int64_t> shape(resultType.getShape().drop_front(2));
      SmallVector<Attribute> values;
      SmallVector<int64_t> idx(spatial, 0);
      int64_t numPositions = 1;
      for (int64_t s : shape)
        numPositions *= s;
      for (int64_t flat = 0; flat < numPositions; ++flat) {
        int64_t rest = flat, total = 1;
        for (int64_t i = spatial - 1; i >= 0; --i) {
          total *= counts[i][rest % shape[i]];
          rest /= shape[i];
        }
        values.push_back(rewriter.getFloatAttr(elemType, double(total)));
      }
      auto countType = RankedTensorType::get(shape, elemType);
      inputs.push_back(arith::ConstantOp::create(
          rewriter, loc, DenseElementsAttr::get(countType, values)));
      SmallVector<AffineExpr> exprs;
      for (int64_t i = 0; i < spatial; ++i)
        exprs.push_back(rewriter.getAffineDimExpr(i + 2));
      maps.push_back(AffineMap::get(resultType.getRank(), 0, exprs,
                                    rewriter.getContext()));
    }
    Value result = createElementwiseGeneric(
        rewriter, loc, resultType, dynSizes, inputs, maps,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value count = divisor ? divisor : args[1];
          return arith::DivFOp::create(b, l, args[0], count).getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// kiln.global_avg_pool(x) → mean over dims 2.. (sum generic, scale, expand)
struct GlobalAvgPoolLowering : OpConversionPattern<GlobalAvgPoolOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(GlobalAvgPoolOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    if (!isa<FloatType>(resultType.getElementType()))
      return unsupported(rewriter, op, "element type must be float");
    SmallVector<int64_t> axes;
    for (int64_t d = 2; d < resultType.getRank(); ++d)
      axes.push_back(d);
    rewriter.replaceOp(op, createMean(rewriter, op.getLoc(), adaptor.getInput(),
                                      axes, resultType));
    return success();
  }
};

} // namespace

void kiln::populatePoolingToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<MaxPoolLowering, AvgPoolLowering, GlobalAvgPoolLowering>(
      patterns.getContext());
}
