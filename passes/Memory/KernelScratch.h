//===- KernelScratch.h - Kernel temporaries without the heap -----*- C++ -*-===//
//
// After buffer-results-to-out-params a kernel still allocates whatever it
// does not return: intermediates between unfused ops and per-tile scratch
// inside loops. kiln-plan-memory calls these so that a run never touches the
// heap: function-level temporaries become caller-provided scratch arguments
// (and land in the arena plan); per-iteration ones are freed after their last
// use, or (opt-in) move to the stack under a `memref.alloca_scope`.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_MEMORY_KERNELSCRATCH_H
#define KILN_PASSES_MEMORY_KERNELSCRATCH_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::kiln {

/// Argument attribute on scratch arguments added to a kernel.
constexpr llvm::StringLiteral kScratchArgAttrName = "kiln.scratch";

/// For each private function other than `entry` that is only ever called
/// directly: every static, identity-layout `memref.alloc` in its entry block
/// becomes a trailing argument tagged `kiln.scratch`, its deallocs are
/// dropped, and each call site allocates the buffer right before the call.
/// Repeats until no caller other than `entry` is left holding such an alloc.
LogicalResult hoistKernelScratch(ModuleOp module, func::FuncOp entry);

/// Allocations in nested regions of `func` (per-iteration temporaries) whose
/// buffer does not leave its block: those of at most `maxStackBytes` become a
/// `memref.alloca` with the block wrapped in a `memref.alloca_scope`; the
/// others get a `memref.dealloc` after their last use. Caveat for the stack
/// variant: the canonicalizer inlines an alloca_scope whose parent is an
/// AutomaticAllocationScope (scf.for/forall/parallel), and convert-scf-to-cf
/// does not restore the stack per iteration, so it is only safe when nothing
/// canonicalizes between this and the LLVM lowering.
void placeNestedAllocs(func::FuncOp func, int64_t maxStackBytes);

/// Whether `buffer` is a fresh heap buffer its user owns: a `memref.alloc`,
/// or the result of a call whose callee returns (once) a `memref.alloc` of
/// its entry block at that position.
bool isOwnedBuffer(Value buffer);

/// Frees `buffer` (defined in a block) right after the op of that block that
/// last touches it or an alias of it (before the terminator if that is the
/// last), unless something already frees it. Buffers returned by calls are
/// aliases of the call's operands unless the caller owns them.
void deallocAfterLastUse(Value buffer);

} // namespace mlir::kiln

#endif // KILN_PASSES_MEMORY_KERNELSCRATCH_H
