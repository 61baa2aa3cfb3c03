//===- CUDATarget.h - NVIDIA GPU lowering and packing ------------*- C++ -*-===//
//
// `--target cuda:sm_80,sm_90`: kernels are mapped to GPU blocks/threads,
// outlined into gpu.modules, lowered to NVVM and serialized to PTX per arch
// by the upstream GPU passes; packing then assembles a cubin per arch with
// ptxas and embeds cubins plus the newest PTX as one image per module
// (runtime/CudaImage.h). The host side calls the mgpu* C API, which
// runtime/CudaRuntime.cpp implements on libcuda loaded at run time.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_TARGET_CUDA_CUDATARGET_H
#define KILN_COMPILER_TARGET_CUDA_CUDATARGET_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir::kiln {

struct CUDATargetOptions {
  /// Compute capabilities as numbers (80 for sm_80), ascending, no repeats.
  /// Empty: not a CUDA compile.
  SmallVector<unsigned> archs;
  /// The CUDA toolkit: bin/ptxas assembles a cubin per arch (missing: PTX
  /// only) and nvvm/libdevice provides the math functions kernels call.
  std::string toolkit = "/usr/local/cuda";
  /// Threads per block of the naive mapping.
  int64_t blockSize = 256;
  /// `--target cuda:host` (a test aid): the GPU mapping runs, then the
  /// loops are lowered for the CPU instead of a GPU, so machines without a
  /// GPU can check the mapping's numerics. The result is a CPU executable.
  bool emulateOnHost = false;

  bool enabled() const { return !archs.empty() || emulateOnHost; }
  /// True when GPU code is generated (PTX, cubins, the CUDA runtime).
  bool onDevice() const { return !archs.empty(); }
};

/// Parses `cuda:sm_80,sm_90[,...]` (or `cuda`, meaning sm_80,sm_90) into
/// `options`; on failure `error` says what is wrong.
LogicalResult parseCUDATarget(StringRef spec, CUDATargetOptions &options,
                              std::string &error);

/// The `--target` spelling of `options` (`cuda:sm_80,sm_90`).
std::string formatCUDATarget(const CUDATargetOptions &options);

/// For `cuda:host`: the GPU mapping only (kiln-gpu-map-to-loops), whose
/// scf.parallel nests the CPU lowering then runs on the host.
void buildCUDAHostEmulationPipeline(OpPassManager &pm,
                                    const CUDATargetOptions &options);

/// Bufferized code (memref + linalg, one arena, weights on the device) to
/// the LLVM dialect on the host plus one gpu.binary per kernel module with
/// PTX for every arch (`gpu-module-to-binary` format=isa).
void buildCUDALoweringPipeline(OpPassManager &pm,
                               const CUDATargetOptions &options);

/// Replaces each gpu.binary's per-arch PTX objects by one image holding a
/// cubin per arch (ptxas) and the newest arch's PTX. Fails with one error
/// naming the arch when ptxas rejects the PTX; without ptxas it keeps PTX
/// for every arch and warns once on stderr.
LogicalResult packCUDABinaries(ModuleOp module,
                               const CUDATargetOptions &options);

} // namespace mlir::kiln

#endif // KILN_COMPILER_TARGET_CUDA_CUDATARGET_H
