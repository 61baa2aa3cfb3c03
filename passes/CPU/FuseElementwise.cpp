//===- FuseElementwise.cpp - kiln-fuse-elementwise ------------------------===//
//
// Upstream's linalg-fuse-elementwise-ops, with one change of policy: reshapes
// are propagated (folded by expansion) only through all-parallel linalg ops.
// Upstream also pushes them through contractions, which turns a named
// linalg.matmul on a collapsed [batch*m, k] operand back into a 3-D generic
// — an op the CPU tiler cannot register-block, ~20x slower. And a splat
// constant of unsigned integers is re-typed signless before upstream folds
// it into a scalar (SignlessSplatInput).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNFUSEELEMENTWISE
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;

namespace {

static bool isAllParallelOrNotLinalg(Operation *op) {
  auto linalgOp = dyn_cast_or_null<linalg::LinalgOp>(op);
  return !linalgOp ||
         linalgOp.getNumLoops() == linalgOp.getNumParallelLoops();
}

/// Re-types a splat constant input of unsigned integers (which linalg holds
/// as ui8... tensors, its body converting each element to the signless type
/// right away) as signless: upstream's FoldScalarOrSplatConstant would
/// otherwise fold it into a scalar `arith.constant` of type ui8, which the
/// arith dialect rejects (MatMulInteger's scalar uint8 zero point).
struct SignlessSplatInput : OpRewritePattern<linalg::GenericOp> {
  SignlessSplatInput(MLIRContext *ctx)
      : OpRewritePattern<linalg::GenericOp>(ctx, /*benefit=*/2) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    for (OpOperand *input : op.getDpsInputOperands()) {
      auto type = dyn_cast<RankedTensorType>(input->get().getType());
      auto element = type ? dyn_cast<IntegerType>(type.getElementType())
                          : IntegerType();
      DenseElementsAttr value;
      if (!element || element.isSignless() ||
          !matchPattern(input->get(), m_Constant(&value)) || !value.isSplat())
        continue;
      auto signless = rewriter.getIntegerType(element.getWidth());
      BlockArgument arg = op.getMatchingBlockArgument(input);
      bool onlyCasts = llvm::all_of(arg.getUsers(), [&](Operation *user) {
        auto cast = dyn_cast<UnrealizedConversionCastOp>(user);
        return cast && cast->getNumResults() == 1 &&
               cast->getResult(0).getType() == signless;
      });
      if (!onlyCasts)
        continue;
      rewriter.setInsertionPoint(op);
      auto retyped = arith::ConstantOp::create(
          rewriter, op.getLoc(),
          DenseElementsAttr::get(type.clone(signless),
                                 value.getSplatValue<APInt>()));
      rewriter.modifyOpInPlace(op, [&] {
        input->set(retyped);
        arg.setType(signless);
      });
      for (Operation *user : llvm::make_early_inc_range(arg.getUsers()))
        rewriter.replaceOp(user, arg);
      return success();
    }
    return failure();
  }
};

struct FuseElementwisePass
    : kiln::impl::KilnFuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    linalg::ControlFusionFn singleUse = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      return producer && producer->hasOneUse();
    };
    linalg::ControlFusionFn reshapeThroughElementwise =
        [singleUse](OpOperand *fused) {
          return singleUse(fused) &&
                 isAllParallelOrNotLinalg(fused->get().getDefiningOp()) &&
                 isAllParallelOrNotLinalg(fused->getOwner());
        };
    RewritePatternSet patterns(ctx);
    patterns.add<SignlessSplatInput>(ctx);
    linalg::populateElementwiseOpsFusionPatterns(patterns, singleUse);
    linalg::populateFoldReshapeOpsByExpansionPatterns(
        patterns, reshapeThroughElementwise);
    tensor::populateBubbleUpExpandShapePatterns(patterns);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, ctx);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, ctx);
    ctx->getLoadedDialect<linalg::LinalgDialect>()->getCanonicalizationPatterns(
        patterns);
    linalg::populateConstantFoldLinalgOperations(patterns, singleUse);
    (void)applyPatternsGreedily(
        getOperation(), std::move(patterns),
        GreedyRewriteConfig().setUseTopDownTraversal());
  }
};

} // namespace
