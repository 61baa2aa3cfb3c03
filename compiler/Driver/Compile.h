//===- Compile.h - what `kiln compile | check | run` do ----------*- C++ -*-===//
//
// The driver's commands as a library, so tools/kiln stays a thin argument
// parser and tests or other front ends can call the same code.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_DRIVER_COMPILE_H
#define KILN_COMPILER_DRIVER_COMPILE_H

#include "compiler/Pipelines/Pipelines.h"
#include "frontends/onnx/OnnxImporter.h"

#include <string>
#include <vector>

namespace mlir::kiln {

struct DriverOptions {
  std::string modelPath;
  std::string outputPath;
  std::string target = "cpu";
  Phase compileTo = Phase::Executable;
  std::string emit; ///< mlir | obj | exe; empty: exe for executables, else mlir
  onnx::ImportOptions importOptions;
  PipelineOptions pipeline;
  bool verbose = false;
  /// List each kernel with the ONNX nodes it computes (`--verbose` given).
  bool listKernels = false;
  /// Weights to `<output>.weights` even when small enough to embed.
  bool sidecarWeights = false;
};

/// The commands; each returns the process exit code.
int compileCommand(const DriverOptions &options);
int checkCommand(const DriverOptions &options);
int runCommand(const DriverOptions &options,
               const std::vector<std::string> &executableArgs);

} // namespace mlir::kiln

#endif // KILN_COMPILER_DRIVER_COMPILE_H
