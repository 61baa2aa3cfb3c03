//===- Manifest.h - the model's signature as the runtime reads it -*- C++ -*-===//
//
// Captures @main's inputs and outputs (ONNX names, dtypes, shapes with
// symbolic dim names) right after import, and formats the text manifest of
// runtime/ABI.md that the executable carries.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_LINK_MANIFEST_H
#define KILN_COMPILER_LINK_MANIFEST_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace mlir::kiln {

struct TensorSignature {
  std::string name;
  std::string dtype;             ///< manifest spelling: f32, i64, bool, ...
  std::vector<std::string> dims; ///< a number, or a symbolic dim's name
};

struct ModelSignature {
  std::vector<TensorSignature> inputs, outputs;
};

/// Reads the signature of the `kiln.entry` function of an imported module.
FailureOr<ModelSignature> getModelSignature(ModuleOp module);

/// The manifest text (runtime/ABI.md); `returnedOutputs`: the entry function
/// returns its output buffers (some output has a dynamic shape).
std::string formatManifest(const ModelSignature &signature, uint64_t arenaBytes,
                           uint64_t weightsBytes, uint64_t weightsHash,
                           bool returnedOutputs = false);

/// The `kiln.entry` function of `module`, or null.
func::FuncOp getEntryFunction(ModuleOp module);

} // namespace mlir::kiln

#endif // KILN_COMPILER_LINK_MANIFEST_H
