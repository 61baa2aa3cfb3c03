//===- EntryAbi.h - The entry function's runtime-facing signature -*- C++ -*-===//
//
// runtime/ABI.md fixes the entry function's arguments: weights blob, arena,
// inputs, outputs. kiln-externalize-weights and kiln-plan-memory each need
// one of the two leading byte buffers; both go through these helpers so that
// either pass alone (or both, in any order) yields the same signature.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_MEMORY_ENTRYABI_H
#define KILN_PASSES_MEMORY_ENTRYABI_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::kiln {

/// Alignment (bytes) of every buffer placed in the weights blob or arena.
constexpr int64_t kBufferAlignment = 64;

/// Attribute names used on the entry function and its arguments.
constexpr llvm::StringLiteral kEntryAttrName = "kiln.entry";
constexpr llvm::StringLiteral kWeightsArgAttrName = "kiln.weights_arg";
constexpr llvm::StringLiteral kArenaArgAttrName = "kiln.arena_arg";
constexpr llvm::StringLiteral kArenaBytesAttrName = "kiln.arena_bytes";
constexpr llvm::StringLiteral kWeightsAttrName = "kiln.weights";

/// The function carrying `kiln.entry`; emits an error on `module` and returns
/// null when there is none or more than one.
func::FuncOp findEntryFunction(ModuleOp module);

/// Makes sure `entry` starts with `(%weights: memref<?xi8>, %arena:
/// memref<?xi8>, ...)` and carries `llvm.emit_c_interface`; returns the
/// weights and arena arguments.
std::pair<BlockArgument, BlockArgument> ensureEntryAbiArgs(func::FuncOp entry);

/// Rounds `value` up to a multiple of kBufferAlignment.
inline int64_t alignToBuffer(int64_t value) {
  return (value + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
}

} // namespace mlir::kiln

#endif // KILN_PASSES_MEMORY_ENTRYABI_H
