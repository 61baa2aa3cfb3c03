//===- OnnxImporter.h - ONNX model → kiln dialect -------------------*- C++ -*-===//
//
// The public entry points of kiln's ONNX frontend: `importModel` turns a .onnx
// file into a module holding `func.func @main` in the kiln dialect, and
// `checkModel` answers "will it compile" by listing every unsupported piece.
// Model content is input: every problem becomes a diagnostic, never a crash.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTENDS_ONNX_ONNXIMPORTER_H
#define KILN_FRONTENDS_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::kiln::onnx {

struct ImportOptions {
  /// Shapes bound by `--input-shape NAME=1x3x224x224`; they must agree with the
  /// model's static dims and bind its symbolic ones.
  llvm::StringMap<llvm::SmallVector<int64_t>> inputShapes;
};

/// Parses `NAME=1x3x224x224` into `opts`; failure (with a message in `error`)
/// on a malformed spec.
LogicalResult parseInputShape(llvm::StringRef spec, ImportOptions &opts,
                              std::string &error);

/// Imports MODEL into a new module; diagnostics go through MLIR (emitError),
/// failure on any problem. Weights are `dense_resource` blobs that point at the
/// model's bytes in place (external data files are mapped read-only).
FailureOr<OwningOpRef<ModuleOp>> importModel(MLIRContext &ctx,
                                             llvm::StringRef path,
                                             const ImportOptions &opts);

/// `kiln check`: lists every unsupported op/attribute/dtype/shape pattern with
/// the ONNX node name, one per line, on `os`; success iff everything is
/// supported. Runs the importer in a private context, going on past errors.
/// `opts` binds dims as `kiln compile` would (shape subgraphs fold only over
/// static dims, so what is supported can depend on them).
LogicalResult checkModel(llvm::StringRef path, const ImportOptions &opts,
                         llvm::raw_ostream &os);

} // namespace mlir::kiln::onnx

#endif // KILN_FRONTENDS_ONNX_ONNXIMPORTER_H
