//===- Microkernels_sse.cpp - GEMM microkernels for sse -------------------===//
//
// SSE2 (the x86-64 baseline: every CPU). Compiled with this ISA's flags
// (runtime/CMakeLists.txt); called only from code paths that require it.
//
//===----------------------------------------------------------------------===//

#define KILN_UK_ISA sse
#define KILN_UK_LANES 4
#define KILN_UK_MR 6
#define KILN_UK_NV 2
#define KILN_UK_FMA 0
#include "Microkernels.inc"
