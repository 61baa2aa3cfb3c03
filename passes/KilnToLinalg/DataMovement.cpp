//===- DataMovement.cpp - kiln data movement ops → tensor / linalg --------===//
//
// constant → arith.constant (same attribute, dense_resource included);
// reshape → tensor.collapse_shape / expand_shape when it only merges or
// splits adjacent dims, else (static shapes) collapse to 1-D and expand;
// transpose → linalg.transpose; concat → tensor.empty + one
// tensor.insert_slice per input (bufferizes in place, no copy kernel);
// range → an index-driven generic.
//
//===----------------------------------------------------------------------===//

#include "passes/KilnToLinalg/KilnToLinalg.h"

#include "dialects/kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// kiln.constant → arith.constant with the same attribute
struct ConstantLowering : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ConstantOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto value = dyn_cast<TypedAttr>(op.getValue());
    if (!value)
      return unsupported(rewriter, op, "constant value is not typed");
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, value);
    return success();
  }
};

/// True when an expand into `type` along `groups` has at most one dynamic
/// dim per group (the only case tensor.expand_shape can size by itself).
static bool canInferExpand(RankedTensorType type,
                           ArrayRef<ReassociationIndices> groups) {
  return llvm::all_of(groups, [&](const ReassociationIndices &g) {
    return llvm::count_if(g, [&](int64_t d) { return type.isDynamicDim(d); }) <=
           1;
  });
}

/// kiln.reshape → tensor.collapse_shape | tensor.expand_shape | both
struct ReshapeLowering : OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inType = cast<RankedTensorType>(input.getType());
    auto outType = cast<RankedTensorType>(op.getType());
    if (inType == outType) {
      rewriter.replaceOp(op, input);
      return success();
    }
    if (!adaptor.getSizes().empty())
      return lowerWithSizes(op, input, adaptor.getSizes(), rewriter);
    if (inType.getRank() > outType.getRank()) {
      if (auto groups = getReassociationIndicesForReshape(inType, outType)) {
        rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(op, outType, input,
                                                             *groups);
        return success();
      }
    } else if (inType.getRank() < outType.getRank()) {
      auto groups = getReassociationIndicesForReshape(outType, inType);
      if (groups && canInferExpand(outType, *groups)) {
        rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, outType, input,
                                                           *groups);
        return success();
      }
    }
    if (llvm::count_if(outType.getShape(), ShapedType::isDynamic) > 1)
      return unsupported(rewriter, 
          op, "reshape to more than one dynamic dim that is not a pure "
              "collapse or expand of adjacent dims");
    // General reshape: flatten, then split; a dynamic result dim is the
    // element count over the static ones.
    auto flatType = RankedTensorType::get(
        {inType.hasStaticShape() ? inType.getNumElements() : ShapedType::kDynamic},
        inType.getElementType());
    auto allDims = [](int64_t rank) {
      ReassociationIndices g;
      for (int64_t d = 0; d < rank; ++d)
        g.push_back(d);
      return SmallVector<ReassociationIndices>{g};
    };
    Value flat = input;
    if (inType.getRank() != 1)
      flat = tensor::CollapseShapeOp::create(rewriter, loc, flatType, input,
                                             allDims(inType.getRank()));
    Value result = flat;
    if (outType.hasStaticShape() && !flatType.hasStaticShape()) {
      flatType = RankedTensorType::get({outType.getNumElements()}, flatType.getElementType());
      result = flat = tensor::CastOp::create(rewriter, loc, flatType, flat);
    }
    if (outType.getRank() != 1 && outType.hasStaticShape()) {
      result = tensor::ExpandShapeOp::create(rewriter, loc, outType, flat,
                                             allDims(outType.getRank()));
    } else if (outType.getRank() != 1) {
      Value count = getDimValue(rewriter, loc, flat, 0);
      int64_t known = 1;
      for (int64_t size : outType.getShape())
        known *= ShapedType::isDynamic(size) ? 1 : size;
      Value rest = arith::DivUIOp::create(
          rewriter, loc, count, arith::ConstantIndexOp::create(rewriter, loc, known));
      SmallVector<OpFoldResult> sizes;
      for (int64_t size : outType.getShape())
        sizes.push_back(ShapedType::isDynamic(size) ? OpFoldResult(rest)
                                                    : rewriter.getIndexAttr(size));
      result = tensor::ExpandShapeOp::create(rewriter, loc, outType, flat,
                                             allDims(outType.getRank()), sizes);
    } else if (result.getType() != outType) {
      result = tensor::CastOp::create(rewriter, loc, outType, result);
    }
    rewriter.replaceOp(op, result);
    return success();
  }

private:
  /// Run-time result sizes: a split of adjacent dims is one expand_shape, a
  /// merge with at most one dynamic result dim one collapse_shape; anything
  /// else with several dynamic dims a tensor.reshape by a shape tensor (a
  /// collapse cannot be trusted to group several dynamic dims the way the
  /// sizes do), and the rest flattens and splits.
  LogicalResult lowerWithSizes(ReshapeOp op, Value input, ValueRange dynSizes,
                               ConversionPatternRewriter &rewriter) const {
    Location loc = op.getLoc();
    auto inType = cast<RankedTensorType>(input.getType());
    auto outType = cast<RankedTensorType>(op.getType());
    SmallVector<OpFoldResult> sizes;
    unsigned next = 0;
    for (int64_t size : outType.getShape())
      sizes.push_back(ShapedType::isDynamic(size)
                          ? OpFoldResult(dynSizes[next++])
                          : OpFoldResult(rewriter.getIndexAttr(size)));
    if (inType.getRank() < outType.getRank()) {
      auto groups = getReassociationIndicesForReshape(outType, inType);
      if (groups && canInferExpand(outType, *groups)) {
        rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, outType, input,
                                                           *groups, sizes);
        return success();
      }
    } else if (outType.getNumDynamicDims() <= 1) {
      // The one dynamic dim follows from the element count, whatever the
      // grouping.
      if (auto groups = getReassociationIndicesForReshape(inType, outType)) {
        rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(op, outType, input,
                                                             *groups);
        return success();
      }
    }
    if (outType.getNumDynamicDims() > 1) {
      // Several dynamic dims in one group: expand-strided-metadata cannot
      // size such an expand_shape, so go through a shape tensor.
      SmallVector<Value> dims;
      for (OpFoldResult size : sizes)
        dims.push_back(arith::IndexCastOp::create(
            rewriter, loc, rewriter.getI64Type(),
            getValueOrCreateConstantIndexOp(rewriter, loc, size)));
      Value shape = tensor::FromElementsOp::create(
          rewriter, loc,
          RankedTensorType::get({outType.getRank()}, rewriter.getI64Type()),
          dims);
      rewriter.replaceOpWithNewOp<tensor::ReshapeOp>(op, outType, input, shape);
      return success();
    }
    Value flat = input;
    if (inType.getRank() != 1) {
      ReassociationIndices all;
      for (int64_t d = 0; d < inType.getRank(); ++d)
        all.push_back(d);
      auto flatType = RankedTensorType::get(
          {inType.hasStaticShape() ? inType.getNumElements()
                                   : ShapedType::kDynamic},
          inType.getElementType());
      flat = tensor::CollapseShapeOp::create(
          rewriter, loc, flatType, input,
          ArrayRef<ReassociationIndices>{all});
    }
    if (outType.getRank() == 1) {
      rewriter.replaceOpWithNewOp<tensor::CastOp>(op, outType, flat);
      return success();
    }
    ReassociationIndices all;
    for (int64_t d = 0; d < outType.getRank(); ++d)
      all.push_back(d);
    if (!cast<RankedTensorType>(flat.getType()).hasStaticShape() &&
        outType.hasStaticShape())
      flat = tensor::CastOp::create(
          rewriter, loc,
          RankedTensorType::get({outType.getNumElements()},
                                outType.getElementType()),
          flat);
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
        op, outType, flat, ArrayRef<ReassociationIndices>{all}, sizes);
    return success();
  }
};

/// kiln.range(start, delta) → generic { start + index * delta }
struct RangeLowering : OpConversionPattern<RangeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(RangeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto outType = cast<RankedTensorType>(op.getType());
    Type et = outType.getElementType();
    if (!isa<FloatType>(et) && !et.isSignlessInteger())
      return unsupported(rewriter, op, "range of this element type");
    Value start = tensor::ExtractOp::create(rewriter, loc, adaptor.getStart(),
                                            ValueRange{});
    Value delta = tensor::ExtractOp::create(rewriter, loc, adaptor.getDelta(),
                                            ValueRange{});
    Value result = createElementwiseGeneric(
        rewriter, loc, outType, adaptor.getSize(), {}, {},
        [&](OpBuilder &b, Location l, ValueRange) -> Value {
          Value i = linalg::IndexOp::create(b, l, 0);
          Value i64 = arith::IndexCastOp::create(b, l, b.getI64Type(), i);
          if (auto ft = dyn_cast<FloatType>(et)) {
            Value f = arith::SIToFPOp::create(b, l, ft, i64);
            return arith::AddFOp::create(
                b, l, start, arith::MulFOp::create(b, l, f, delta));
          }
          Value n = et.getIntOrFloatBitWidth() == 64
                        ? i64
                        : arith::TruncIOp::create(b, l, et, i64).getResult();
          return arith::AddIOp::create(b, l, start,
                                       arith::MulIOp::create(b, l, n, delta));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// kiln.transpose(x) {perm} → linalg.transpose ins(x) outs(empty) perm
struct TransposeLowering : OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto outType = cast<RankedTensorType>(op.getType());
    SmallVector<Value> dynSizes;
    for (auto [d, p] : llvm::enumerate(op.getPerm()))
      if (outType.isDynamicDim(d))
        dynSizes.push_back(tensor::DimOp::create(rewriter, loc, input, p));
    Value init = createEmptyTensor(rewriter, loc, outType, dynSizes);
    auto transpose =
        linalg::TransposeOp::create(rewriter, loc, input, init, op.getPerm());
    rewriter.replaceOp(op, transpose.getResult()[0]);
    return success();
  }
};

/// kiln.concat(a, b, ...) {axis} → insert_slice(b, insert_slice(a, empty))
struct ConcatLowering : OpConversionPattern<ConcatOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto outType = cast<RankedTensorType>(op.getType());
    int64_t axis = op.getAxis();
    ValueRange inputs = adaptor.getInputs();
    if (inputs.size() == 1) {
      rewriter.replaceOp(op, inputs.front());
      return success();
    }
    // Sizes of every input, and the result's (axis: their sum).
    SmallVector<SmallVector<OpFoldResult>> sizes;
    for (Value v : inputs)
      sizes.push_back(tensor::getMixedSizes(rewriter, loc, v));
    SmallVector<Value> dynSizes;
    for (int64_t d = 0; d < outType.getRank(); ++d) {
      if (!outType.isDynamicDim(d))
        continue;
      if (d != axis) {
        auto it = llvm::find_if(inputs, [&](Value v) {
          return cast<RankedTensorType>(v.getType()).isDynamicDim(d);
        });
        dynSizes.push_back(tensor::DimOp::create(rewriter, loc, *it, d));
        continue;
      }
      Value total = arith::ConstantIndexOp::create(rewriter, loc, 0);
      for (Value v : inputs)
        total = arith::AddIOp::create(rewriter, loc, total,
                                      getDimValue(rewriter, loc, v, axis));
      dynSizes.push_back(total);
    }
    Value result = createEmptyTensor(rewriter, loc, outType, dynSizes);

    OpFoldResult offset = rewriter.getIndexAttr(0);
    SmallVector<OpFoldResult> strides(outType.getRank(),
                                      rewriter.getIndexAttr(1));
    for (auto [v, vSizes] : llvm::zip(inputs, sizes)) {
      // An empty input adds nothing; its insert_slice would sit at an
      // out-of-bounds offset when it comes last.
      if (isConstantIntValue(vSizes[axis], 0))
        continue;
      SmallVector<OpFoldResult> offsets(outType.getRank(),
                                        rewriter.getIndexAttr(0));
      offsets[axis] = offset;
      result = tensor::InsertSliceOp::create(rewriter, loc, v, result, offsets,
                                             vSizes, strides);
      std::optional<int64_t> a = getConstantIntValue(offset);
      std::optional<int64_t> b = getConstantIntValue(vSizes[axis]);
      if (a && b) {
        offset = rewriter.getIndexAttr(*a + *b);
      } else {
        offset = arith::AddIOp::create(
                     rewriter, loc,
                     getValueOrCreateConstantIndexOp(rewriter, loc, offset),
                     getValueOrCreateConstantIndexOp(rewriter, loc,
                                                     vSizes[axis]))
                     .getResult();
      }
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void kiln::populateDataMovementToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<ConstantLowering, ReshapeLowering, TransposeLowering,
               ConcatLowering, RangeLowering>(patterns.getContext());
}
