//===- RuntimeAxes.cpp - axes read at run time → switch over static cases -===//
//
// kiln.reduce_dynamic_axes and kiln.cumsum with a `dynamic_axis` read their
// axes from a tensor at run time. The possible choices are few (rank-choose-k
// sets of axes, or rank single axes), so each op becomes an scf.index_switch
// on a case number computed from the values (the bitmask of the chosen axes,
// or the axis), every case holding the op with static axes, which this
// conversion then lowers like any other. Case results are cast to the op's
// result type, dynamic in the dims where cases differ. Axes out of range or
// repeated fail a cf.assert that names the ONNX node.
//
//===----------------------------------------------------------------------===//

#include "passes/KilnToLinalg/RuntimeAxes.h"

#include "dialects/kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include "llvm/ADT/bit.h"

using namespace mlir;
using namespace mlir::kiln;

/// A switch with more cases than this is rejected (rank 8 choose 4 is 70).
static constexpr size_t kMaxCases = 70;
/// Bitmasks of the axes of ranks up to this are enumerated.
static constexpr int64_t kMaxRank = 16;

Value kiln::readScalarIndex(OpBuilder &b, Location loc, Value values,
                            int64_t i) {
  SmallVector<Value> at;
  if (cast<RankedTensorType>(values.getType()).getRank() == 1)
    at.push_back(arith::ConstantIndexOp::create(b, loc, i));
  Value v = tensor::ExtractOp::create(b, loc, values, at);
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

/// `axis` in [-rank, rank) moved to [0, rank), and an i1 that is true when
/// it was in that range.
static std::pair<Value, Value> normalizeRuntimeAxis(OpBuilder &b, Location loc,
                                                    Value axis, int64_t rank) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value rankValue = arith::ConstantIndexOp::create(b, loc, rank);
  Value isNegative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, axis, zero);
  Value shifted = arith::SelectOp::create(
      b, loc, isNegative, arith::AddIOp::create(b, loc, axis, rankValue), axis);
  Value inRange = arith::AndIOp::create(
      b, loc,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, shifted, zero),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, shifted,
                            rankValue));
  return {shifted, inRange};
}

/// Aborts the run unless `ok`, with a message naming the node of `op`.
static void assertAtRunTime(OpBuilder &b, Operation *op, Value ok,
                            const Twine &what) {
  std::string node = "?";
  if (auto name = op->getLoc()->findInstanceOf<NameLoc>())
    node = name.getName().str();
  cf::AssertOp::create(b, op->getLoc(), ok,
                       ("kiln: node '" + node + "' (" +
                        op->getName().getStringRef() + "): " + what)
                           .str());
}

/// scf.index_switch on `selector` with one region per entry of `caseValues`,
/// the last one as the default; `buildCase(b, value)` gives each region's
/// result, cast to `resultType`.
static Value buildSwitch(ConversionPatternRewriter &rewriter, Location loc,
                         Value selector, ArrayRef<int64_t> caseValues,
                         Type resultType,
                         function_ref<Value(OpBuilder &, int64_t)> buildCase) {
  auto sw = scf::IndexSwitchOp::create(rewriter, loc, resultType, selector,
                                       caseValues.drop_back(),
                                       caseValues.size() - 1);
  OpBuilder::InsertionGuard guard(rewriter);
  auto fill = [&](Region &region, int64_t value) {
    rewriter.createBlock(&region);
    Value result = buildCase(rewriter, value);
    if (result.getType() != resultType)
      result = tensor::CastOp::create(rewriter, loc, resultType, result);
    scf::YieldOp::create(rewriter, loc, result);
  };
  for (auto [region, value] : llvm::zip(sw.getCaseRegions(), caseValues))
    fill(region, value);
  fill(sw.getDefaultRegion(), caseValues.back());
  return sw.getResult(0);
}

/// The result of `op`, or (erasing `op`) a tensor.empty when that result has
/// no elements: such a case has nothing to compute, and its loops over a
/// zero-size dim, nested in the switch, crash the CPU tiler.
static Value emptyIfNoElements(ConversionPatternRewriter &rewriter,
                               Operation *op) {
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  if (!type.hasStaticShape() || type.getNumElements() != 0)
    return op->getResult(0);
  Value empty = tensor::EmptyOp::create(rewriter, op->getLoc(), type.getShape(),
                                        type.getElementType());
  rewriter.eraseOp(op);
  return empty;
}

namespace {

/// kiln.reduce_dynamic_axes(x, axes) → switch(bitmask(axes)) { case m:
/// kiln.reduce(x) {axes = bits of m} }
struct ReduceDynamicAxesLowering : OpConversionPattern<ReduceDynamicAxesOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ReduceDynamicAxesOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput(), axes = adaptor.getAxes();
    int64_t rank = cast<RankedTensorType>(input.getType()).getRank();
    int64_t count = cast<RankedTensorType>(axes.getType()).getDimSize(0);
    if (rank > kMaxRank)
      return unsupported(rewriter, op,
                         "axes read at run time of a tensor of rank " +
                             Twine(rank) + " (at most " + Twine(kMaxRank) + ")");
    SmallVector<int64_t> masks;
    for (uint64_t m = 0; m < (uint64_t(1) << rank); ++m)
      if (llvm::popcount(m) == count)
        masks.push_back(m);
    if (masks.empty() || masks.size() > kMaxCases)
      return unsupported(rewriter, op,
                         Twine(masks.size()) + " possible sets of axes (at most " +
                             Twine(kMaxCases) + ")");

    // The bitmask of the axes; an axis out of range or already set fails.
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value mask = zero;
    Value ok = arith::ConstantIntOp::create(rewriter, loc, 1, 1);
    for (int64_t i = 0; i < count; ++i) {
      auto [axis, inRange] = normalizeRuntimeAxis(
          rewriter, loc, readScalarIndex(rewriter, loc, axes, i), rank);
      Value bit = arith::ShLIOp::create(
          rewriter, loc, one,
          arith::SelectOp::create(rewriter, loc, inRange, axis, zero));
      Value unseen = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::eq,
          arith::AndIOp::create(rewriter, loc, mask, bit), zero);
      ok = arith::AndIOp::create(
          rewriter, loc, ok,
          arith::AndIOp::create(rewriter, loc, inRange, unseen));
      mask = arith::OrIOp::create(rewriter, loc, mask, bit);
    }
    assertAtRunTime(rewriter, op, ok, "axes out of range or repeated");

    Value result = buildSwitch(
        rewriter, loc, mask, masks, op.getType(),
        [&](OpBuilder &b, int64_t m) -> Value {
          SmallVector<int64_t> chosen;
          for (int64_t d = 0; d < rank; ++d)
            if (m & (int64_t(1) << d))
              chosen.push_back(d);
          auto reduce = ReduceOp::create(b, loc, input, op.getKindAttr(),
                                         b.getDenseI64ArrayAttr(chosen),
                                         op.getKeepdimsAttr());
          return emptyIfNoElements(rewriter, reduce);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// kiln.cumsum(x, axis) → switch(axis) { case a: kiln.cumsum(x) {axis = a} }
struct CumSumDynamicAxisLowering : OpConversionPattern<CumSumOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(CumSumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!adaptor.getDynamicAxis())
      return rewriter.notifyMatchFailure(op, "axis is an attribute");
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    int64_t rank = cast<RankedTensorType>(input.getType()).getRank();
    auto [axis, inRange] = normalizeRuntimeAxis(
        rewriter, loc, readScalarIndex(rewriter, loc, adaptor.getDynamicAxis()),
        rank);
    assertAtRunTime(rewriter, op, inRange, "axis out of range");
    Value result = buildSwitch(
        rewriter, loc, axis, llvm::to_vector(llvm::seq<int64_t>(0, rank)),
        op.getType(), [&](OpBuilder &b, int64_t a) -> Value {
          auto cumsum = CumSumOp::create(
              b, loc, op.getType(), input, Value(), b.getI64IntegerAttr(a),
              op.getExclusiveAttr(), op.getReverseAttr());
          return emptyIfNoElements(rewriter, cumsum);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void kiln::populateRuntimeAxesToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<ReduceDynamicAxesLowering, CumSumDynamicAxisLowering>(
      patterns.getContext());
}
