//===- Utils.cpp - builders shared by the kiln → linalg families ----------===//
//
// Small IR builders every op family needs: tensor.empty with the right
// dynamic sizes, fills, numpy broadcast indexing maps, all-parallel
// elementwise generics (the form kiln-fuse-elementwise fuses), padding,
// reductions and means.
//
//===----------------------------------------------------------------------===//

#include "passes/KilnToLinalg/KilnToLinalg.h"
#include "passes/KilnToLinalg/ReductionBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

Value kiln::getDimValue(OpBuilder &b, Location loc, Value tensor, int64_t dim) {
  auto type = cast<RankedTensorType>(tensor.getType());
  if (!type.isDynamicDim(dim))
    return arith::ConstantIndexOp::create(b, loc, type.getDimSize(dim));
  return tensor::DimOp::create(b, loc, tensor, dim);
}

SmallVector<Value> kiln::getDynamicSizes(OpBuilder &b, Location loc,
                                         Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      sizes.push_back(tensor::DimOp::create(b, loc, tensor, d));
  return sizes;
}

Value kiln::createScalarConstant(OpBuilder &b, Location loc, Type type,
                                 double value) {
  if (isa<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(type, static_cast<int64_t>(value)));
}

Value kiln::createEmptyTensor(OpBuilder &b, Location loc, RankedTensorType type,
                              ValueRange dynSizes) {
  return tensor::EmptyOp::create(b, loc, type, dynSizes);
}

Value kiln::createFilledTensor(OpBuilder &b, Location loc,
                               RankedTensorType type, ValueRange dynSizes,
                               Value fill) {
  Value empty = createEmptyTensor(b, loc, type, dynSizes);
  return linalg::FillOp::create(b, loc, ValueRange{fill}, ValueRange{empty})
      .getResult(0);
}

AffineMap kiln::getBroadcastMap(RankedTensorType operand,
                                RankedTensorType result) {
  MLIRContext *ctx = result.getContext();
  int64_t offset = result.getRank() - operand.getRank();
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i < operand.getRank(); ++i) {
    int64_t d = i + offset;
    bool broadcasts = operand.getDimSize(i) == 1 && result.getDimSize(d) != 1;
    exprs.push_back(broadcasts ? getAffineConstantExpr(0, ctx)
                               : getAffineDimExpr(d, ctx));
  }
  return AffineMap::get(result.getRank(), 0, exprs, ctx);
}

SmallVector<Value> kiln::getBroadcastDynamicSizes(OpBuilder &b, Location loc,
                                                  RankedTensorType result,
                                                  ValueRange operands) {
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < result.getRank(); ++d) {
    if (!result.isDynamicDim(d))
      continue;
    for (Value operand : operands) {
      auto type = cast<RankedTensorType>(operand.getType());
      int64_t i = d - (result.getRank() - type.getRank());
      if (i >= 0 && type.isDynamicDim(i)) {
        sizes.push_back(tensor::DimOp::create(b, loc, operand, i));
        break;
      }
    }
  }
  return sizes;
}

Value kiln::createElementwiseGeneric(OpBuilder &b, Location loc,
                                     RankedTensorType resultType,
                                     ValueRange dynSizes, ValueRange inputs,
                                     ArrayRef<AffineMap> inputMaps,
                                     ScalarFn body) {
  Value init = createEmptyTensor(b, loc, resultType, dynSizes);
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(b.getMultiDimIdentityMap(resultType.getRank()));
  SmallVector<utils::IteratorType> iterators(resultType.getRank(),
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value v = body(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, v);
      });
  return generic.getResult(0);
}

Value kiln::padTensor(OpBuilder &b, Location loc, Value input,
                      ArrayRef<int64_t> low, ArrayRef<int64_t> high,
                      Value padValue) {
  if (llvm::all_of(low, [](int64_t p) { return p == 0; }) &&
      llvm::all_of(high, [](int64_t p) { return p == 0; }))
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  auto padded = tensor::PadOp::inferResultType(type, low, high);
  return tensor::PadOp::create(b, loc, padded, input,
                               getAsIndexOpFoldResult(b.getContext(), low),
                               getAsIndexOpFoldResult(b.getContext(), high),
                               padValue);
}

Value kiln::createReduction(OpBuilder &b, Location loc, Value input,
                            ArrayRef<int64_t> axes, Value init,
                            ScalarFn combine) {
  auto type = cast<RankedTensorType>(input.getType());
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> shape;
  SmallVector<Value> dynSizes;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (llvm::is_contained(axes, d)) {
      iterators.push_back(utils::IteratorType::reduction);
      continue;
    }
    iterators.push_back(utils::IteratorType::parallel);
    shape.push_back(type.getDimSize(d));
    outExprs.push_back(getAffineDimExpr(d, ctx));
    if (type.isDynamicDim(d))
      dynSizes.push_back(tensor::DimOp::create(b, loc, input, d));
  }
  auto outType = RankedTensorType::get(shape, type.getElementType());
  Value acc = createFilledTensor(b, loc, outType, dynSizes, init);
  SmallVector<AffineMap> maps = {
      b.getMultiDimIdentityMap(type.getRank()),
      AffineMap::get(type.getRank(), 0, outExprs, ctx)};
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{outType}, ValueRange{input}, ValueRange{acc}, maps,
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, combine(nb, nloc, args));
      });
  return generic.getResult(0);
}

Value kiln::createMean(OpBuilder &b, Location loc, Value input,
                       ArrayRef<int64_t> axes, RankedTensorType resultType) {
  auto type = cast<RankedTensorType>(input.getType());
  Type elemType = type.getElementType();
  Value zero = createScalarConstant(b, loc, elemType, 0.0);
  Value sum = createReduction(b, loc, input, axes, zero,
                              [](OpBuilder &nb, Location nloc, ValueRange a) {
                                return arith::AddFOp::create(nb, nloc, a[0],
                                                             a[1])
                                    .getResult();
                              });
  // 1/count: folded to one constant when the reduced dims are static.
  int64_t staticCount = 1;
  Value dynCount;
  for (int64_t axis : axes) {
    if (!type.isDynamicDim(axis)) {
      staticCount *= type.getDimSize(axis);
      continue;
    }
    Value dim = tensor::DimOp::create(b, loc, input, axis);
    dynCount = dynCount ? arith::MulIOp::create(b, loc, dynCount, dim).getResult()
                        : dim;
  }
  Value scale;
  if (!dynCount) {
    scale = createScalarConstant(b, loc, elemType, 1.0 / double(staticCount));
  } else {
    Value count = arith::MulIOp::create(
        b, loc, dynCount, arith::ConstantIndexOp::create(b, loc, staticCount));
    Value countInt = arith::IndexCastOp::create(b, loc, b.getI64Type(), count);
    Value countFp = arith::UIToFPOp::create(b, loc, elemType, countInt);
    scale = arith::DivFOp::create(
        b, loc, createScalarConstant(b, loc, elemType, 1.0), countFp);
  }
  auto sumType = cast<RankedTensorType>(sum.getType());
  Value mean = createElementwiseGeneric(
      b, loc, sumType, getDynamicSizes(b, loc, sum), ValueRange{sum},
      {b.getMultiDimIdentityMap(sumType.getRank())},
      [&](OpBuilder &nb, Location nloc, ValueRange a) {
        return arith::MulFOp::create(nb, nloc, a[0], scale).getResult();
      });
  return restoreKeptDims(b, loc, mean, resultType, axes);
}

Value kiln::createEmptyLike(OpBuilder &b, Location loc, Value like, Type elementType) {
  auto type = cast<RankedTensorType>(like.getType());
  if (elementType)
    type = type.clone(elementType);
  return tensor::EmptyOp::create(b, loc, type, getDynamicSizes(b, loc, like));
}

Value kiln::createEmptyFromDims(OpBuilder &b, Location loc, RankedTensorType type, Value source,
                                ArrayRef<int64_t> sourceDims) {
  assert(sourceDims.size() == static_cast<size_t>(type.getRank()) &&
         "one source dim per result dim");
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      sizes.push_back(getDimValue(b, loc, source, sourceDims[d]));
  return tensor::EmptyOp::create(b, loc, type, sizes);
}

SmallVector<OpFoldResult> kiln::getMixedDims(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (type.isDynamicDim(d))
      sizes.push_back(tensor::DimOp::create(b, loc, tensor, d).getResult());
    else
      sizes.push_back(b.getIndexAttr(type.getDimSize(d)));
  }
  return sizes;
}
