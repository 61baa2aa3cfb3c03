//===- Microkernels_avx512.cpp - GEMM microkernels for avx512 -------------------===//
//
// AVX-512 (x86-64-v4); 16 zmm accumulators of 32. Compiled with this ISA's flags
// (runtime/CMakeLists.txt); called only from code paths that require it.
//
//===----------------------------------------------------------------------===//

#define KILN_UK_ISA avx512
#define KILN_UK_LANES 16
#define KILN_UK_MR 8
#define KILN_UK_NV 2
#define KILN_UK_FMA 1
#include "Microkernels.inc"
