//===- VectorMath.cpp - kiln-cpu-vector-math ------------------------------===//
//
// LLVM has no vector exp/erf/tanh/log of its own: without a vector library
// it calls libm's expf once per lane. GELU (erf), softmax (exp), tanh and
// log over vectors then run as scalar calls, the bulk of a transformer's
// non-matmul time. This rewrites those math ops on vectors into upstream's
// polynomial approximations (math dialect; Cephes/Eigen-style, within a few
// ulp in f32), which vectorize. Scalar math ops keep libm.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNCPUVECTORMATH
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;

/// The math functions rewritten, by op name (`math.exp`; upstream's
/// predicates are given full names).
static bool approximated(StringRef name) {
  name.consume_front("math.");
  return llvm::is_contained({"exp", "expm1", "log", "log1p", "log2", "tanh",
                             "erf"},
                            name);
}

namespace {
struct VectorMathPass : kiln::impl::KilnCPUVectorMathBase<VectorMathPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (op->getDialect() &&
          op->getDialect()->getNamespace() == math::MathDialect::getDialectNamespace() &&
          op->getNumResults() == 1 && isa<VectorType>(op->getResult(0).getType()) &&
          approximated(op->getName().getStringRef()))
        ops.push_back(op);
    });
    if (ops.empty())
      return;
    RewritePatternSet patterns(&getContext());
    populateMathF32ExpansionPatterns(patterns, approximated);
    populateMathPolynomialApproximationPatterns(patterns, approximated);
    if (failed(applyOpPatternsGreedily(ops, std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
