//===- CPUTarget.h - x86-64 lowering and object emission ---------*- C++ -*-===//
//
// The CPU back end: the pass pipeline from bufferized code to the LLVM
// dialect (parallel loops become async tasks on the runtime's thread pool),
// and the translation of that module into an x86-64 ELF object that defines
// `kiln_entry` and `kiln_manifest` (runtime/ABI.md).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_TARGET_CPU_CPUTARGET_H
#define KILN_COMPILER_TARGET_CPU_CPUTARGET_H

#include "compiler/Target/CPU/CPUPaths.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir::kiln {

struct CPUTargetOptions {
  /// `--cpu`: comma-separated LLVM CPU names, one code path each
  /// (CPUPaths.h); `native` is this machine alone.
  std::string cpus = kDefaultCPUList;
  /// Extra LLVM target features ("+avx2,-avx512f") applied to every path.
  std::string features;
  /// LLVM optimization level (0-3). Coroutines are lowered at every level.
  unsigned optLevel = 3;
};

/// Passes from bufferized code (memref + scf.forall/scf.for + vector +
/// arith/math + func calls) to the LLVM dialect. scf.forall → scf.parallel →
/// async-parallel-for (workers asked of the runtime) → async runtime calls.
/// The entry function must carry `llvm.emit_c_interface` and return nothing.
void buildCPULoweringPipeline(OpPassManager &pm, const CPUTargetOptions &opts);

/// Translates the LLVM-dialect `module` to LLVM IR, adds
/// `void kiln_entry(void **descs)` calling `_mlir_ciface_<entryFunc>` with
/// descs[0..n) and the NUL-terminated global `kiln_manifest`, optimizes and
/// emits an x86-64 ELF object for `path` into `object`. Deterministic.
/// (A single-path object: the runtime's tests and kiln-cpu-emit.)
LogicalResult emitCPUObject(ModuleOp module, StringRef entryFunc,
                            StringRef manifest, const CPUPath &path,
                            unsigned optLevel, SmallVectorImpl<char> &object);

/// The objects of a multi-path executable (runtime/ABI.md): for each path i,
/// `modules[i]` (lowered for `paths[i]`) as an object defining only
/// `kiln_cpu_entry_<i>`; then one object, for the x86-64 baseline, holding
/// `kiln_manifest` and the table `kiln_cpu_entries`. The paths are optimized
/// and emitted in parallel. Deterministic.
LogicalResult emitCPUPathObjects(ArrayRef<ModuleOp> modules,
                                 ArrayRef<CPUPath> paths, StringRef entryFunc,
                                 StringRef manifest, unsigned optLevel,
                                 SmallVectorImpl<SmallVector<char>> &objects);

} // namespace mlir::kiln

#endif // KILN_COMPILER_TARGET_CPU_CPUTARGET_H
