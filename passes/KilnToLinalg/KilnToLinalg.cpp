//===- KilnToLinalg.cpp - convert-kiln-to-linalg ---------------------------===//
//
// The pass: every kiln compute op (also inside kiln.kernel regions) becomes
// linalg on tensors plus tensor/arith/math ops; kiln.kernel and kiln.yield
// stay. The patterns live in one file per op family. An op no pattern can
// lower is an error at its location, with the patterns' reasons attached.
//
//===----------------------------------------------------------------------===//

#include "passes/KilnToLinalg/KilnToLinalg.h"

#include "dialects/kiln/IR/KilnOps.h"
#include "passes/Passes.h"

#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_CONVERTKILNTOLINALG
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

void kiln::populateKilnToLinalgPatterns(RewritePatternSet &patterns) {
  populateElementwiseToLinalgPatterns(patterns);
  populateLinearToLinalgPatterns(patterns);
  populateConvolutionToLinalgPatterns(patterns);
  populatePoolingToLinalgPatterns(patterns);
  populateReductionToLinalgPatterns(patterns);
  populateNormalizationToLinalgPatterns(patterns);
  populateDataMovementToLinalgPatterns(patterns);
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

    // Keep each op's match-failure reasons so the error can say why.
    llvm::MapVector<Location, SmallVector<std::string>> reasons;
    DenseSet<Operation *> unconverted;
    ConversionConfig config;
    auto collect = [&](Diagnostic &diag) {
      reasons[diag.getLocation()].push_back(diag.str());
    };
    config.notifyCallback = collect;
    config.unlegalizedOps = &unconverted;
    if (succeeded(applyPartialConversion(getOperation(), target,
                                         std::move(patterns), config)))
      return;
    for (auto &[loc, why] : reasons) {
      InFlightDiagnostic diag = emitError(loc, "cannot lower to linalg: ");
      llvm::interleave(why, [&](const std::string &s) { diag << s; },
                       [&] { diag << "; "; });
    }
    signalPassFailure();
  }
};
} // namespace
