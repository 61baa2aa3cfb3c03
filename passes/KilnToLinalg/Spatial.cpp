//===- Spatial.cpp - kiln image samplers → linalg --------------------------===//
//
// grid_sample is a gather: one all-parallel linalg.generic over the result
// whose body reads its grid coordinates and input taps with tensor.extract
// (indices from linalg.index). Coordinates are denormalised, rounded
// (nearest) or split into a floor and a fraction (linear: 2 taps per dim,
// cubic: 4 with Keys' weights), and each tap reads through the padding
// mode: zeros masks taps outside the image, border clamps them, reflection
// folds them back. The formulas follow ONNX's reference (PyTorch's
// GridSampler.h): out-of-range coordinates are clamped or reflected first,
// then every tap again.
//
//===----------------------------------------------------------------------===//

#include "passes/KilnToLinalg/KilnToLinalg.h"

#include "dialects/kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// Scalar float arithmetic in one type, for the sampler bodies.
struct FloatMath {
  OpBuilder &b;
  Location loc;
  FloatType type;

  Value c(double v) const {
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, v));
  }
  Value add(Value x, Value y) const { return arith::AddFOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) const { return arith::SubFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) const { return arith::MulFOp::create(b, loc, x, y); }
  Value div(Value x, Value y) const { return arith::DivFOp::create(b, loc, x, y); }
  Value floor(Value x) const { return math::FloorOp::create(b, loc, x); }
  Value lt(Value x, Value y) const {
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, y);
  }
  Value select(Value cond, Value x, Value y) const {
    return arith::SelectOp::create(b, loc, cond, x, y);
  }
  /// min(max(x, lo), hi); NaN becomes lo, so indices stay in bounds.
  Value clamp(Value x, Value lo, Value hi) const {
    return arith::MinNumFOp::create(
        b, loc, arith::MaxNumFOp::create(b, loc, x, lo), hi);
  }

  /// Folds `x` into [lo, hi] by reflecting at the borders (ONNX's
  /// _gs_reflect); `x` already inside is returned unchanged.
  Value reflect(Value x, double lo, double hi) const {
    Value loV = c(lo), hiV = c(hi), range = c(hi - lo);
    auto fold = [&](Value dx, Value nearEdge, Value farEdge, bool below) {
      Value n = floor(div(dx, range));
      Value r = sub(dx, mul(n, range));
      Value half = floor(mul(n, c(0.5)));
      Value even = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                         sub(n, mul(half, c(2.0))), c(0.0));
      Value towardsIn = below ? add(nearEdge, r) : sub(nearEdge, r);
      Value fromFar = below ? sub(farEdge, r) : add(farEdge, r);
      return select(even, towardsIn, fromFar);
    };
    Value belowV = fold(sub(loV, x), loV, hiV, /*below=*/true);
    Value aboveV = fold(sub(x, hiV), hiV, loV, /*below=*/false);
    return select(lt(x, loV), belowV, select(lt(hiV, x), aboveV, x));
  }

  /// Keys' cubic weights (a = -0.75) of the 4 taps around fraction `t`.
  SmallVector<Value> cubicWeights(Value t) const {
    const double a = -0.75;
    auto far = [&](Value x) { // 1 < x < 2
      return sub(mul(add(mul(sub(mul(c(a), x), c(5 * a)), x), c(8 * a)), x),
                 c(4 * a));
    };
    auto near = [&](Value x) { // 0 <= x <= 1
      return add(mul(mul(sub(mul(c(a + 2), x), c(a + 3)), x), x), c(1.0));
    };
    Value one = c(1.0);
    return {far(add(t, one)), near(t), near(sub(one, t)),
            far(sub(c(2.0), t))};
  }
};

/// The sampling setup of one spatial dim.
struct AxisTaps {
  SmallVector<Value> index;  // float tap positions
  SmallVector<Value> weight; // their weights (empty for nearest)
};

/// kiln.grid_sample(x, grid) → generic { Σ_taps Π w · x[n, c, taps] }
struct GridSampleLowering : OpConversionPattern<GridSampleOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(GridSampleOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value input = adaptor.getInput(), grid = adaptor.getGrid();
    auto inType = cast<RankedTensorType>(input.getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    auto elemType = dyn_cast<FloatType>(inType.getElementType());
    if (!elemType)
      return unsupported(rewriter, op, "element type must be float");
    if (llvm::is_contained(inType.getShape().drop_front(2),
                           ShapedType::kDynamic))
      return unsupported(rewriter, op, "needs static spatial input dims");
    Location loc = op.getLoc();
    // Dynamic sizes: C from the input, N and the output dims from the grid.
    SmallVector<Value> dynSizes;
    for (int64_t d = 0; d < resultType.getRank(); ++d) {
      if (!resultType.isDynamicDim(d))
        continue;
      dynSizes.push_back(d == 1 ? getDimValue(rewriter, loc, input, 1)
                                : getDimValue(rewriter, loc, grid,
                                              d == 0 ? 0 : d - 1));
    }
    Value result = createElementwiseGeneric(
        rewriter, loc, resultType, dynSizes, {}, {},
        [&](OpBuilder &b, Location l, ValueRange) {
          return sample(b, l, op, input, grid);
        });
    rewriter.replaceOp(op, result);
    return success();
  }

  /// The body: the sampled value at the generic's position.
  static Value sample(OpBuilder &b, Location loc, GridSampleOp op, Value input,
                      Value grid) {
    auto inType = cast<RankedTensorType>(input.getType());
    int64_t rank = inType.getRank(), spatial = rank - 2;
    // Compute in f32 at least (f16/bf16 coordinates are too coarse).
    auto elemType = cast<FloatType>(inType.getElementType());
    FloatType computeType =
        elemType.getWidth() < 32 ? b.getF32Type() : elemType;
    FloatMath m{b, loc, computeType};
    SmallVector<Value> pos;
    for (int64_t d = 0; d < rank; ++d)
      pos.push_back(linalg::IndexOp::create(b, loc, d));
    bool align = op.getAlignCorners();
    StringRef mode = op.getMode(), padding = op.getPaddingMode();

    SmallVector<AxisTaps> axes;
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t size = inType.getDimSize(i + 2);
      double lo = align ? 0.0 : -0.5, hi = align ? size - 1.0 : size - 0.5;
      SmallVector<Value> gridIdx = {pos[0]};
      llvm::append_range(gridIdx, ArrayRef<Value>(pos).drop_front(2));
      gridIdx.push_back(arith::ConstantIndexOp::create(b, loc, spatial - 1 - i));
      Value g = tensor::ExtractOp::create(b, loc, grid, gridIdx);
      if (g.getType() != computeType)
        g = arith::ExtFOp::create(b, loc, computeType, g);
      // Denormalise: [-1, 1] onto corner centres or outer edges.
      Value x = align ? m.mul(m.mul(m.add(g, m.c(1.0)), m.c(0.5)),
                              m.c(size - 1.0))
                      : m.mul(m.sub(m.mul(m.add(g, m.c(1.0)), m.c(size)),
                                    m.c(1.0)),
                              m.c(0.5));
      if (mode == "nearest")
        x = math::RoundEvenOp::create(b, loc, x);
      if (padding == "border") {
        // Only coordinates outside [lo, hi] move (cubic taps see the
        // difference between -0.3 and 0).
        Value outside = arith::OrIOp::create(b, loc, m.lt(x, m.c(lo)),
                                             m.lt(m.c(hi), x));
        x = m.select(outside, m.clamp(x, m.c(0.0), m.c(size - 1.0)), x);
      }
      else if (padding == "reflection")
        x = m.reflect(x, lo, hi);
      AxisTaps taps;
      if (mode == "nearest") {
        taps.index.push_back(x);
      } else {
        Value base = m.floor(x), t = m.sub(x, base);
        if (mode == "linear") {
          taps.index = {base, m.add(base, m.c(1.0))};
          taps.weight = {m.sub(m.c(1.0), t), t};
        } else {
          for (int k = -1; k <= 2; ++k)
            taps.index.push_back(m.add(base, m.c(k)));
          taps.weight = m.cubicWeights(t);
        }
      }
      axes.push_back(std::move(taps));
    }

    // Σ over the tap grid of the weight product times the padded read.
    Value sum;
    SmallVector<int64_t> which(spatial, 0);
    while (true) {
      SmallVector<Value> idx = {pos[0], pos[1]};
      Value weight, inside;
      for (int64_t i = 0; i < spatial; ++i) {
        int64_t size = inType.getDimSize(i + 2);
        Value t = axes[i].index[which[i]];
        if (padding == "reflection" && mode != "nearest")
          t = m.reflect(t, align ? 0.0 : -0.5,
                        align ? size - 1.0 : size - 0.5);
        if (padding == "zeros") {
          Value ok = arith::AndIOp::create(
              b, loc, m.lt(t, m.c(double(size))),
              arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE, t,
                                    m.c(0.0)));
          inside = inside ? arith::AndIOp::create(b, loc, inside, ok) : ok;
        }
        // Truncate toward zero as ONNX's int(), then clamp into the image
        // (zeros masks the out-of-range taps afterwards).
        Value clamped = m.clamp(t, m.c(0.0), m.c(size - 1.0));
        Value asInt = arith::FPToSIOp::create(b, loc, b.getI64Type(), clamped);
        idx.push_back(
            arith::IndexCastOp::create(b, loc, b.getIndexType(), asInt));
        if (!axes[i].weight.empty())
          weight = weight ? m.mul(weight, axes[i].weight[which[i]])
                          : axes[i].weight[which[i]];
      }
      Value v = tensor::ExtractOp::create(b, loc, input, idx);
      if (v.getType() != computeType)
        v = arith::ExtFOp::create(b, loc, computeType, v);
      if (inside)
        v = m.select(inside, v, m.c(0.0));
      if (weight)
        v = m.mul(v, weight);
      sum = sum ? m.add(sum, v) : v;
      int64_t i = spatial - 1;
      while (i >= 0 && ++which[i] == int64_t(axes[i].index.size()))
        which[i--] = 0;
      if (i < 0)
        break;
    }
    if (sum.getType() != elemType)
      sum = arith::TruncFOp::create(b, loc, elemType, sum);
    return sum;
  }
};

} // namespace

void kiln::populateSpatialToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<GridSampleLowering>(patterns.getContext());
}
