//===- Resize.cpp - kiln.resize → linalg ----------------------------------===//
//
// Resize is separable: along each resized dim, output position y reads a few
// source taps with weights that depend only on y, the extents, the scale and
// the modes. Shapes and scales are static, so those taps are computed here
// in double precision, mirroring the ONNX reference (op_resize.py:
// coordinate transform, tap window with edge clamping, exclude_outside
// renormalisation, tf_crop_and_resize extrapolation) and become small
// per-dim constant tables (one i32 index and one f32 weight table per tap).
// The result is one all-parallel linalg.generic over the output that reads
// the tables through the output index of their dim and sums, over every tap
// combination (1 for nearest, 2^k for linear, 4^k for cubic over k resized
// dims), the product of the weights times a `tensor.extract` of the input.
// Nearest resolves its rounding into a single tap, so it needs no float
// math and works for any element type; f16/bf16 accumulate in f32. When the
// model feeds scales or roi as runtime tensors, the same formulas are built
// into the generic's body in f64 instead, for every dim.
//
//===----------------------------------------------------------------------===//

#include "passes/KilnToLinalg/KilnToLinalg.h"

#include "dialects/kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// The source taps of one resized dim: for output position y and tap t,
/// input index `index[y * taps + t]` with weight `weight[y * taps + t]`;
/// `outside[y]` marks tf_crop_and_resize positions that extrapolate.
struct AxisTaps {
  int64_t dim = 0;
  int64_t taps = 0;
  SmallVector<int32_t> index;
  SmallVector<float> weight;
  SmallVector<int8_t> outside;
  bool anyOutside = false;
};

/// The parameters of one resize shared by every dim.
struct ResizeParams {
  StringRef mode, coords, nearestMode;
  double cubicA;
  bool excludeOutside;
  bool antialias;
};

} // namespace

/// Source coordinate of output position `y` (ONNX coordinate transforms).
static double sourceCoordinate(StringRef coords, double y, double scale,
                               int64_t in, int64_t out, double roiStart,
                               double roiEnd) {
  double outWidth = scale * static_cast<double>(in);
  if (coords == "align_corners")
    return outWidth == 1 ? 0.0 : y * (in - 1) / (outWidth - 1);
  if (coords == "asymmetric")
    return y / scale;
  if (coords == "tf_crop_and_resize") {
    double x = outWidth == 1 ? (roiEnd - roiStart) * (in - 1) / 2
                             : y * (roiEnd - roiStart) * (in - 1) /
                                   (outWidth - 1);
    return x + roiStart * (in - 1);
  }
  if (coords == "pytorch_half_pixel")
    return outWidth == 1 ? -0.5 : (y + 0.5) / scale - 0.5;
  if (coords == "half_pixel_symmetric") {
    double adjustment = static_cast<double>(out) / outWidth;
    double offset = static_cast<double>(in) / 2 * (1 - adjustment);
    return offset + (y + 0.5) / scale - 0.5;
  }
  return (y + 0.5) / scale - 0.5; // half_pixel
}

/// Antialiased tap weights (ONNX reference `_linear_coeffs_antialias`,
/// `_cubic_coeffs_antialias`): the kernel stretched by 1/scale when
/// downsampling, normalised to sum 1.
static SmallVector<double> antialiasWeights(const ResizeParams &p,
                                            double ratio, double scale) {
  scale = std::min(scale, 1.0);
  SmallVector<double> weights;
  double a = p.cubicA;
  if (p.mode == "linear") {
    int64_t start = static_cast<int64_t>(std::floor(-1 / scale) + 1);
    for (int64_t i = start; i < start + 2 - 2 * start; ++i)
      weights.push_back(
          std::clamp(1 - std::abs((i - ratio) * scale), 0.0, 1.0));
  } else {
    int64_t start = static_cast<int64_t>(std::floor(-2 / scale) + 1);
    for (int64_t i = start; i < 2 - start; ++i) {
      double x = std::abs(scale * (i - ratio));
      double w = x <= 1  ? ((a + 2) * x - (a + 3)) * x * x + 1
                 : x < 2 ? ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
                         : 0.0;
      weights.push_back(w);
    }
  }
  double sum = 0;
  for (double w : weights)
    sum += w;
  for (double &w : weights)
    w /= sum;
  return weights;
}

/// Tap weights for the fractional position `ratio` in (0, 1].
static SmallVector<double> tapWeights(const ResizeParams &p, double ratio,
                                      double scale) {
  if (p.antialias)
    return antialiasWeights(p, ratio, scale);
  if (p.mode == "nearest") {
    if (ratio == 1.0)
      return {0, 1};
    bool up = p.nearestMode == "round_prefer_floor"  ? ratio > 0.5
              : p.nearestMode == "round_prefer_ceil" ? ratio >= 0.5
                                                     : p.nearestMode == "ceil";
    return {up ? 0.0 : 1.0, up ? 1.0 : 0.0};
  }
  if (p.mode == "linear")
    return {1 - ratio, ratio};
  double a = p.cubicA, r = ratio, s = 1 - ratio;
  return {((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a,
          ((a + 2) * r - (a + 3)) * r * r + 1,
          ((a + 2) * s - (a + 3)) * s * s + 1,
          ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a};
}

/// The taps of dim `dim` resized from `in` to `out` positions.
static AxisTaps computeTaps(const ResizeParams &p, int64_t dim, int64_t in,
                            int64_t out, double scale, double roiStart,
                            double roiEnd) {
  AxisTaps axis;
  axis.dim = dim;
  int64_t n = tapWeights(p, 1.0, scale).size();
  axis.taps = p.mode == "nearest" ? 1 : n;
  for (int64_t y = 0; y < out; ++y) {
    double x = sourceCoordinate(p.coords, static_cast<double>(y), scale, in,
                                out, roiStart, roiEnd);
    bool outside = p.coords == "tf_crop_and_resize" &&
                   (x < 0 || x > static_cast<double>(in - 1));
    axis.outside.push_back(outside);
    axis.anyOutside |= outside;
    double floorX = std::floor(x);
    SmallVector<double> weights =
        tapWeights(p, x == floorX ? 1.0 : x - floorX, scale);
    // The n indices nearest x, ties to the smaller (the reference's window
    // over the edge-padded input).
    int64_t pad = (n + 1) / 2;
    double padded = x + pad;
    int64_t base = static_cast<int64_t>(std::floor(padded));
    bool exact = padded == std::floor(padded);
    int64_t start = base + (exact ? -(n / 2) : -(n / 2) + 1) - pad;
    SmallVector<int64_t> idx;
    for (int64_t t = 0; t < n; ++t)
      idx.push_back(start + t);
    if (p.excludeOutside) {
      double sum = 0;
      for (int64_t t = 0; t < n; ++t) {
        if (idx[t] < 0 || idx[t] >= in)
          weights[t] = 0;
        sum += weights[t];
      }
      if (sum != 0)
        for (double &w : weights)
          w /= sum;
    }
    for (int64_t &i : idx)
      i = std::clamp<int64_t>(i, 0, in - 1);
    if (p.mode == "nearest") {
      axis.index.push_back(static_cast<int32_t>(weights[1] > 0.5 ? idx[1]
                                                                 : idx[0]));
      axis.weight.push_back(1.0f);
      continue;
    }
    for (int64_t t = 0; t < n; ++t) {
      axis.index.push_back(static_cast<int32_t>(idx[t]));
      axis.weight.push_back(static_cast<float>(weights[t]));
    }
  }
  return axis;
}

/// True when the reference skips `dim` as an identity (scale ~1, same
/// extent, trivial roi).
static bool isIdentityDim(ResizeOp op, int64_t dim, int64_t in, int64_t out) {
  double scale = op.getScales()[dim];
  if (std::abs(scale - 1.0) > 1e-9 * std::max(1.0, std::abs(scale)) ||
      in != out)
    return false;
  std::optional<ArrayRef<double>> roi = op.getRoi();
  if (!roi)
    return true;
  int64_t rank = op.getScales().size();
  return std::abs((*roi)[dim]) <= 1e-9 &&
         std::abs((*roi)[dim + rank] - 1.0) <= 1e-9;
}

/// A 1-D constant of `values` with element type `type`.
template <typename T>
static Value tableConstant(OpBuilder &b, Location loc, Type type,
                           ArrayRef<T> values) {
  auto tableType =
      RankedTensorType::get({static_cast<int64_t>(values.size())}, type);
  return arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(tableType, values));
}

/// The taps of one resized dim at the current output position, as values in
/// the generic's body: indices (index), weights (f32; none for nearest) and
/// an optional i1 "extrapolated" flag.
struct DimTaps {
  int64_t dim = 0;
  SmallVector<Value> index, weight;
  Value outside;
};

/// Runtime counterpart of computeTaps for scales/roi that are tensors: the
/// same ONNX formulas, in f64, for output position `y` of `dim`.
static DimTaps emitRuntimeTaps(OpBuilder &b, Location loc,
                               const ResizeParams &p, int64_t dim, Value y,
                               int64_t in, int64_t out, Value scale,
                               Value roiStart, Value roiEnd) {
  Type f64 = b.getF64Type();
  auto cst = [&](double v) -> Value {
    return arith::ConstantOp::create(b, loc, b.getF64FloatAttr(v));
  };
  auto add = [&](Value a, Value c) -> Value {
    return arith::AddFOp::create(b, loc, a, c);
  };
  auto sub = [&](Value a, Value c) -> Value {
    return arith::SubFOp::create(b, loc, a, c);
  };
  auto mul = [&](Value a, Value c) -> Value {
    return arith::MulFOp::create(b, loc, a, c);
  };
  auto div = [&](Value a, Value c) -> Value {
    return arith::DivFOp::create(b, loc, a, c);
  };
  auto cmp = [&](arith::CmpFPredicate pred, Value a, Value c) -> Value {
    return arith::CmpFOp::create(b, loc, pred, a, c);
  };
  auto select = [&](Value c, Value t, Value f) -> Value {
    return arith::SelectOp::create(b, loc, c, t, f);
  };
  Value yf = arith::SIToFPOp::create(
      b, loc, f64, arith::IndexCastOp::create(b, loc, b.getI64Type(), y));
  Value inF = cst(static_cast<double>(in)), inLast = cst(in - 1.0);
  Value outWidth = mul(scale, inF);
  Value one = cst(1.0), half = cst(0.5), zero = cst(0.0);
  Value single = cmp(arith::CmpFPredicate::OEQ, outWidth, one);
  Value halfPixel = sub(div(add(yf, half), scale), half);
  Value x;
  StringRef c = p.coords;
  if (c == "align_corners") {
    x = select(single, zero, div(mul(yf, inLast), sub(outWidth, one)));
  } else if (c == "asymmetric") {
    x = div(yf, scale);
  } else if (c == "tf_crop_and_resize") {
    Value span = mul(sub(roiEnd, roiStart), inLast);
    x = select(single, div(span, cst(2.0)),
               div(mul(yf, span), sub(outWidth, one)));
    x = add(x, mul(roiStart, inLast));
  } else if (c == "pytorch_half_pixel") {
    x = select(single, cst(-0.5), halfPixel);
  } else if (c == "half_pixel_symmetric") {
    Value adjustment = div(cst(static_cast<double>(out)), outWidth);
    Value offset = mul(cst(in / 2.0), sub(one, adjustment));
    x = add(offset, halfPixel);
  } else {
    x = halfPixel;
  }
  DimTaps taps;
  taps.dim = dim;
  if (c == "tf_crop_and_resize")
    taps.outside = arith::OrIOp::create(
        b, loc, cmp(arith::CmpFPredicate::OLT, x, zero),
        cmp(arith::CmpFPredicate::OGT, x, inLast));
  Value floorX = math::FloorOp::create(b, loc, x);
  Value ratio =
      select(cmp(arith::CmpFPredicate::OEQ, x, floorX), one, sub(x, floorX));
  int64_t n = p.mode == "cubic" ? 4 : 2, pad = (n + 1) / 2;
  Value padded = add(x, cst(static_cast<double>(pad)));
  Value base = math::FloorOp::create(b, loc, padded);
  Value exact = cmp(arith::CmpFPredicate::OEQ, padded, base);
  Value start = add(base, select(exact, cst(-(n / 2) - pad),
                                 cst(-(n / 2) + 1 - pad)));
  Value startI = arith::FPToSIOp::create(b, loc, b.getI64Type(), start);
  SmallVector<Value> idx;
  for (int64_t t = 0; t < n; ++t)
    idx.push_back(arith::AddIOp::create(
        b, loc, startI,
        arith::ConstantIntOp::create(b, loc, b.getI64Type(), t)));
  auto clampToIndex = [&](Value i) -> Value {
    Value lo = arith::ConstantIntOp::create(b, loc, b.getI64Type(), 0);
    Value hi = arith::ConstantIntOp::create(b, loc, b.getI64Type(), in - 1);
    i = arith::MaxSIOp::create(b, loc, i, lo);
    i = arith::MinSIOp::create(b, loc, i, hi);
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), i);
  };
  if (p.mode == "nearest") {
    Value up;
    if (p.nearestMode == "round_prefer_floor")
      up = cmp(arith::CmpFPredicate::OGT, ratio, half);
    else if (p.nearestMode == "round_prefer_ceil")
      up = cmp(arith::CmpFPredicate::OGE, ratio, half);
    else
      up = arith::ConstantIntOp::create(b, loc, b.getI1Type(),
                                        p.nearestMode == "ceil");
    up = arith::OrIOp::create(b, loc, up,
                              cmp(arith::CmpFPredicate::OEQ, ratio, one));
    taps.index.push_back(clampToIndex(select(up, idx[1], idx[0])));
    return taps;
  }
  SmallVector<Value> w;
  if (p.mode == "linear") {
    w = {sub(one, ratio), ratio};
  } else {
    Value a = cst(p.cubicA), r = ratio, s = sub(one, ratio);
    Value a2 = cst(p.cubicA + 2), a3 = cst(p.cubicA + 3);
    Value fiveA = cst(5 * p.cubicA), eightA = cst(8 * p.cubicA),
          fourA = cst(4 * p.cubicA);
    auto outer = [&](Value t) {
      Value t1 = add(t, one);
      return sub(mul(add(mul(sub(mul(a, t1), fiveA), t1), eightA), t1),
                 fourA);
    };
    auto inner = [&](Value t) {
      return add(mul(mul(sub(mul(a2, t), a3), t), t), one);
    };
    w = {outer(r), inner(r), inner(s), outer(s)};
  }
  if (p.excludeOutside) {
    Value sum = zero;
    for (int64_t t = 0; t < n; ++t) {
      Value lo = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::slt, idx[t],
          arith::ConstantIntOp::create(b, loc, b.getI64Type(), 0));
      Value hi = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::sge, idx[t],
          arith::ConstantIntOp::create(b, loc, b.getI64Type(), in));
      w[t] = select(arith::OrIOp::create(b, loc, lo, hi), zero, w[t]);
      sum = add(sum, w[t]);
    }
    sum = select(cmp(arith::CmpFPredicate::OEQ, sum, zero), one, sum);
    for (Value &wt : w)
      wt = div(wt, sum);
  }
  for (int64_t t = 0; t < n; ++t) {
    taps.index.push_back(clampToIndex(idx[t]));
    taps.weight.push_back(
        arith::TruncFOp::create(b, loc, b.getF32Type(), w[t]));
  }
  return taps;
}

/// Σ over tap combinations of Π weights · input[taps]; extrapolated
/// positions take `extrapolation`.
static Value combineTaps(OpBuilder &b, Location loc, Value input,
                         ArrayRef<Value> ivs, ArrayRef<DimTaps> dims,
                         bool nearest, Type elementType, float extrapolation) {
  Type computeType = b.getF32Type();
  bool widen = !nearest && elementType != computeType;
  int64_t combinations = 1;
  for (const DimTaps &d : dims)
    combinations *= d.index.size();
  Value acc;
  for (int64_t c = 0; c < combinations; ++c) {
    SmallVector<Value> at(ivs);
    Value w;
    int64_t rest = c;
    for (int64_t a = dims.size() - 1; a >= 0; --a) {
      int64_t taps = dims[a].index.size();
      int64_t t = rest % taps;
      rest /= taps;
      at[dims[a].dim] = dims[a].index[t];
      if (!nearest)
        w = w ? arith::MulFOp::create(b, loc, w, dims[a].weight[t]).getResult()
              : dims[a].weight[t];
    }
    Value v = tensor::ExtractOp::create(b, loc, input, at);
    if (nearest) {
      acc = v;
      break;
    }
    if (widen)
      v = arith::ExtFOp::create(b, loc, computeType, v);
    Value term = w ? arith::MulFOp::create(b, loc, v, w).getResult() : v;
    acc = acc ? arith::AddFOp::create(b, loc, acc, term).getResult() : term;
  }
  if (widen)
    acc = arith::TruncFOp::create(b, loc, elementType, acc);
  Value outside;
  for (const DimTaps &d : dims)
    if (d.outside)
      outside = outside
                    ? arith::OrIOp::create(b, loc, outside, d.outside).getResult()
                    : d.outside;
  if (!outside)
    return acc;
  Value fill = createScalarConstant(b, loc, elementType, extrapolation);
  return arith::SelectOp::create(b, loc, outside, fill, acc);
}

/// Element `i` of a runtime float vector, as f64.
static Value extractF64(OpBuilder &b, Location loc, Value vector, int64_t i) {
  Value at = arith::ConstantIndexOp::create(b, loc, i);
  Value v = tensor::ExtractOp::create(b, loc, vector, ValueRange{at});
  if (v.getType() != b.getF64Type())
    v = arith::ExtFOp::create(b, loc, b.getF64Type(), v);
  return v;
}

/// The resize as a generic whose body computes every dim's taps from the
/// runtime scales/roi (attributes where a tensor is absent).
static Value lowerWithRuntimeTaps(OpBuilder &b, Location loc, ResizeOp op,
                                  Value input, Value scalesInput,
                                  Value roiInput, const ResizeParams &params) {
  RankedTensorType inType = op.getInput().getType();
  auto outType = cast<RankedTensorType>(op.getType());
  int64_t rank = outType.getRank();
  std::optional<ArrayRef<double>> roi = op.getRoi();
  return createElementwiseGeneric(
      b, loc, outType, {}, {}, {},
      [&](OpBuilder &nb, Location l, ValueRange) {
        SmallVector<Value> ivs;
        for (int64_t d = 0; d < rank; ++d)
          ivs.push_back(linalg::IndexOp::create(nb, l, d));
        auto constant = [&](double v) -> Value {
          return arith::ConstantOp::create(nb, l, nb.getF64FloatAttr(v));
        };
        SmallVector<DimTaps> dims;
        for (int64_t d = 0; d < rank; ++d) {
          Value scale = scalesInput ? extractF64(nb, l, scalesInput, d)
                                    : constant(op.getScales()[d]);
          Value start = roiInput ? extractF64(nb, l, roiInput, d)
                                 : constant(roi ? (*roi)[d] : 0.0);
          Value end = roiInput ? extractF64(nb, l, roiInput, d + rank)
                               : constant(roi ? (*roi)[d + rank] : 1.0);
          dims.push_back(emitRuntimeTaps(nb, l, params, d, ivs[d],
                                         inType.getDimSize(d),
                                         outType.getDimSize(d), scale, start,
                                         end));
        }
        return combineTaps(nb, l, input, ivs, dims, params.mode == "nearest",
                           outType.getElementType(),
                           op.getExtrapolationValue().convertToFloat());
      });
}

/// The resize as a generic reading precomputed per-dim tap tables: per
/// resized dim, each tap's index (and weight) table, then the extrapolation
/// mask where some position extrapolates.
static Value lowerWithTables(OpBuilder &b, Location loc, ResizeOp op,
                             Value input, const ResizeParams &params) {
  RankedTensorType inType = op.getInput().getType();
  auto outType = cast<RankedTensorType>(op.getType());
  int64_t rank = outType.getRank();
  bool nearest = params.mode == "nearest";
  std::optional<ArrayRef<double>> roi = op.getRoi();
  SmallVector<AxisTaps> axes;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t in = inType.getDimSize(d), out = outType.getDimSize(d);
    if (isIdentityDim(op, d, in, out))
      continue;
    axes.push_back(computeTaps(params, d, in, out, op.getScales()[d],
                               roi ? (*roi)[d] : 0.0,
                               roi ? (*roi)[d + rank] : 1.0));
  }

  MLIRContext *ctx = b.getContext();
  SmallVector<Value> tables;
  SmallVector<AffineMap> maps;
  for (const AxisTaps &axis : axes) {
    AffineMap map = AffineMap::get(rank, 0, getAffineDimExpr(axis.dim, ctx));
    int64_t out = outType.getDimSize(axis.dim);
    for (int64_t t = 0; t < axis.taps; ++t) {
      SmallVector<int32_t> index;
      SmallVector<float> weight;
      for (int64_t y = 0; y < out; ++y) {
        index.push_back(axis.index[y * axis.taps + t]);
        weight.push_back(axis.weight[y * axis.taps + t]);
      }
      tables.push_back(
          tableConstant<int32_t>(b, loc, b.getI32Type(), index));
      maps.push_back(map);
      if (!nearest) {
        tables.push_back(tableConstant<float>(b, loc, b.getF32Type(), weight));
        maps.push_back(map);
      }
    }
    if (axis.anyOutside) {
      tables.push_back(
          tableConstant<int8_t>(b, loc, b.getI8Type(), axis.outside));
      maps.push_back(map);
    }
  }

  return createElementwiseGeneric(
      b, loc, outType, {}, tables, maps,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        SmallVector<Value> ivs;
        for (int64_t d = 0; d < rank; ++d)
          ivs.push_back(linalg::IndexOp::create(nb, l, d));
        SmallVector<DimTaps> dims;
        unsigned next = 0;
        for (const AxisTaps &axis : axes) {
          DimTaps &taps = dims.emplace_back();
          taps.dim = axis.dim;
          for (int64_t t = 0; t < axis.taps; ++t) {
            taps.index.push_back(arith::IndexCastOp::create(
                nb, l, nb.getIndexType(), args[next++]));
            if (!nearest)
              taps.weight.push_back(args[next++]);
          }
          if (axis.anyOutside)
            taps.outside = arith::CmpIOp::create(
                nb, l, arith::CmpIPredicate::ne, args[next++],
                arith::ConstantIntOp::create(nb, l, nb.getI8Type(), 0));
        }
        return combineTaps(nb, l, input, ivs, dims, nearest,
                           outType.getElementType(),
                           op.getExtrapolationValue().convertToFloat());
      });
}

namespace {

/// kiln.resize(x) → generic(tap tables) { Σ_taps Π weights · x[taps] };
/// with runtime scales/roi the taps are computed in the body instead.
struct ResizeLowering : OpConversionPattern<ResizeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ResizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType inType = op.getInput().getType();
    auto outType = cast<RankedTensorType>(op.getType());
    if (!inType.hasStaticShape() || !outType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "needs static shapes");
    if (op.getMode() != "nearest" && !isa<FloatType>(outType.getElementType()))
      return rewriter.notifyMatchFailure(op, "interpolation needs floats");
    ResizeParams params{op.getMode(), op.getCoordinateTransformationMode(),
                        op.getNearestMode(),
                        op.getCubicCoeffA().convertToDouble(),
                        op.getExcludeOutside(), op.getAntialias()};
    Value scalesInput = adaptor.getScalesInput(),
          roiInput = adaptor.getRoiInput();
    Value result;
    if (scalesInput || roiInput) {
      if (params.antialias)
        return rewriter.notifyMatchFailure(op, "antialias needs static scales");
      result = lowerWithRuntimeTaps(rewriter, op.getLoc(), op,
                                    adaptor.getInput(), scalesInput, roiInput,
                                    params);
    } else {
      result = lowerWithTables(rewriter, op.getLoc(), op, adaptor.getInput(),
                               params);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void kiln::populateResizeToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<ResizeLowering>(patterns.getContext());
}
