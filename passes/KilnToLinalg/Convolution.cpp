//===- Convolution.cpp - kiln.conv → linalg named convolutions ------------===//
//
// NCHW convolution onto linalg's named ops, the forms tiling and
// vectorization know best: group 1 → conv_{1d_ncw_fcw,2d_nchw_fchw,
// 3d_ncdhw_fcdhw}; depthwise (group == C == M) → depthwise_conv_*_nc*_c*
// with the weight's unit dim collapsed; other 2-D groups →
// conv_2d_ngchw_gfchw on expanded input, weight and output. Pads become a
// zero tensor.pad; the bias seeds the accumulator through linalg.broadcast,
// so adding it costs nothing.
//
//===----------------------------------------------------------------------===//

#include "passes/KilnToLinalg/KilnToLinalg.h"

#include "dialects/kiln/IR/KilnOps.h"

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
    if (spatial < 1 || spatial > 3)
      return unsupported(rewriter, op, "only 1-D, 2-D and 3-D "
                                             "convolutions are supported");
    int64_t group = op.getGroup();
    int64_t channels = inType.getDimSize(1), outChannels = wType.getDimSize(0);
    bool depthwise = group > 1 && channels == group && outChannels == group;
    if (group > 1 && !depthwise && spatial != 2)
      return unsupported(rewriter, 
          op, "grouped (non-depthwise) convolution is only supported in 2-D");
    if (group > 1 && (ShapedType::isDynamic(channels) ||
                      ShapedType::isDynamic(outChannels)))
      return unsupported(rewriter, 
          op, "grouped convolution needs static channel counts");

    ArrayRef<int64_t> pads = op.getPads();
    SmallVector<int64_t> low(2, 0), high(2, 0);
    llvm::append_range(low, pads.take_front(spatial));
    llvm::append_range(high, pads.drop_front(spatial));
    Value zero = createScalarConstant(rewriter, loc, elemType, 0.0);
    input = padTensor(rewriter, loc, input, low, high, zero);

    // Accumulator: the bias broadcast over N and the spatial dims, or zero.
    SmallVector<Value> dynSizes;
    for (int64_t d = 0; d < resultType.getRank(); ++d) {
      if (!resultType.isDynamicDim(d))
        continue;
      if (d == 1) {
        dynSizes.push_back(getDimValue(rewriter, loc, weight, 0));
      } else if (d == 0) {
        dynSizes.push_back(getDimValue(rewriter, loc, input, 0));
      } else {
        return unsupported(rewriter, 
            op, "dynamic spatial dims are not supported yet");
      }
    }
    Value init;
    if (Value bias = adaptor.getBias()) {
      Value empty = createEmptyTensor(rewriter, loc, resultType, dynSizes);
      SmallVector<int64_t> addedDims = {0};
      for (int64_t d = 2; d < resultType.getRank(); ++d)
        addedDims.push_back(d);
      init = linalg::BroadcastOp::create(rewriter, loc, bias, empty, addedDims)
                 .getResult()[0];
    } else {
      init = createFilledTensor(rewriter, loc, resultType, dynSizes, zero);
    }

    ArrayRef<int64_t> strides = op.getStrides(), dilations = op.getDilations();
    Value result;
    if (group == 1) {
      if (spatial == 1)
        result = buildNamedConv<linalg::Conv1DNcwFcwOp>(
            rewriter, loc, resultType, input, weight, init, strides, dilations);
      else if (spatial == 2)
        result = buildNamedConv<linalg::Conv2DNchwFchwOp>(
            rewriter, loc, resultType, input, weight, init, strides, dilations);
      else
        result = buildNamedConv<linalg::Conv3DNcdhwFcdhwOp>(
            rewriter, loc, resultType, input, weight, init, strides, dilations);
    } else if (depthwise) {
      // M x 1 x K... → M x K...
      SmallVector<ReassociationIndices> groups = {{0, 1}};
      for (int64_t d = 2; d < wType.getRank(); ++d)
        groups.push_back({d});
      Value w = tensor::CollapseShapeOp::create(rewriter, loc, weight, groups);
      if (spatial == 1)
        result = buildNamedConv<linalg::DepthwiseConv1DNcwCwOp>(
            rewriter, loc, resultType, input, w, init, strides, dilations);
      else if (spatial == 2)
        result = buildNamedConv<linalg::DepthwiseConv2DNchwChwOp>(
            rewriter, loc, resultType, input, w, init, strides, dilations);
      else
        result = buildNamedConv<linalg::DepthwiseConv3DNcdhwCdhwOp>(
            rewriter, loc, resultType, input, w, init, strides, dilations);
    } else {
      result = buildGroupedConv(rewriter, loc, resultType, input, weight, init,
                                group, strides, dilations);
    }
    rewriter.replaceOp(op, result);
    return success();
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
};

} // namespace

void kiln::populateConvolutionToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<ConvLowering>(patterns.getContext());
}
