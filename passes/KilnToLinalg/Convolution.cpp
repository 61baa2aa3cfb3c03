//===- Convolution.cpp - kiln.conv → linalg named convolutions ------------===//
//
// NCHW convolution onto linalg's named ops, the forms tiling and
// vectorization know best: group 1 → conv_{1d_ncw_fcw,2d_nchw_fchw,
// 3d_ncdhw_fcdhw}; depthwise (group == C == M) → depthwise_conv_*_nc*_c*
// with the weight's unit dim collapsed; other 2-D groups →
// conv_2d_ngchw_gfchw on expanded input, weight and output (1-D groups as
// 2-D with a unit height). Pads become a
// zero tensor.pad; the bias seeds the accumulator through linalg.broadcast,
// so adding it costs nothing. conv_transpose is the same convolution over
// the input spread by its strides (zeros between neighbours) and padded to
// a full correlation, with the weight's channels swapped per group and its
// taps reversed.
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

/// Builds the named convolution `ConvOpTy` with strides and dilations.
template <typename ConvOpTy>
static Value buildNamedConv(OpBuilder &b, Location loc, Type resultType,
                            Value input, Value weight, Value init,
                            ArrayRef<int64_t> strides,
                            ArrayRef<int64_t> dilations) {
  SmallVector<NamedAttribute> attrs = {
      b.getNamedAttr("strides", b.getI64TensorAttr(strides)),
      b.getNamedAttr("dilations", b.getI64TensorAttr(dilations))};
  return ConvOpTy::create(b, loc, TypeRange{resultType},
                          ValueRange{input, weight}, ValueRange{init}, attrs)
      .getResult(0);
}

/// Why a convolution of this form cannot be lowered; empty if it can.
static StringRef checkConvForm(RankedTensorType inType, RankedTensorType wType,
                               int64_t group, int64_t outChannels) {
  int64_t spatial = inType.getRank() - 2;
  if (spatial < 1 || spatial > 3)
    return "only 1-D, 2-D and 3-D convolutions are supported";
  int64_t channels = inType.getDimSize(1);
  bool depthwise = group > 1 && channels == group && outChannels == group;
  if (group > 1 && !depthwise && spatial == 3)
    return "grouped (non-depthwise) convolution is only supported in 1-D "
           "and 2-D";
  if (group > 1 &&
      (ShapedType::isDynamic(channels) || ShapedType::isDynamic(outChannels)))
    return "grouped convolution needs static channel counts";
  return "";
}

/// The accumulator of a convolution: `bias` broadcast over N and the spatial
/// dims, or `zero`. The result's dynamic dims may only be N (taken from
/// `input`) and M (from `weight`'s dim `weightOutDim`).
static FailureOr<Value> buildConvInit(ConversionPatternRewriter &rewriter,
                                      Operation *op, RankedTensorType resultType,
                                      Value input, Value weight,
                                      int64_t weightOutDim, Value bias,
                                      Value zero) {
  Location loc = op->getLoc();
  SmallVector<Value> dynSizes;
  for (int64_t d = 0; d < resultType.getRank(); ++d) {
    if (!resultType.isDynamicDim(d))
      continue;
    if (d == 1) {
      dynSizes.push_back(getDimValue(rewriter, loc, weight, weightOutDim));
    } else if (d == 0) {
      dynSizes.push_back(getDimValue(rewriter, loc, input, 0));
    } else {
      return unsupported(rewriter, 
          op, "dynamic spatial dims are not supported yet");
    }
  }
  if (bias) {
    Value empty = createEmptyTensor(rewriter, loc, resultType, dynSizes);
    SmallVector<int64_t> addedDims = {0};
    for (int64_t d = 2; d < resultType.getRank(); ++d)
      addedDims.push_back(d);
    return linalg::BroadcastOp::create(rewriter, loc, bias, empty, addedDims)
        .getResult()[0];
  }
  return createFilledTensor(rewriter, loc, resultType, dynSizes, zero);
}

/// N x C x H x W → N x G x C/G x H x W (and the same split of M for the
/// weight and accumulator), conv_2d_ngchw_gfchw, then collapse back.
static Value buildGroupedConv(OpBuilder &b, Location loc,
                              RankedTensorType resultType, Value input,
                              Value weight, Value init, int64_t group,
                              ArrayRef<int64_t> strides,
                              ArrayRef<int64_t> dilations) {
  auto split = [&](Value v, int64_t dim) {
    auto type = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape(type.getShape().take_front(dim));
    shape.append({group, type.getDimSize(dim) / group});
    llvm::append_range(shape, type.getShape().drop_front(dim + 1));
    SmallVector<ReassociationIndices> groups;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      int64_t first = d <= dim ? d : d + 1;
      groups.push_back(d == dim ? ReassociationIndices{d, d + 1}
                                : ReassociationIndices{first});
    }
    auto expandedType = RankedTensorType::get(shape, type.getElementType());
    return std::make_pair(
        tensor::ExpandShapeOp::create(b, loc, expandedType, v, groups)
            .getResult(),
        groups);
  };
  Value in = split(input, 1).first;
  Value w = split(weight, 0).first;
  auto [acc, outGroups] = split(init, 1);
  Value conv = buildNamedConv<linalg::Conv2DNgchwGfchwOp>(
      b, loc, acc.getType(), in, w, acc, strides, dilations);
  return tensor::CollapseShapeOp::create(b, loc, resultType, conv, outGroups);
}

/// The convolution of the already padded `input` with `weight`
/// (M x C/group x K...) into `init`, as the named op that fits: group 1,
/// depthwise, or (2-D) grouped. The form must pass checkConvForm.
static Value buildConvolution(OpBuilder &b, Location loc,
                              RankedTensorType resultType, Value input,
                              Value weight, Value init, int64_t group,
                              ArrayRef<int64_t> strides,
                              ArrayRef<int64_t> dilations) {
  auto wType = cast<RankedTensorType>(weight.getType());
  int64_t spatial = resultType.getRank() - 2;
  if (group == 1) {
    if (spatial == 1)
      return buildNamedConv<linalg::Conv1DNcwFcwOp>(
          b, loc, resultType, input, weight, init, strides, dilations);
    if (spatial == 2)
      return buildNamedConv<linalg::Conv2DNchwFchwOp>(
          b, loc, resultType, input, weight, init, strides, dilations);
    return buildNamedConv<linalg::Conv3DNcdhwFcdhwOp>(
        b, loc, resultType, input, weight, init, strides, dilations);
  }
  bool depthwise = cast<RankedTensorType>(input.getType()).getDimSize(1) ==
                       group &&
                   wType.getDimSize(0) == group;
  if (!depthwise && spatial == 1) {
    // NCW as NC1W: the 2-D grouped conv with a unit-height window.
    auto unitHeight = [&](Value v) {
      auto type = cast<RankedTensorType>(v.getType());
      SmallVector<int64_t> shape(type.getShape());
      shape.insert(shape.begin() + 2, 1);
      return tensor::ExpandShapeOp::create(
                 b, loc, RankedTensorType::get(shape, type.getElementType()),
                 v, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}})
          .getResult();
    };
    auto type2d = cast<RankedTensorType>(unitHeight(init).getType());
    Value conv = buildGroupedConv(
        b, loc, type2d, unitHeight(input), unitHeight(weight),
        unitHeight(init), group, {1, strides[0]}, {1, dilations[0]});
    return tensor::CollapseShapeOp::create(
        b, loc, resultType, conv,
        SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
  }
  if (!depthwise)
    return buildGroupedConv(b, loc, resultType, input, weight, init, group,
                            strides, dilations);
  // M x 1 x K... → M x K...
  SmallVector<ReassociationIndices> groups = {{0, 1}};
  for (int64_t d = 2; d < wType.getRank(); ++d)
    groups.push_back({d});
  Value w = tensor::CollapseShapeOp::create(b, loc, weight, groups);
  if (spatial == 1)
    return buildNamedConv<linalg::DepthwiseConv1DNcwCwOp>(
        b, loc, resultType, input, w, init, strides, dilations);
  if (spatial == 2)
    return buildNamedConv<linalg::DepthwiseConv2DNchwChwOp>(
        b, loc, resultType, input, w, init, strides, dilations);
  return buildNamedConv<linalg::DepthwiseConv3DNcdhwCdhwOp>(
      b, loc, resultType, input, w, init, strides, dilations);
}

/// kiln.conv(x, w, bias) → pad(x, 0) ⊛ w into broadcast(bias)
struct ConvLowering : OpConversionPattern<ConvOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    Type elemType = resultType.getElementType();
    if (!isa<FloatType>(elemType))
      return unsupported(rewriter, op, "element type must be float");
    Location loc = op.getLoc();
    Value input = adaptor.getInput(), weight = adaptor.getWeight();
    auto inType = cast<RankedTensorType>(input.getType());
    auto wType = cast<RankedTensorType>(weight.getType());
    int64_t spatial = inType.getRank() - 2;
    StringRef why =
        checkConvForm(inType, wType, op.getGroup(), wType.getDimSize(0));
    if (!why.empty())
      return unsupported(rewriter, op, why);

    ArrayRef<int64_t> pads = op.getPads();
    SmallVector<int64_t> low(2, 0), high(2, 0);
    llvm::append_range(low, pads.take_front(spatial));
    llvm::append_range(high, pads.drop_front(spatial));
    Value zero = createScalarConstant(rewriter, loc, elemType, 0.0);
    input = padTensor(rewriter, loc, input, low, high, zero);

    auto init = buildConvInit(rewriter, op, resultType, input, weight, 0,
                              adaptor.getBias(), zero);
    if (failed(init))
      return failure();
    rewriter.replaceOp(op, buildConvolution(rewriter, loc, resultType, input,
                                            weight, *init, op.getGroup(),
                                            op.getStrides(),
                                            op.getDilations()));
    return success();
  }
};

/// The ConvTranspose weight C x M/G x K... as the equivalent convolution's
/// M x C/G x K...: per group, input and output channels swap and every
/// spatial dim is reversed.
static Value flipTransposedWeight(OpBuilder &b, Location loc, Value weight,
                                  int64_t group) {
  auto wType = cast<RankedTensorType>(weight.getType());
  int64_t spatial = wType.getRank() - 2;
  int64_t cg = wType.getDimSize(0) / group, mg = wType.getDimSize(1);
  // G x C/G x M/G x K... → G x M/G x C/G x K... (reversed K).
  SmallVector<int64_t> inShape = {group, cg, mg}, outShape = {group, mg, cg};
  llvm::append_range(inShape, wType.getShape().drop_front(2));
  llvm::append_range(outShape, wType.getShape().drop_front(2));
  SmallVector<ReassociationIndices> groups = {{0, 1}, {2}};
  for (int64_t d = 0; d < spatial; ++d)
    groups.push_back({d + 3});
  Type elem = wType.getElementType();
  Value expanded = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(inShape, elem), weight, groups);
  // A gather (linalg.index + tensor.extract): linalg's verifier rejects
  // reversing affine maps such as K - 1 - k.
  auto outType = RankedTensorType::get(outShape, elem);
  Value flipped = createElementwiseGeneric(
      b, loc, outType, {}, {}, {},
      [&](OpBuilder &nb, Location nloc, ValueRange) {
        SmallVector<Value> idx;
        for (int64_t d = 0; d < outType.getRank(); ++d)
          idx.push_back(linalg::IndexOp::create(nb, nloc, d));
        std::swap(idx[1], idx[2]);
        for (int64_t d = 0; d < spatial; ++d) {
          Value last = arith::ConstantIndexOp::create(
              nb, nloc, wType.getDimSize(d + 2) - 1);
          idx[d + 3] = arith::SubIOp::create(nb, nloc, last, idx[d + 3]);
        }
        return tensor::ExtractOp::create(nb, nloc, expanded, idx).getResult();
      });
  SmallVector<int64_t> convShape = {group * mg, cg};
  llvm::append_range(convShape, wType.getShape().drop_front(2));
  return tensor::CollapseShapeOp::create(
      b, loc, RankedTensorType::get(convShape, elem), flipped, groups);
}

/// kiln.conv_transpose(x, w, bias) → pad(insert_slice(x, stride) into 0)
///   ⊛ flip(w) into broadcast(bias)
struct ConvTransposeLowering : OpConversionPattern<ConvTransposeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ConvTransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    Type elemType = resultType.getElementType();
    if (!isa<FloatType>(elemType))
      return unsupported(rewriter, op, "element type must be float");
    Location loc = op.getLoc();
    Value input = adaptor.getInput(), weight = adaptor.getWeight();
    auto inType = cast<RankedTensorType>(input.getType());
    auto wType = cast<RankedTensorType>(weight.getType());
    int64_t spatial = inType.getRank() - 2, group = op.getGroup();
    if (!wType.hasStaticShape() ||
        llvm::is_contained(inType.getShape().drop_front(1),
                           ShapedType::kDynamic))
      return unsupported(rewriter, op, "needs static weight, channel and "
                                       "spatial dims");
    StringRef why = checkConvForm(inType, wType, group, resultType.getDimSize(1));
    if (!why.empty())
      return unsupported(rewriter, op, why);

    // Spread the input by the strides: zeros between neighbours.
    ArrayRef<int64_t> strides = op.getStrides(), pads = op.getPads();
    ArrayRef<int64_t> dilations = op.getDilations();
    Value zero = createScalarConstant(rewriter, loc, elemType, 0.0);
    if (llvm::any_of(strides, [](int64_t s) { return s != 1; })) {
      SmallVector<int64_t> shape(inType.getShape());
      SmallVector<int64_t> sliceStrides = {1, 1};
      for (int64_t i = 0; i < spatial; ++i) {
        shape[i + 2] = (shape[i + 2] - 1) * strides[i] + 1;
        sliceStrides.push_back(strides[i]);
      }
      auto spreadType = RankedTensorType::get(shape, elemType);
      SmallVector<Value> dynSizes;
      if (spreadType.isDynamicDim(0))
        dynSizes.push_back(getDimValue(rewriter, loc, input, 0));
      Value spread =
          createFilledTensor(rewriter, loc, spreadType, dynSizes, zero);
      SmallVector<OpFoldResult> offsets(inType.getRank(),
                                        rewriter.getIndexAttr(0));
      input = tensor::InsertSliceOp::create(
          rewriter, loc, input, spread, offsets,
          getMixedDims(rewriter, loc, input),
          getAsIndexOpFoldResult(rewriter.getContext(), sliceStrides));
    }

    // Full-correlation padding (K - 1) * dilation less the op's pads; a
    // negative amount drops input instead.
    auto spreadType = cast<RankedTensorType>(input.getType());
    SmallVector<int64_t> low(2, 0), high(2, 0), dropLow(2, 0), keep;
    keep = SmallVector<int64_t>(spreadType.getShape());
    bool drops = false;
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t full = (wType.getDimSize(i + 2) - 1) * dilations[i];
      int64_t lo = full - pads[i];
      int64_t hi = resultType.getDimSize(i + 2) + pads[i] -
                   spreadType.getDimSize(i + 2);
      low.push_back(std::max<int64_t>(lo, 0));
      high.push_back(std::max<int64_t>(hi, 0));
      dropLow.push_back(std::max<int64_t>(-lo, 0));
      keep[i + 2] -= dropLow.back() + std::max<int64_t>(-hi, 0);
      drops |= lo < 0 || hi < 0;
    }
    if (drops) {
      SmallVector<OpFoldResult> sizes = getMixedDims(rewriter, loc, input);
      for (int64_t i = 0; i < spatial; ++i)
        sizes[i + 2] = rewriter.getIndexAttr(keep[i + 2]);
      SmallVector<OpFoldResult> ones(inType.getRank(),
                                     rewriter.getIndexAttr(1));
      input = tensor::ExtractSliceOp::create(
          rewriter, loc, input,
          getAsIndexOpFoldResult(rewriter.getContext(), dropLow), sizes, ones);
    }
    input = padTensor(rewriter, loc, input, low, high, zero);

    Value convWeight = flipTransposedWeight(rewriter, loc, weight, group);
    auto init = buildConvInit(rewriter, op, resultType, input, convWeight, 0,
                              adaptor.getBias(), zero);
    if (failed(init))
      return failure();
    SmallVector<int64_t> unit(spatial, 1);
    rewriter.replaceOp(op, buildConvolution(rewriter, loc, resultType, input,
                                            convWeight, *init, group, unit,
                                            dilations));
    return success();
  }
};

} // namespace

void kiln::populateConvolutionToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<ConvLowering, ConvTransposeLowering>(patterns.getContext());
}
