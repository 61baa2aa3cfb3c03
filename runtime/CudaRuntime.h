//===- CudaRuntime.h - The NVIDIA driver, loaded at run time ---*- C++ -*-===//
//
// What a Session needs to run a `--target cuda` model: the driver opened with
// dlopen (no CUDA library is linked), one device and its primary context, the
// model's kernel modules loaded for the device's arch, device buffers, and
// runs replayed from a CUDA graph. Every failure comes back as one line of
// text; the mgpu* functions the compiled code calls live in CudaRuntime.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_CUDARUNTIME_H
#define KILN_RUNTIME_CUDARUNTIME_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace kiln {
namespace runtime {
namespace cuda {

/// Opens the driver, picks the device (`KILN_CUDA_DEVICE`, default 0),
/// makes its primary context current and loads every kernel module the
/// executable carries (a cubin for the device's arch, else PTX JIT).
bool initialize(std::string &error);

/// Device memory; `what` names the buffer in an out-of-memory message.
bool allocate(size_t bytes, const std::string &what, void **devicePtr,
              std::string &error);
bool upload(void *devicePtr, const void *host, size_t bytes,
            std::string &error);
bool download(void *host, const void *devicePtr, size_t bytes,
              std::string &error);
bool fill(void *devicePtr, unsigned char byte, size_t bytes,
          std::string &error);

/// Runs `entry(descs)` on the stream: the first call launches directly, the
/// second captures a CUDA graph, later calls replay it. Waits for the GPU;
/// `gpuMs` gets the run's time measured with CUDA events.
bool run(void (*entry)(void **), void **descs, double &gpuMs,
         std::string &error);

} // namespace cuda
} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_CUDARUNTIME_H
