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

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir::kiln {

struct CPUTargetOptions {
  /// An LLVM CPU name; "host" = the CPU (and features) of this machine.
  std::string cpu = "host";
  /// Extra LLVM target features ("+avx2,-avx512f"), appended to the CPU's.
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
/// emits an x86-64 ELF object into `object`. Deterministic.
LogicalResult emitCPUObject(ModuleOp module, StringRef entryFunc,
                            StringRef manifest, const CPUTargetOptions &opts,
                            SmallVectorImpl<char> &object);

} // namespace mlir::kiln

#endif // KILN_COMPILER_TARGET_CPU_CPUTARGET_H
