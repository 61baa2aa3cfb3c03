//===- Pipelines.h - kiln's compilation pipelines ----------------*- C++ -*-===//
//
// The phases of a compile, in order, and the pass pipelines between them.
// `kiln compile --compile-to=<phase>` stops after a phase; each phase's IR is
// printable, and every pass also runs alone in kiln-opt.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_PIPELINES_PIPELINES_H
#define KILN_COMPILER_PIPELINES_PIPELINES_H

#include "compiler/Target/CPU/CPUTarget.h"
#include "compiler/Target/CUDA/CUDATarget.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include <optional>
#include <string>

namespace mlir::kiln {

/// Where a compile stops. Each phase names the IR that exists after it.
enum class Phase {
  Import,     ///< kiln dialect, as imported from ONNX
  Kernels,    ///< kiln ops grouped into kiln.kernel regions
  Linalg,     ///< kernels outlined to functions of linalg on tensors, fused
  Tiled,      ///< kernels tiled (scf.forall) and vectorized, still on tensors
  Bufferized, ///< memrefs; @main on the runtime ABI with its arena planned
  LLVM,       ///< LLVM dialect
  Executable, ///< object + runtime + weights linked (the default)
};

/// Parses a `--compile-to` value; nullopt if unknown.
std::optional<Phase> parsePhase(llvm::StringRef name);
/// The `--compile-to` spellings, for help and error messages.
llvm::StringRef phaseNames();

struct PipelineOptions {
  CPUTargetOptions cpu;
  /// The register tiling of the CPU path being compiled (Tiled phase).
  CPUTilePolicy cpuTiles;
  /// Set (archs non-empty) for `--target cuda:...`: GPU mapping instead of
  /// CPU tiling, every constant in the weights blob, NVVM/PTX lowering.
  CUDATargetOptions cuda;
  /// Print the IR after every pass (to stderr), for debugging.
  bool printIRAfterAll = false;
  /// Report each pass's time on stderr.
  bool timing = false;
};

/// Adds the passes that take a module from the end of `phase - 1` to the end
/// of `phase`. Executable needs no passes (it is object emission and link).
void buildPhasePipeline(OpPassManager &pm, Phase phase,
                        const PipelineOptions &options);

/// Runs the phases after `done` up to and including `last` on `module`,
/// printing one progress line per phase on stderr when `progress` is set
/// (ending in ` (label)` when one is given: the CPU path).
LogicalResult runPipeline(ModuleOp module, Phase done, Phase last,
                          const PipelineOptions &options, bool progress,
                          StringRef label = "");

} // namespace mlir::kiln

#endif // KILN_COMPILER_PIPELINES_PIPELINES_H
