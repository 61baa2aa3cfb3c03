//===- KilnToLinalg.cpp - convert-kiln-to-linalg ---------------------------===//
//
// The pass: every kiln compute op (also inside kiln.kernel regions) becomes
// linalg on tensors plus tensor/arith/math ops; kiln.kernel and kiln.yield
// stay. The patterns live in one file per op family. An op no pattern can
// lower is an error at its location (which carries the ONNX node name),
// saying why.
//
//===----------------------------------------------------------------------===//

#include "passes/KilnToLinalg/KilnToLinalg.h"

#include "dialects/kiln/IR/KilnOps.h"
#include "passes/Passes.h"

#include "mlir/Transforms/DialectConversion.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_CONVERTKILNTOLINALG
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

LogicalResult kiln::unsupported(PatternRewriter &rewriter, Operation *op,
                                const Twine &why) {
  op->emitError("cannot lower to linalg: ") << why;
  return rewriter.notifyMatchFailure(op, why);
}

void kiln::populateKilnToLinalgPatterns(RewritePatternSet &patterns) {
  populateElementwiseToLinalgPatterns(patterns);
  populateLinearToLinalgPatterns(patterns);
  populateConvolutionToLinalgPatterns(patterns);
  populatePoolingToLinalgPatterns(patterns);
  populateReductionToLinalgPatterns(patterns);
  populateNormalizationToLinalgPatterns(patterns);
  populateDataMovementToLinalgPatterns(patterns);
  populateIndexingToLinalgPatterns(patterns);
  populateScatterToLinalgPatterns(patterns);
  populateAttentionToLinalgPatterns(patterns);
  populateResizeToLinalgPatterns(patterns);
  populateRuntimeAxesToLinalgPatterns(patterns);
  populateBitcastToLinalgPatterns(patterns);
  populateSpatialToLinalgPatterns(patterns);
  populateSequenceModelToLinalgPatterns(patterns);
}

namespace {
struct ConvertKilnToLinalgPass
    : kiln::impl::ConvertKilnToLinalgBase<ConvertKilnToLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<KilnDialect>();
    target.addLegalOp<KernelOp, YieldOp>();
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect,
                           arith::ArithDialect, math::MathDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });

    RewritePatternSet patterns(ctx);
    populateKilnToLinalgPatterns(patterns);

    // Patterns already reported why an op is unsupported (see unsupported());
    // the driver adds which op stayed illegal.
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
