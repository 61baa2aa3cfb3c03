//===- CudaRuntime.cpp - The NVIDIA driver, loaded at run time ------------===//
//
// libcuda.so.1 is opened with dlopen and its entry points looked up by name,
// so a kiln executable links no CUDA library and starts (for --describe, or
// to say "no NVIDIA driver") on machines without one. The driver types are
// declared here (the handful used, ABI-stable since CUDA 4) instead of
// including cuda.h, so the runtime builds without the toolkit.
//
// The compiled code calls upstream MLIR's mgpu* C API (what gpu-to-llvm
// emits): module loads run as global constructors before main, so
// mgpuModuleLoad only records the embedded image and `initialize` loads them
// later; every launch goes to the one stream, synchronization is deferred to
// the end of a run, and errors inside a run are kept and reported by `run`.
//
//===----------------------------------------------------------------------===//

#include "CudaRuntime.h"
#include "CudaImage.h"

#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <vector>

namespace {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUgraph = struct CUgraph_st *;
using CUgraphExec = struct CUgraphExec_st *;
using CUevent = struct CUevent_st *;

constexpr CUresult CUDA_SUCCESS = 0;
constexpr CUresult CUDA_ERROR_OUT_OF_MEMORY = 2;
constexpr CUresult CUDA_ERROR_NO_DEVICE = 100;
constexpr CUresult CUDA_ERROR_STUB_LIBRARY = 34;
constexpr CUresult CUDA_ERROR_INSUFFICIENT_DRIVER = 35;
constexpr CUresult CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
/// A blocking stream: it is ordered after the synchronous copies and fills
/// (legacy default stream) that set up inputs and poison outputs.
constexpr int CU_STREAM_DEFAULT = 0;
constexpr int CU_STREAM_CAPTURE_MODE_RELAXED = 2;

/// The driver entry points kiln uses, looked up once.
struct Driver {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuGetErrorString)(CUresult, const char **);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetName)(char *, int, CUdevice);
  CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuModuleLoadData)(CUmodule *, const void *);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, unsigned, CUstream,
                             void **, void **);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemGetInfo)(size_t *, size_t *);
  CUresult (*cuMemcpyHtoD)(CUdeviceptr, const void *, size_t);
  CUresult (*cuMemcpyDtoH)(void *, CUdeviceptr, size_t);
  CUresult (*cuMemsetD8)(CUdeviceptr, unsigned char, size_t);
  CUresult (*cuStreamCreate)(CUstream *, unsigned);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuStreamBeginCapture)(CUstream, int);
  CUresult (*cuStreamEndCapture)(CUstream, CUgraph *);
  CUresult (*cuGraphInstantiateWithFlags)(CUgraphExec *, CUgraph,
                                          unsigned long long);
  CUresult (*cuGraphLaunch)(CUgraphExec, CUstream);
  CUresult (*cuEventCreate)(CUevent *, unsigned);
  CUresult (*cuEventRecord)(CUevent, CUstream);
  CUresult (*cuEventSynchronize)(CUevent);
  CUresult (*cuEventElapsedTime)(float *, CUevent, CUevent);
};

/// One embedded kernel module, as recorded by mgpuModuleLoad.
struct Module {
  const void *image;
  size_t bytes;
  CUmodule handle = nullptr;
};

struct State {
  void *library = nullptr;
  Driver d{};
  bool ready = false;
  CUdevice device = 0;
  CUstream stream = nullptr;
  CUevent start = nullptr, stop = nullptr;
  CUgraphExec graph = nullptr;
  int runs = 0;
  /// The first error of a launch inside a run (reported by `run`).
  std::string launchError;
};

State &state() {
  static State s;
  return s;
}

/// Constructed on first use: global constructors register modules before
/// main, in an order relative to this file's statics that is unspecified.
std::vector<Module *> &modules() {
  static std::vector<Module *> list;
  return list;
}

std::string describe(CUresult rc) {
  const char *text = nullptr;
  State &s = state();
  if (s.d.cuGetErrorString)
    s.d.cuGetErrorString(rc, &text);
  return std::string(text ? text : "unknown CUDA error") + " (CUDA error " +
         std::to_string(rc) + ")";
}

bool check(CUresult rc, const char *what, std::string &error) {
  if (rc == CUDA_SUCCESS)
    return true;
  error = std::string(what) + ": " + describe(rc);
  return false;
}

template <typename F> bool lookup(void *library, const char *name, F &fn) {
  fn = reinterpret_cast<F>(dlsym(library, name));
  return fn != nullptr;
}

bool openDriver(std::string &error) {
  State &s = state();
  if (s.library)
    return true;
  const char *path = std::getenv("KILN_LIBCUDA");
  void *lib = dlopen(path && *path ? path : "libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    error = "no NVIDIA driver (libcuda.so.1 not found)";
    return false;
  }
  Driver &d = s.d;
  bool ok = lookup(lib, "cuInit", d.cuInit) &&
            lookup(lib, "cuGetErrorString", d.cuGetErrorString) &&
            lookup(lib, "cuDeviceGetCount", d.cuDeviceGetCount) &&
            lookup(lib, "cuDeviceGet", d.cuDeviceGet) &&
            lookup(lib, "cuDeviceGetName", d.cuDeviceGetName) &&
            lookup(lib, "cuDeviceGetAttribute", d.cuDeviceGetAttribute) &&
            lookup(lib, "cuDevicePrimaryCtxRetain", d.cuDevicePrimaryCtxRetain) &&
            lookup(lib, "cuCtxSetCurrent", d.cuCtxSetCurrent) &&
            lookup(lib, "cuModuleLoadData", d.cuModuleLoadData) &&
            lookup(lib, "cuModuleGetFunction", d.cuModuleGetFunction) &&
            lookup(lib, "cuLaunchKernel", d.cuLaunchKernel) &&
            lookup(lib, "cuMemAlloc_v2", d.cuMemAlloc) &&
            lookup(lib, "cuMemGetInfo_v2", d.cuMemGetInfo) &&
            lookup(lib, "cuMemcpyHtoD_v2", d.cuMemcpyHtoD) &&
            lookup(lib, "cuMemcpyDtoH_v2", d.cuMemcpyDtoH) &&
            lookup(lib, "cuMemsetD8_v2", d.cuMemsetD8) &&
            lookup(lib, "cuStreamCreate", d.cuStreamCreate) &&
            lookup(lib, "cuStreamSynchronize", d.cuStreamSynchronize) &&
            lookup(lib, "cuStreamBeginCapture_v2", d.cuStreamBeginCapture) &&
            lookup(lib, "cuStreamEndCapture", d.cuStreamEndCapture) &&
            lookup(lib, "cuGraphInstantiateWithFlags",
                   d.cuGraphInstantiateWithFlags) &&
            lookup(lib, "cuGraphLaunch", d.cuGraphLaunch) &&
            lookup(lib, "cuEventCreate", d.cuEventCreate) &&
            lookup(lib, "cuEventRecord", d.cuEventRecord) &&
            lookup(lib, "cuEventSynchronize", d.cuEventSynchronize) &&
            lookup(lib, "cuEventElapsedTime", d.cuEventElapsedTime);
  if (!ok) {
    error = "NVIDIA driver too old: libcuda.so.1 lacks CUDA 11.4 entry points";
    return false;
  }
  s.library = lib;
  return true;
}

std::string smName(unsigned sm) { return "sm_" + std::to_string(sm); }

/// Loads `m` for a device of compute capability `sm`: a cubin of the same
/// major version built for at most the device's minor version, else PTX for
/// an arch at most the device's (the driver JIT-compiles it).
bool loadModule(Module &m, unsigned sm, const std::string &deviceName,
                std::string &error) {
  State &s = state();
  std::vector<kiln::runtime::CudaImageEntry> entries;
  if (!kiln::runtime::readCudaImage(m.image, m.bytes, entries)) {
    error = "corrupt GPU code in the executable (not a kiln CUDA image)";
    return false;
  }
  const kiln::runtime::CudaImageEntry *best = nullptr;
  for (const auto &e : entries)
    if (e.kind == kiln::runtime::CudaImageKind::Cubin && e.sm / 10 == sm / 10 &&
        e.sm <= sm && (!best || e.sm > best->sm))
      best = &e;
  if (!best)
    for (const auto &e : entries)
      if (e.kind == kiln::runtime::CudaImageKind::Ptx && e.sm <= sm &&
          (!best || e.sm > best->sm))
        best = &e;
  if (!best) {
    std::string cubins, ptx;
    for (const auto &e : entries)
      (e.kind == kiln::runtime::CudaImageKind::Cubin ? cubins : ptx) +=
          (std::string(" ") + smName(e.sm));
    error = "GPU '" + deviceName + "' (" + smName(sm) +
            ") cannot run this executable: it carries cubins for" +
            (cubins.empty() ? " none" : cubins) + " and PTX for" +
            (ptx.empty() ? " none" : ptx) + "; recompile with --target cuda:" +
            smName(sm);
    return false;
  }
  CUresult rc = s.d.cuModuleLoadData(&m.handle, best->data);
  if (rc == CUDA_ERROR_UNSUPPORTED_PTX_VERSION) {
    error = "NVIDIA driver too old to JIT this executable's PTX for " +
            smName(sm) + "; update the driver or recompile with --target cuda:" +
            smName(sm);
    return false;
  }
  return check(rc,
               best->kind == kiln::runtime::CudaImageKind::Cubin
                   ? "cannot load the GPU code (cubin)"
                   : "cannot JIT-compile the GPU code (PTX)",
               error);
}

} // namespace

namespace kiln {
namespace runtime {
namespace cuda {

bool initialize(std::string &error) {
  State &s = state();
  if (s.ready)
    return true;
  if (!openDriver(error))
    return false;
  CUresult rc = s.d.cuInit(0);
  if (rc == CUDA_ERROR_STUB_LIBRARY) {
    error = "no NVIDIA driver (libcuda.so.1 is the CUDA toolkit's stub "
            "library, not a driver)";
    return false;
  }
  if (rc == CUDA_ERROR_NO_DEVICE) {
    error = "no NVIDIA GPU found (the driver sees no device)";
    return false;
  }
  if (rc == CUDA_ERROR_INSUFFICIENT_DRIVER) {
    error = "NVIDIA driver too old for this executable";
    return false;
  }
  if (!check(rc, "cannot initialize the NVIDIA driver", error))
    return false;
  int count = 0;
  if (!check(s.d.cuDeviceGetCount(&count), "cannot count GPUs", error))
    return false;
  if (count == 0) {
    error = "no NVIDIA GPU found (the driver sees no device)";
    return false;
  }
  int ordinal = 0;
  if (const char *env = std::getenv("KILN_CUDA_DEVICE")) {
    char *end = nullptr;
    long v = std::strtol(env, &end, 10);
    if (!*env || *end || v < 0 || v >= count) {
      error = "KILN_CUDA_DEVICE='" + std::string(env) +
              "' is not a GPU index (this machine has " +
              std::to_string(count) + ")";
      return false;
    }
    ordinal = static_cast<int>(v);
  }
  CUcontext ctx = nullptr;
  int major = 0, minor = 0;
  char name[256] = {0};
  if (!check(s.d.cuDeviceGet(&s.device, ordinal), "cannot open the GPU", error) ||
      !check(s.d.cuDeviceGetName(name, sizeof(name) - 1, s.device),
             "cannot query the GPU", error) ||
      !check(s.d.cuDeviceGetAttribute(
                 &major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, s.device),
             "cannot query the GPU", error) ||
      !check(s.d.cuDeviceGetAttribute(
                 &minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, s.device),
             "cannot query the GPU", error) ||
      !check(s.d.cuDevicePrimaryCtxRetain(&ctx, s.device),
             "cannot create a context on the GPU", error) ||
      !check(s.d.cuCtxSetCurrent(ctx), "cannot use the GPU's context", error) ||
      !check(s.d.cuStreamCreate(&s.stream, CU_STREAM_DEFAULT),
             "cannot create a CUDA stream", error) ||
      !check(s.d.cuEventCreate(&s.start, 0), "cannot create a CUDA event", error) ||
      !check(s.d.cuEventCreate(&s.stop, 0), "cannot create a CUDA event", error))
    return false;
  unsigned sm = static_cast<unsigned>(major * 10 + minor);
  for (Module *m : modules())
    if (!loadModule(*m, sm, name, error))
      return false;
  s.ready = true;
  return true;
}

bool allocate(size_t bytes, const std::string &what, void **devicePtr,
              std::string &error) {
  State &s = state();
  CUdeviceptr p = 0;
  // Zero-byte buffers still get a distinct, valid pointer.
  CUresult rc = s.d.cuMemAlloc(&p, bytes ? bytes : 64);
  if (rc == CUDA_ERROR_OUT_OF_MEMORY) {
    size_t freeBytes = 0, total = 0;
    s.d.cuMemGetInfo(&freeBytes, &total);
    error = "out of GPU memory: " + what + " needs " + std::to_string(bytes) +
            " bytes, " + std::to_string(freeBytes) + " of " +
            std::to_string(total) + " are free";
    return false;
  }
  if (!check(rc, ("cannot allocate GPU memory for " + what).c_str(), error))
    return false;
  *devicePtr = reinterpret_cast<void *>(static_cast<uintptr_t>(p));
  return true;
}

static CUdeviceptr devicePointer(const void *p) {
  return static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(p));
}

bool upload(void *devicePtr, const void *host, size_t bytes,
            std::string &error) {
  return bytes == 0 ||
         check(state().d.cuMemcpyHtoD(devicePointer(devicePtr), host, bytes),
               "cannot copy to the GPU", error);
}

bool download(void *host, const void *devicePtr, size_t bytes,
              std::string &error) {
  return bytes == 0 ||
         check(state().d.cuMemcpyDtoH(host, devicePointer(devicePtr), bytes),
               "cannot copy from the GPU", error);
}

bool fill(void *devicePtr, unsigned char byte, size_t bytes,
          std::string &error) {
  return bytes == 0 ||
         check(state().d.cuMemsetD8(devicePointer(devicePtr), byte, bytes),
               "cannot fill GPU memory", error);
}

bool run(void (*entry)(void **), void **descs, double &gpuMs,
         std::string &error) {
  State &s = state();
  const Driver &d = s.d;
  s.launchError.clear();
  if (s.runs == 1 && !s.graph) {
    // The second run records the launches once; later runs replay them.
    CUgraph graph = nullptr;
    if (!check(d.cuStreamBeginCapture(s.stream, CU_STREAM_CAPTURE_MODE_RELAXED),
               "cannot capture a CUDA graph", error))
      return false;
    entry(descs);
    CUresult rc = d.cuStreamEndCapture(s.stream, &graph);
    if (!s.launchError.empty()) {
      error = s.launchError;
      return false;
    }
    if (!check(rc, "cannot capture a CUDA graph", error) ||
        !check(d.cuGraphInstantiateWithFlags(&s.graph, graph, 0),
               "cannot instantiate the CUDA graph", error))
      return false;
  }
  if (!check(d.cuEventRecord(s.start, s.stream), "cannot record a CUDA event",
             error))
    return false;
  if (s.graph) {
    if (!check(d.cuGraphLaunch(s.graph, s.stream), "cannot launch the CUDA graph",
               error))
      return false;
  } else {
    entry(descs);
    if (!s.launchError.empty()) {
      error = s.launchError;
      return false;
    }
  }
  float ms = 0;
  if (!check(d.cuEventRecord(s.stop, s.stream), "cannot record a CUDA event",
             error) ||
      !check(d.cuEventSynchronize(s.stop), "the model failed on the GPU", error) ||
      !check(d.cuStreamSynchronize(s.stream), "the model failed on the GPU",
             error) ||
      !check(d.cuEventElapsedTime(&ms, s.start, s.stop),
             "cannot time the run", error))
    return false;
  gpuMs = ms;
  ++s.runs;
  return true;
}

} // namespace cuda
} // namespace runtime
} // namespace kiln

//===----------------------------------------------------------------------===//
// The mgpu* C API that MLIR's gpu-to-llvm lowering calls.
//===----------------------------------------------------------------------===//

extern "C" {

void *mgpuModuleLoad(void *data, size_t gpuBlobSize) {
  auto *m = new Module{data, gpuBlobSize};
  modules().push_back(m);
  return m;
}

/// Upstream's entry point for an unpacked PTX object; kiln packs every
/// module, so this is only reached by foreign objects: a NUL-terminated PTX.
void *mgpuModuleLoadJIT(void *data, int /*optLevel*/) {
  std::vector<kiln::runtime::CudaImageEntry> entries(1);
  entries[0].kind = kiln::runtime::CudaImageKind::Ptx;
  entries[0].sm = 0;
  entries[0].data = static_cast<const char *>(data);
  entries[0].bytes = std::strlen(static_cast<const char *>(data)) + 1;
  auto *image = new std::string(kiln::runtime::writeCudaImage(entries));
  return mgpuModuleLoad(image->data(), image->size());
}

/// Modules live as long as the process; the driver frees them at exit.
void mgpuModuleUnload(void * /*module*/) {}

void *mgpuModuleGetFunction(void *module, const char *name) {
  State &s = state();
  auto *m = static_cast<Module *>(module);
  CUfunction fn = nullptr;
  if (!s.ready || !m->handle) {
    if (s.launchError.empty())
      s.launchError = "GPU code used before the driver was initialized";
    return nullptr;
  }
  std::string error;
  if (!check(s.d.cuModuleGetFunction(&fn, m->handle, name),
             ("cannot find GPU kernel '" + std::string(name) + "'").c_str(),
             error) &&
      s.launchError.empty())
    s.launchError = error;
  return fn;
}

void *mgpuStreamCreate() { return state().stream; }
void mgpuStreamDestroy(void * /*stream*/) {}
/// Deferred: a run waits for the stream once, after its last launch (and a
/// graph capture may not synchronize at all).
void mgpuStreamSynchronize(void * /*stream*/) {}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t /*paramsCount*/) {
  State &s = state();
  if (!function || !s.launchError.empty())
    return;
  std::string error;
  if (!check(s.d.cuLaunchKernel(static_cast<CUfunction>(function),
                                static_cast<unsigned>(gridX),
                                static_cast<unsigned>(gridY),
                                static_cast<unsigned>(gridZ),
                                static_cast<unsigned>(blockX),
                                static_cast<unsigned>(blockY),
                                static_cast<unsigned>(blockZ),
                                static_cast<unsigned>(smem),
                                static_cast<CUstream>(stream), params, extra),
             "cannot launch a GPU kernel", error))
    s.launchError = error;
}

} // extern "C"
