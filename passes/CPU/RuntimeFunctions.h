//===- RuntimeFunctions.h - declaring the runtime's C functions --*- C++ -*-===//
//
// The CPU passes that call into runtime/ (microkernels, profile hooks, zero
// fills; runtime/ABI.md) declare the callee once per module with this.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CPU_RUNTIMEFUNCTIONS_H
#define KILN_PASSES_CPU_RUNTIMEFUNCTIONS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::kiln {

/// Declares `func.func private @name` of `type` at the end of `module`,
/// unless the module already has a symbol of that name.
inline void declareRuntimeFunction(ModuleOp module, StringRef name,
                                   FunctionType type) {
  if (SymbolTable::lookupSymbolIn(module, name))
    return;
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  func::FuncOp::create(b, module.getLoc(), name, type).setPrivate();
}

} // namespace mlir::kiln

#endif // KILN_PASSES_CPU_RUNTIMEFUNCTIONS_H
