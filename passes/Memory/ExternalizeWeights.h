//===- ExternalizeWeights.h - The weights blob's writer ----------*- C++ -*-===//
//
// kiln-externalize-weights leaves the weights layout on the module as
// `kiln.weights = [{name, offset, size, value}, ...]`; the link step turns
// that into the blob that follows the executable (runtime/ABI.md, "Weights").
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_MEMORY_EXTERNALIZEWEIGHTS_H
#define KILN_PASSES_MEMORY_EXTERNALIZEWEIGHTS_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::kiln {

/// Size in bytes of the blob described by the module's `kiln.weights`
/// (0 when the attribute is absent).
uint64_t getWeightsBlobBytes(ModuleOp module);

/// Streams the weights blob (entries at their offsets, zero padding between)
/// to `os` and returns its FNV-1a 64 hash in `hashOut`. Resource-backed
/// constants are written straight from their blobs, without a copy. Fails
/// with a diagnostic on a missing resource or a size mismatch.
LogicalResult writeWeightsBlob(ModuleOp module, llvm::raw_ostream &os, uint64_t &hashOut);

} // namespace mlir::kiln

#endif // KILN_PASSES_MEMORY_EXTERNALIZEWEIGHTS_H
