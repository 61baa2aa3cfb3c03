//===- Linear.cpp - kiln.gemm / kiln.matmul → linalg contractions ---------===//
//
// gemm becomes linalg.matmul with transposes folded into its indexing_maps;
// C seeds the accumulator when alpha is 1 (bias for free), otherwise one
// trailing elementwise generic applies alpha/beta. matmul picks the named
// op when the shapes fit (2-D: linalg.matmul, equal 3-D batches:
// linalg.batch_matmul) and otherwise one linalg.generic with numpy batch
// broadcasting and 1-D promotion in its maps, reduction dim last. Narrow
// floats (f16, bf16) accumulate in f32 and round once at the end. einsum is
// one linalg.generic built from the equation: output letters are the
// parallel loops, the other letters reduction loops.
//
//===----------------------------------------------------------------------===//

#include "passes/KilnToLinalg/ReductionBuilders.h"

#include "dialects/kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::kiln;

/// `acc` (an f32 accumulator of a narrower float result) rounded to
/// `resultType` by one elementwise generic; `acc` itself when types agree.
static Value roundToResultType(OpBuilder &b, Location loc, Value acc,
                               RankedTensorType resultType,
                               ValueRange dynSizes) {
  if (acc.getType() == resultType)
    return acc;
  Type elemType = resultType.getElementType();
  return createElementwiseGeneric(
      b, loc, resultType, dynSizes, {acc},
      {b.getMultiDimIdentityMap(resultType.getRank())},
      [&](OpBuilder &nb, Location l, ValueRange a) {
        return castFloat(nb, l, a[0], elemType);
      });
}

namespace {

/// kiln.gemm(A, B, C) → linalg.matmul {indexing_maps with transposes}
///   outs(broadcast(beta * C)) when alpha == 1, else outs(0) + epilogue.
struct GemmLowering : OpConversionPattern<GemmOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(GemmOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    Type elemType = resultType.getElementType();
    if (!isa<FloatType>(elemType))
      return unsupported(rewriter, op, "element type must be float");
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value a = adaptor.getA(), b = adaptor.getB(), c = adaptor.getC();
    bool transA = op.getTransA(), transB = op.getTransB();
    double alpha = op.getAlpha().convertToDouble();
    double beta = op.getBeta().convertToDouble();
    if (beta == 0.0)
      c = Value();

    SmallVector<Value> dynSizes;
    if (resultType.isDynamicDim(0))
      dynSizes.push_back(getDimValue(rewriter, loc, a, transA ? 1 : 0));
    if (resultType.isDynamicDim(1))
      dynSizes.push_back(getDimValue(rewriter, loc, b, transB ? 0 : 1));

    // Seed the accumulator with beta * C when that is all the epilogue does.
    Value init;
    if (c && alpha == 1.0) {
      auto cType = cast<RankedTensorType>(c.getType());
      init = createElementwiseGeneric(
          rewriter, loc, resultType, dynSizes, {c},
          {getBroadcastMap(cType, resultType)},
          [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
            if (beta == 1.0)
              return args[0];
            Value betaV = createScalarConstant(nb, l, elemType, beta);
            return arith::MulFOp::create(nb, l, args[0], betaV);
          });
    } else {
      init = createFilledTensor(rewriter, loc, resultType, dynSizes,
                                createScalarConstant(rewriter, loc, elemType, 0));
    }

    AffineExpr m, n, k;
    bindDims(ctx, m, n, k);
    auto map = [&](AffineExpr x, AffineExpr y) {
      return AffineMap::get(3, 0, {x, y}, ctx);
    };
    SmallVector<Attribute> maps = {
        AffineMapAttr::get(transA ? map(k, m) : map(m, k)),
        AffineMapAttr::get(transB ? map(n, k) : map(k, n)),
        AffineMapAttr::get(map(m, n))};
    auto matmul = linalg::MatmulOp::create(rewriter, loc, TypeRange{resultType},
                                           ValueRange{a, b}, ValueRange{init});
    matmul.setIndexingMapsAttr(rewriter.getArrayAttr(maps));
    Value result = matmul.getResult(0);

    if (alpha != 1.0) {
      SmallVector<Value> inputs = {result};
      SmallVector<AffineMap> inMaps = {rewriter.getMultiDimIdentityMap(2)};
      if (c) {
        inputs.push_back(c);
        inMaps.push_back(
            getBroadcastMap(cast<RankedTensorType>(c.getType()), resultType));
      }
      result = createElementwiseGeneric(
          rewriter, loc, resultType, dynSizes, inputs, inMaps,
          [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
            Value v = arith::MulFOp::create(
                nb, l, args[0], createScalarConstant(nb, l, elemType, alpha));
            if (args.size() == 1)
              return v;
            Value cv = args[1];
            if (beta != 1.0)
              cv = arith::MulFOp::create(
                  nb, l, cv, createScalarConstant(nb, l, elemType, beta));
            return arith::AddFOp::create(nb, l, v, cv);
          });
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// a[..., m, k] x b[k, n] → expand(matmul(collapse(a) : [(...)*m, k], b)),
/// and a[B..., m, k] x b[B..., k, n] with equal batch dims (rank > 3) →
/// expand(batch_matmul(collapse(a), collapse(b))), so the named ops (which
/// the runtime's GEMM computes) cover the transformer shapes instead of the
/// general generic. Batch dims must be static; m, n and k may be symbolic (a
/// symbolic sequence length). Null if neither form fits.
static Value foldBatchIntoNamedMatmul(OpBuilder &b, Location loc, Value lhs,
                                      Value rhs, RankedTensorType resultType,
                                      Type acc) {
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  int64_t lr = lhsType.getRank(), rr = rhsType.getRank();
  Type elemType = resultType.getElementType();
  if (lr < 2 || rr < 2)
    return nullptr;
  for (int64_t d = 0; d + 2 < lr; ++d)
    if (lhsType.isDynamicDim(d))
      return nullptr;
  for (int64_t d = 0; d + 2 < rr; ++d)
    if (rhsType.isDynamicDim(d))
      return nullptr;
  auto collapse = [&](Value v, ArrayRef<ReassociationIndices> groups) {
    return tensor::CollapseShapeOp::create(b, loc, v, groups).getResult();
  };
  // Named ops take f16/bf16 operands with an f32 accumulator (their bodies
  // extend the operands); the result is rounded once at the end.
  auto zeroFilled = [&](ArrayRef<int64_t> shape, ValueRange dynSizes) {
    return createFilledTensor(b, loc, RankedTensorType::get(shape, acc),
                              dynSizes, createScalarConstant(b, loc, acc, 0.0));
  };
  auto accTypeOf = [&](ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, acc);
  };
  // The result's sizes: batch dims and m from lhs, n from rhs.
  SmallVector<OpFoldResult> resultSizes;
  SmallVector<Value> resultDynSizes;
  for (int64_t d = 0; d < resultType.getRank(); ++d) {
    bool isN = d == resultType.getRank() - 1;
    Value from = isN ? rhs : lhs;
    int64_t fromDim = isN ? rr - 1 : d - (resultType.getRank() - lr);
    if (!resultType.isDynamicDim(d)) {
      resultSizes.push_back(b.getIndexAttr(resultType.getDimSize(d)));
      continue;
    }
    Value size = tensor::DimOp::create(b, loc, from, fromDim);
    resultSizes.push_back(size);
    resultDynSizes.push_back(size);
  }
  auto finish = [&](Value product,
                    ArrayRef<ReassociationIndices> groups) -> Value {
    Value result = groups.empty()
                       ? product
                       : tensor::ExpandShapeOp::create(
                             b, loc, accTypeOf(resultType.getShape()), product,
                             groups, resultSizes)
                             .getResult();
    return acc == elemType
               ? result
               : roundToResultType(b, loc, result, resultType, resultDynSizes);
  };
  auto matmulOf = [&](Value a, Value bv) {
    int64_t m = cast<RankedTensorType>(a.getType()).getDimSize(0);
    int64_t n = cast<RankedTensorType>(bv.getType()).getDimSize(1);
    SmallVector<Value> dyn;
    if (ShapedType::isDynamic(m))
      dyn.push_back(tensor::DimOp::create(b, loc, a, 0));
    if (ShapedType::isDynamic(n))
      dyn.push_back(tensor::DimOp::create(b, loc, bv, 1));
    return linalg::MatmulOp::create(b, loc, TypeRange{accTypeOf({m, n})},
                                    ValueRange{a, bv},
                                    ValueRange{zeroFilled({m, n}, dyn)})
        .getResult(0);
  };
  if (lr == 2 && rr == 2)
    return finish(matmulOf(lhs, rhs), {});
  if (lr >= 3 && rr == 2) {
    ReassociationIndices rows = llvm::to_vector(llvm::seq<int64_t>(0, lr - 1));
    SmallVector<ReassociationIndices> groups = {rows, {lr - 1}};
    return finish(matmulOf(collapse(lhs, groups), rhs), groups);
  }
  if (lr == rr && lr > 3 &&
      lhsType.getShape().drop_back(2) == rhsType.getShape().drop_back(2)) {
    ReassociationIndices batch = llvm::to_vector(llvm::seq<int64_t>(0, lr - 2));
    SmallVector<ReassociationIndices> groups = {batch, {lr - 2}, {lr - 1}};
    Value a = collapse(lhs, groups), bv = collapse(rhs, groups);
    auto aType = cast<RankedTensorType>(a.getType());
    auto bType = cast<RankedTensorType>(bv.getType());
    SmallVector<int64_t> shape = {aType.getDimSize(0), aType.getDimSize(1),
                                  bType.getDimSize(2)};
    SmallVector<Value> dyn;
    if (ShapedType::isDynamic(shape[1]))
      dyn.push_back(tensor::DimOp::create(b, loc, a, 1));
    if (ShapedType::isDynamic(shape[2]))
      dyn.push_back(tensor::DimOp::create(b, loc, bv, 2));
    Value product =
        linalg::BatchMatmulOp::create(b, loc, TypeRange{accTypeOf(shape)},
                                      ValueRange{a, bv},
                                      ValueRange{zeroFilled(shape, dyn)})
            .getResult(0);
    return finish(product, groups);
  }
  return nullptr;
}

/// kiln.matmul(a, b) → linalg.matmul | linalg.batch_matmul | linalg.generic
struct MatMulLowering : OpConversionPattern<MatMulOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    Type elemType = resultType.getElementType();
    if (!isa<FloatType>(elemType))
      return unsupported(rewriter, op, "element type must be float");
    Location loc = op.getLoc();
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    auto lhsType = cast<RankedTensorType>(lhs.getType());
    auto rhsType = cast<RankedTensorType>(rhs.getType());
    int64_t lr = lhsType.getRank(), rr = rhsType.getRank();
    bool lhsVec = lr == 1, rhsVec = rr == 1;
    int64_t batchRank = resultType.getRank() - (lhsVec ? 0 : 1) - (rhsVec ? 0 : 1);

    // Dynamic output sizes: batch dims from an operand, m from lhs, n from rhs.
    SmallVector<Value> dynSizes;
    for (int64_t d = 0; d < resultType.getRank(); ++d) {
      if (!resultType.isDynamicDim(d))
        continue;
      if (d >= batchRank) {
        bool isM = !lhsVec && d == batchRank;
        dynSizes.push_back(isM ? getDimValue(rewriter, loc, lhs, lr - 2)
                               : getDimValue(rewriter, loc, rhs, rr - 1));
        continue;
      }
      int64_t li = d - (batchRank - (lr - 2)), ri = d - (batchRank - (rr - 2));
      if (li >= 0 && lhsType.isDynamicDim(li))
        dynSizes.push_back(tensor::DimOp::create(rewriter, loc, lhs, li));
      else if (ri >= 0 && rhsType.isDynamicDim(ri))
        dynSizes.push_back(tensor::DimOp::create(rewriter, loc, rhs, ri));
      else
        return unsupported(rewriter, op, "cannot size a batch dim");
    }
    // Narrow floats accumulate in f32 (general path) and round at the end.
    Type acc = getAccumulatorType(elemType);
    auto accType = RankedTensorType::get(resultType.getShape(), acc);
    Value zero = createScalarConstant(rewriter, loc, acc, 0.0);
    Value init = createFilledTensor(rewriter, loc, accType, dynSizes, zero);

    if (lr == 2 && rr == 2 && acc == elemType) {
      rewriter.replaceOp(op, linalg::MatmulOp::create(
                                 rewriter, loc, TypeRange{resultType},
                                 ValueRange{lhs, rhs}, ValueRange{init}));
      return success();
    }
    if (Value folded = foldBatchIntoNamedMatmul(rewriter, loc, lhs, rhs,
                                                resultType, acc)) {
      rewriter.replaceOp(op, folded);
      return success();
    }
    if (lr == 3 && rr == 3 && acc == elemType && !lhsType.isDynamicDim(0) &&
        lhsType.getDimSize(0) == rhsType.getDimSize(0)) {
      rewriter.replaceOp(op, linalg::BatchMatmulOp::create(
                                 rewriter, loc, TypeRange{resultType},
                                 ValueRange{lhs, rhs}, ValueRange{init}));
      return success();
    }

    // General case. Loops: batch..., m (unless lhs is 1-D), n (unless rhs
    // is 1-D), k.
    MLIRContext *ctx = rewriter.getContext();
    int64_t numLoops = resultType.getRank() + 1;
    AffineExpr k = getAffineDimExpr(numLoops - 1, ctx);
    AffineExpr m = getAffineDimExpr(batchRank, ctx);
    AffineExpr n = getAffineDimExpr(batchRank + (lhsVec ? 0 : 1), ctx);
    auto batchExprs = [&](RankedTensorType type) {
      SmallVector<AffineExpr> exprs;
      int64_t rank = type.getRank() - 2, offset = batchRank - rank;
      for (int64_t i = 0; i < rank; ++i) {
        bool broadcasts = type.getDimSize(i) == 1 &&
                          resultType.getDimSize(i + offset) != 1;
        exprs.push_back(broadcasts ? getAffineConstantExpr(0, ctx)
                                   : getAffineDimExpr(i + offset, ctx));
      }
      return exprs;
    };
    SmallVector<AffineExpr> lhsExprs, rhsExprs, outExprs;
    if (lhsVec) {
      lhsExprs = {k};
    } else {
      lhsExprs = batchExprs(lhsType);
      lhsExprs.append({m, k});
    }
    if (rhsVec) {
      rhsExprs = {k};
    } else {
      rhsExprs = batchExprs(rhsType);
      rhsExprs.append({k, n});
    }
    for (int64_t d = 0; d < resultType.getRank(); ++d)
      outExprs.push_back(getAffineDimExpr(d, ctx));
    SmallVector<AffineMap> maps = {AffineMap::get(numLoops, 0, lhsExprs, ctx),
                                   AffineMap::get(numLoops, 0, rhsExprs, ctx),
                                   AffineMap::get(numLoops, 0, outExprs, ctx)};
    SmallVector<utils::IteratorType> iterators(numLoops - 1,
                                               utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{accType}, ValueRange{lhs, rhs},
        ValueRange{init}, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value prod = arith::MulFOp::create(b, l, castFloat(b, l, args[0], acc),
                                             castFloat(b, l, args[1], acc));
          linalg::YieldOp::create(b, l,
                                  arith::AddFOp::create(b, l, args[2], prod)
                                      .getResult());
        });
    rewriter.replaceOp(op, roundToResultType(rewriter, loc, generic.getResult(0),
                                             resultType, dynSizes));
    return success();
  }
};

/// kiln.einsum(inputs) {equation} → linalg.generic (output letters parallel,
/// the others reduced) of the product of the inputs
struct EinsumLowering : OpConversionPattern<EinsumOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(EinsumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    Type elemType = resultType.getElementType();
    bool isFloat = isa<FloatType>(elemType);
    Type acc = isFloat ? getAccumulatorType(elemType) : elemType;
    if (!resultType.hasStaticShape())
      return unsupported(rewriter, op, "einsum needs static shapes");
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto [lhs, out] = op.getEquation().split("->");
    SmallVector<StringRef> terms;
    lhs.split(terms, ',');
    // Loop order: output letters, then summed letters in order of appearance.
    std::string letters = out.str();
    for (StringRef term : terms)
      for (char c : term)
        if (letters.find(c) == std::string::npos)
          letters.push_back(c);
    auto mapOf = [&](StringRef term) {
      SmallVector<AffineExpr> exprs;
      for (char c : term)
        exprs.push_back(getAffineDimExpr(letters.find(c), ctx));
      return AffineMap::get(letters.size(), 0, exprs, ctx);
    };
    SmallVector<AffineMap> maps;
    for (StringRef term : terms)
      maps.push_back(mapOf(term));
    maps.push_back(mapOf(out));
    SmallVector<utils::IteratorType> iterators(letters.size(),
                                               utils::IteratorType::reduction);
    for (size_t i = 0; i < out.size(); ++i)
      iterators[i] = utils::IteratorType::parallel;

    auto accType = RankedTensorType::get(resultType.getShape(), acc);
    Value init = createFilledTensor(rewriter, loc, accType, {},
                                    createScalarConstant(rewriter, loc, acc, 0));
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{accType}, adaptor.getInputs(),
        ValueRange{init}, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value prod;
          for (Value v : args.drop_back()) {
            if (isFloat)
              v = castFloat(b, l, v, acc);
            prod = !prod ? v
                   : isFloat ? arith::MulFOp::create(b, l, prod, v).getResult()
                             : arith::MulIOp::create(b, l, prod, v).getResult();
          }
          Value sum = isFloat
                          ? arith::AddFOp::create(b, l, args.back(), prod)
                                .getResult()
                          : arith::AddIOp::create(b, l, args.back(), prod)
                                .getResult();
          linalg::YieldOp::create(b, l, sum);
        });
    rewriter.replaceOp(op, roundToResultType(rewriter, loc, generic.getResult(0),
                                             resultType, {}));
    return success();
  }
};

} // namespace

void kiln::populateLinearToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<GemmLowering, MatMulLowering, EinsumLowering>(
      patterns.getContext());
}
