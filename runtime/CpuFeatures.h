//===- CpuFeatures.h - x86-64 features a compiled path may need --*- C++ -*-===//
//
// An executable carries one code path per ISA level (`--cpu=x86-64-v2,...`)
// and picks one at start from cpuid. This table is the contract between the
// two sides: the compiler lets a path use only the features named here (plus
// the x86-64 baseline) and records which it used; the runtime detects exactly
// these with cpuid (and XGETBV for the register state the OS saves), so a
// path it accepts can never meet an instruction this CPU lacks.
// Header-only and free of LLVM: the compiler includes it too.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_CPUFEATURES_H
#define KILN_RUNTIME_CPUFEATURES_H

#include <cstring>
#include <string>
#include <vector>

namespace kiln {
namespace runtime {

/// Which register state the OS must save (XCR0) for a feature to be usable.
enum class OsState { None, Ymm, Zmm };

/// A feature by its LLVM name and where cpuid reports it.
struct CpuFeature {
  const char *name;
  unsigned leaf, subleaf;
  char reg; // 'a', 'b', 'c' or 'd'
  unsigned bit;
  OsState os;
};

// Names are LLVM's target feature names. `crc32` is part of SSE4.2 and
// `evex512` (512-bit vectors) of AVX-512F on every CPU that has them.
inline constexpr CpuFeature kCpuFeatures[] = {
    {"sse3", 1, 0, 'c', 0, OsState::None},
    {"pclmul", 1, 0, 'c', 1, OsState::None},
    {"ssse3", 1, 0, 'c', 9, OsState::None},
    {"fma", 1, 0, 'c', 12, OsState::Ymm},
    {"cx16", 1, 0, 'c', 13, OsState::None},
    {"sse4.1", 1, 0, 'c', 19, OsState::None},
    {"sse4.2", 1, 0, 'c', 20, OsState::None},
    {"crc32", 1, 0, 'c', 20, OsState::None},
    {"movbe", 1, 0, 'c', 22, OsState::None},
    {"popcnt", 1, 0, 'c', 23, OsState::None},
    {"aes", 1, 0, 'c', 25, OsState::None},
    {"xsave", 1, 0, 'c', 26, OsState::None},
    {"avx", 1, 0, 'c', 28, OsState::Ymm},
    {"f16c", 1, 0, 'c', 29, OsState::Ymm},
    {"bmi", 7, 0, 'b', 3, OsState::None},
    {"avx2", 7, 0, 'b', 5, OsState::Ymm},
    {"bmi2", 7, 0, 'b', 8, OsState::None},
    {"avx512f", 7, 0, 'b', 16, OsState::Zmm},
    {"evex512", 7, 0, 'b', 16, OsState::Zmm},
    {"avx512dq", 7, 0, 'b', 17, OsState::Zmm},
    {"adx", 7, 0, 'b', 19, OsState::None},
    {"avx512ifma", 7, 0, 'b', 21, OsState::Zmm},
    {"avx512cd", 7, 0, 'b', 28, OsState::Zmm},
    {"sha", 7, 0, 'b', 29, OsState::None},
    {"avx512bw", 7, 0, 'b', 30, OsState::Zmm},
    {"avx512vl", 7, 0, 'b', 31, OsState::Zmm},
    {"avx512vbmi", 7, 0, 'c', 1, OsState::Zmm},
    {"avx512vbmi2", 7, 0, 'c', 6, OsState::Zmm},
    {"gfni", 7, 0, 'c', 8, OsState::None},
    {"vaes", 7, 0, 'c', 9, OsState::Ymm},
    {"vpclmulqdq", 7, 0, 'c', 10, OsState::Ymm},
    {"avx512vnni", 7, 0, 'c', 11, OsState::Zmm},
    {"avx512bitalg", 7, 0, 'c', 12, OsState::Zmm},
    {"avx512vpopcntdq", 7, 0, 'c', 14, OsState::Zmm},
    {"avx512fp16", 7, 0, 'd', 23, OsState::Zmm},
    {"avxvnni", 7, 1, 'a', 4, OsState::Ymm},
    {"avx512bf16", 7, 1, 'a', 5, OsState::Zmm},
    {"sahf", 0x80000001u, 0, 'c', 0, OsState::None},
    {"lzcnt", 0x80000001u, 0, 'c', 5, OsState::None},
    {"sse4a", 0x80000001u, 0, 'c', 6, OsState::None},
    {"prfchw", 0x80000001u, 0, 'c', 8, OsState::None},
};

/// What every x86-64 CPU has: never checked, always allowed.
inline constexpr const char *kBaselineCpuFeatures[] = {
    "64bit", "cmov", "cx8", "fxsr", "mmx", "sse", "sse2", "x87"};

inline const CpuFeature *findCpuFeature(const char *name) {
  for (const CpuFeature &f : kCpuFeatures)
    if (std::strcmp(f.name, name) == 0)
      return &f;
  return nullptr;
}

inline bool isBaselineCpuFeature(const char *name) {
  for (const char *b : kBaselineCpuFeatures)
    if (std::strcmp(b, name) == 0)
      return true;
  return false;
}

/// The features of kCpuFeatures this CPU has and its OS has enabled
/// (runtime only: cpuid + xgetbv).
std::vector<std::string> detectCpuFeatures();

/// The CPU's brand string ("AMD EPYC 9B14"), or "unknown".
std::string cpuModelName();

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_CPUFEATURES_H
