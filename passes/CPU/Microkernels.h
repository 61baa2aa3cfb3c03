//===- Microkernels.h - which linalg ops run as runtime microkernels -*- C++ -*-===//
//
// Matmuls, batch matmuls and NCHW convolutions with f32/f16/bf16 operands
// and an f32 accumulator are computed by the runtime's packed GEMM
// (runtime/Microkernels.inc), one copy per ISA level; NCHW depthwise
// convolutions by its row kernel. kiln-cpu-tile-and-
// vectorize leaves such ops untiled below the distribution level, and
// kiln-cpu-microkernel-calls replaces them, once bufferized, by calls. Both
// ask this one predicate, so an op is never left to neither.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CPU_MICROKERNELS_H
#define KILN_PASSES_CPU_MICROKERNELS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>
#include <string>

namespace mlir::kiln {

enum class MicrokernelKind { Matmul, BatchMatmul, Conv2DNchw, DepthwiseConv2DNchw };

struct MicrokernelMatch {
  MicrokernelKind kind;
  /// Operand element type name: f32, f16 or bf16.
  std::string elementType;
  /// Matmuls: whether A is stored k-major (A^T) and B n-major (B^T).
  bool transposeA = false, transposeB = false;
};

/// The microkernel that computes `op` (on tensors or on memrefs), if any.
std::optional<MicrokernelMatch> matchMicrokernel(linalg::LinalgOp op);

/// The runtime symbol for a match on ISA level `isa` (sse, avx2, avx512).
std::string microkernelSymbol(const MicrokernelMatch &match,
                              llvm::StringRef isa);

} // namespace mlir::kiln

#endif // KILN_PASSES_CPU_MICROKERNELS_H
