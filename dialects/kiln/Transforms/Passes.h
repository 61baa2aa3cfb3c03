//===- Passes.h - kiln dialect passes ----------------------------*- C++ -*-===//
//
// Pass declarations (from Passes.td) and the pattern/option APIs behind them.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_KILN_TRANSFORMS_PASSES_H
#define KILN_DIALECTS_KILN_TRANSFORMS_PASSES_H

#include "dialects/kiln/IR/KilnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

#include <functional>

namespace mlir::kiln {

/// Steers kernel formation: may `consumer` join the kernel that computes
/// `producer`? Called only for pairs the pass considers legal to fuse.
using FuseIntoKernelFn =
    std::function<bool(Operation *producer, Operation *consumer)>;

/// The default control: fuses every pair the pass considers legal.
bool fuseEveryLegalPair(Operation *producer, Operation *consumer);

/// Groups the kiln ops of `func` into kiln.kernel ops (see
/// `kiln-form-kernels`); `control` may veto each legal fusion.
LogicalResult formKernels(func::FuncOp func,
                          const FuseIntoKernelFn &control = fuseEveryLegalPair);

#define GEN_PASS_DECL
#include "dialects/kiln/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "dialects/kiln/Transforms/Passes.h.inc"

} // namespace mlir::kiln

#endif // KILN_DIALECTS_KILN_TRANSFORMS_PASSES_H
