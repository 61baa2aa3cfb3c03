//===- Bufferize.h - Tensors to buffers, weights and arena -------*- C++ -*-===//
//
// The stage between tiled kernels on tensors and CPU/GPU lowering: after it
// the entry function has the runtime's signature (runtime/ABI.md) and no heap
// allocation is left in it.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_PIPELINES_BUFFERIZE_H
#define KILN_COMPILER_PIPELINES_BUFFERIZE_H

#include "mlir/Pass/PassManager.h"

namespace mlir::kiln {

/// Appends to `pm` (on a ModuleOp): one-shot bufferization across function
/// boundaries (identity layouts on signatures), buffer results to out-params
/// (static allocs hoisted to callers, @main included), canonicalize + cse,
/// kiln-externalize-weights, kiln-plan-memory. Result:
///   func.func @main(%weights: memref<?xi8>, %arena: memref<?xi8>,
///                   %in...: memref<...>, %out...: memref<...>)
///       attributes {kiln.entry, llvm.emit_c_interface, kiln.arena_bytes = N}
/// `minWeightBytes`: constants at least this large move to the weights blob
/// (0 for GPU targets, whose code cannot read host globals).
void buildKilnBufferizePipeline(OpPassManager &pm, int64_t minWeightBytes = 256);

/// Registers the pipeline as `kiln-bufferize` for kiln-opt.
void registerKilnBufferizePipeline();

} // namespace mlir::kiln

#endif // KILN_COMPILER_PIPELINES_BUFFERIZE_H
