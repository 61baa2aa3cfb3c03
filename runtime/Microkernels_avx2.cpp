//===- Microkernels_avx2.cpp - GEMM microkernels for avx2 -------------------===//
//
// AVX2 + FMA (x86-64-v3); 12 ymm accumulators of 16. Compiled with this ISA's flags
// (runtime/CMakeLists.txt); called only from code paths that require it.
//
//===----------------------------------------------------------------------===//

#define KILN_UK_ISA avx2
#define KILN_UK_LANES 8
#define KILN_UK_MR 6
#define KILN_UK_NV 2
#define KILN_UK_FMA 1
#include "Microkernels.inc"
