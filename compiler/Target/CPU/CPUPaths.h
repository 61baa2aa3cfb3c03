//===- CPUPaths.h - `--cpu` lists resolved to code paths ---------*- C++ -*-===//
//
// A CPU executable carries one code path per entry of `--cpu` (default: the
// x86-64 levels v2, v3 and v4) and the runtime picks one from cpuid. This
// resolves each entry to what its compile needs: the LLVM CPU and feature
// string (limited to the features the runtime can check,
// runtime/CpuFeatures.h, so an accepted path never traps), the features the
// runtime must find, and the tiling policy of its widest vector unit.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_TARGET_CPU_CPUPATHS_H
#define KILN_COMPILER_TARGET_CPU_CPUPATHS_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace mlir::kiln {

/// The default `--cpu`: one path per x86-64 ISA level from v2 (SSE4.2) to v4
/// (AVX-512).
inline constexpr const char *kDefaultCPUList = "x86-64-v2,x86-64-v3,x86-64-v4";

/// Register tiling for one ISA level.
struct CPUTilePolicy {
  /// f32 lanes per vector register (4 SSE, 8 AVX, 16 AVX-512).
  int64_t vectorWidth = 16;
  /// Rows of a matmul's register tile (each row holds 2 vectors of
  /// accumulators): 8 with 32 vector registers, 4 with 16.
  int64_t registerRows = 8;
  /// The runtime microkernels (runtime/Microkernels_<isa>.cpp) the path
  /// calls for matmuls and convolutions: avx512, avx2 or sse; empty for
  /// none (generated loops instead).
  std::string microkernelISA = "avx512";
};

struct CPUPath {
  /// As written in `--cpu` (`x86-64-v3`, `native`, `znver3`): the path's
  /// name in the manifest and for KILN_CPU_PATH.
  std::string name;
  /// LLVM CPU name (for `native`, this machine's).
  std::string cpu;
  /// LLVM target features: `+f` for each usable one, `-f` for the ones the
  /// CPU has that the runtime cannot check.
  std::string llvmFeatures;
  /// The features the runtime must find (runtime/CpuFeatures.h names),
  /// sorted.
  SmallVector<std::string> required;
  CPUTilePolicy tiles;
};

/// Resolves a comma-separated `--cpu` list (`native` = this machine; any
/// LLVM x86-64 CPU name) with `extraFeatures` (`+avx2,-avx512f`) applied to
/// each entry. Fails with a one-line message on an unknown name, an empty
/// entry or a name given twice.
LogicalResult resolveCPUPaths(StringRef list, StringRef extraFeatures,
                              SmallVectorImpl<CPUPath> &paths,
                              std::string &error);

/// The manifest record of a path: `cpu_path <name> <cpu> <f1,f2,...|->`.
std::string formatCPUPathRecord(const CPUPath &path);

} // namespace mlir::kiln

#endif // KILN_COMPILER_TARGET_CPU_CPUPATHS_H
