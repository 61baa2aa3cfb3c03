//===- OutlineKernels.cpp - kiln-outline-kernels --------------------------===//
//
// Turns each kiln.kernel into a call to a private func.func holding its body,
// so that tiling and bufferization (which work per function) treat a kernel
// as one unit and the entry function becomes a sequence of calls. The body is
// moved, not inspected: this runs on kiln ops and on lowered linalg alike.
//
//===----------------------------------------------------------------------===//

#include "dialects/kiln/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNOUTLINEKERNELS
#include "dialects/kiln/Transforms/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// Outlines kernels next to the function that holds them, in program order.
class KernelOutliner {
public:
  LogicalResult outline(KernelOp kernel);

private:
  SymbolTableCollection symbolTables;
  /// The function most recently placed after each kernel-holding function.
  DenseMap<Operation *, Operation *> lastPlaced;
};

} // namespace

LogicalResult KernelOutliner::outline(KernelOp kernel) {
  auto parent = kernel->getParentOfType<FunctionOpInterface>();
  Operation *tableOp = parent ? parent->getParentOp() : nullptr;
  if (!tableOp || !tableOp->hasTrait<OpTrait::SymbolTable>())
    return kernel.emitOpError(
        "must be inside a function whose parent holds a symbol table");

  // Built detached: the symbol table places it and makes its name unique.
  IRRewriter rewriter(kernel.getContext());
  auto type = rewriter.getFunctionType(kernel.getInputs().getTypes(),
                                       kernel.getResultTypes());
  auto callee =
      func::FuncOp::create(rewriter, kernel.getLoc(), kernel.getSymName(), type);
  callee.setPrivate();
  // Kernels stay functions in the executable: LLVM would inline each (they
  // are called once) into one huge entry function, superlinear to compile
  // (BERT-base's was 320 KiB), and a profile could not see them.
  // (`passthrough` is what func-to-llvm carries over to llvm.func.)
  callee->setAttr("passthrough",
                  rewriter.getArrayAttr({rewriter.getStringAttr("noinline")}));
  Operation *&after = lastPlaced[parent];
  if (!after)
    after = parent;
  // Renames the callee on a clash (e.g. `conv_0` in two functions).
  symbolTables.getSymbolTable(tableOp).insert(
      callee, std::next(Block::iterator(after)));
  after = callee;

  callee.getBody().takeBody(kernel.getBody());
  Operation *yield = callee.getBody().front().getTerminator();
  rewriter.setInsertionPoint(yield);
  func::ReturnOp::create(rewriter, yield->getLoc(), yield->getOperands());
  rewriter.eraseOp(yield);

  rewriter.setInsertionPoint(kernel);
  auto call =
      func::CallOp::create(rewriter, kernel.getLoc(), callee, kernel.getInputs());
  rewriter.replaceOp(kernel, call.getResults());
  return success();
}

namespace {
struct OutlineKernelsPass
    : kiln::impl::KilnOutlineKernelsBase<OutlineKernelsPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<KernelOp> kernels;
    getOperation()->walk<WalkOrder::PreOrder>(
        [&](KernelOp kernel) { kernels.push_back(kernel); });
    KernelOutliner outliner;
    for (KernelOp kernel : kernels)
      if (failed(outliner.outline(kernel)))
        return signalPassFailure();
  }
};
} // namespace
