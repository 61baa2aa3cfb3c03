//===- Session.cpp - One loaded model ready to run ------------------------===//
//
// Inputs are checked against the manifest (dtype first, then shape with its
// symbolic dims) before the model ever sees them; outputs are sized from the
// bound symbols, or, when the model returns its outputs (some output shape
// is computed by the model), taken from the descriptors it returns.
// Descriptors follow runtime/ABI.md: weights, arena, inputs, outputs, each
// `{allocated, aligned, offset, sizes[r], strides[r]}` with row-major strides.
//
//===----------------------------------------------------------------------===//

#include "Session.h"
#include "CudaRuntime.h"
#include "Npy.h"
#include "TensorProto.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace kiln {
namespace runtime {

Session::Session(const Manifest &m, EntryFn entry)
    : manifest(m), entry(entry), inputs(m.inputs.size()), loaded(m.inputs.size(), false),
      outputs(m.outputs.size()) {}

bool Session::presetDim(const std::string &name, int64_t size,
                        std::string &error) {
  auto it = bindings.sizes.find(name);
  if (it != bindings.sizes.end() && it->second != size) {
    error = "--dim " + name + " given twice with different sizes";
    return false;
  }
  bindings.sizes[name] = size;
  bindings.boundBy[name] = "--dim";
  return true;
}

static bool endsWith(const std::string &s, const char *suffix) {
  size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

bool Session::acceptInput(size_t index, Tensor &t, std::string &error) {
  const TensorSpec &spec = manifest.inputs[index];
  // numpy has no bfloat16: float32 data is accepted for bf16 inputs and
  // rounded to nearest even.
  if (spec.dtype == DType::BF16 && t.dtype == DType::F32) {
    uint64_t n = 0;
    elementCount(t.shape, n);
    Tensor narrowed;
    narrowed.dtype = DType::BF16;
    narrowed.shape = t.shape;
    if (!narrowed.buffer.allocate(static_cast<size_t>(n) * 2)) {
      error = "input '" + spec.name + "': out of memory";
      return false;
    }
    const float *src = static_cast<const float *>(t.buffer.data());
    uint16_t *dst = static_cast<uint16_t *>(narrowed.buffer.data());
    for (uint64_t i = 0; i < n; ++i)
      dst[i] = floatToBf16(src[i]);
    t = std::move(narrowed);
  }
  // np.save writes ml_dtypes arrays (int4, float8_e4m3fn, ...) as `V1`:
  // those bytes are taken as the dtype the model expects.
  if (t.dtype == DType::Opaque8 && spec.dtype >= DType::I4 &&
      spec.dtype < DType::Opaque8) {
    t.dtype = spec.dtype;
    if (subByteBits(t.dtype)) {
      uint64_t n = 0;
      elementCount(t.shape, n);
      uint8_t *p = static_cast<uint8_t *>(t.buffer.data());
      for (uint64_t i = 0; i < n; ++i)
        p[i] = widenSubByte(t.dtype, p[i]);
    }
  }
  if (t.dtype != spec.dtype) {
    error = "input '" + spec.name + "': expected dtype " +
            dtypeNumpyName(spec.dtype) + ", got " + dtypeNumpyName(t.dtype);
    return false;
  }
  if (!bindInputShape(spec, t.shape, bindings, error))
    return false;
  inputs[index] = std::move(t);
  loaded[index] = true;
  return true;
}

bool Session::loadInput(size_t index, const std::string &path,
                        std::string &error) {
  const TensorSpec &spec = manifest.inputs[index];
  Tensor t;
  bool isNpy =
      endsWith(path, ".npy") || (!endsWith(path, ".pb") && hasNpyMagic(path));
  bool ok = isNpy ? readNpy(path, t, error) : readTensorProto(path, t, error);
  if (!ok) {
    // File errors already name the path; format errors get it here.
    if (error.find(path) == std::string::npos)
      error = "'" + path + "': " + error;
    error = "input '" + spec.name + "': " + error;
    return false;
  }
  return acceptInput(index, t, error);
}

namespace {
/// splitmix64: tiny, seedable, and identical on every platform.
struct Rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [-1, 1).
  float symmetric() {
    return static_cast<float>(next() >> 40) * (2.0f / 16777216.0f) - 1.0f;
  }
};
} // namespace

bool Session::randomInput(size_t index, std::string &error) {
  const TensorSpec &spec = manifest.inputs[index];
  Tensor t;
  t.dtype = spec.dtype;
  for (const Dim &d : spec.shape) {
    if (!d.isSymbolic()) {
      t.shape.push_back(d.size);
      continue;
    }
    auto it = bindings.sizes.find(d.symbol);
    if (it == bindings.sizes.end()) {
      error = "input '" + spec.name + "': symbolic dim '" + d.symbol + "' (shape " +
              formatSpecShape(spec.shape) + ") has no size: give --dim " + d.symbol +
              "=SIZE or --input " + spec.name + "=FILE";
      return false;
    }
    t.shape.push_back(it->second);
  }
  uint64_t n, bytes;
  if (!elementCount(t.shape, n) || !byteCount(t.shape, t.dtype, bytes) ||
      !t.buffer.allocate(static_cast<size_t>(bytes))) {
    error = "input '" + spec.name +
            "': cannot allocate a random tensor of "
            "shape " +
            formatShape(t.shape);
    return false;
  }
  Rng rng{0x6b696c6e00000000ULL + index}; // "kiln" + input position
  void *p = t.buffer.data();
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t r = rng.next();
    uint64_t small = r % 10;
    switch (t.dtype) {
    case DType::F32:
      static_cast<float *>(p)[i] = rng.symmetric();
      break;
    case DType::F64:
      static_cast<double *>(p)[i] = rng.symmetric();
      break;
    case DType::F16:
      static_cast<uint16_t *>(p)[i] = floatToHalf(rng.symmetric());
      break;
    case DType::BF16:
      static_cast<uint16_t *>(p)[i] = floatToBf16(rng.symmetric());
      break;
    case DType::Bool:
      static_cast<uint8_t *>(p)[i] = r & 1;
      break;
    case DType::I8:
    case DType::U8:
      static_cast<uint8_t *>(p)[i] = static_cast<uint8_t>(small);
      break;
    case DType::I16:
    case DType::U16:
      static_cast<uint16_t *>(p)[i] = static_cast<uint16_t>(small);
      break;
    case DType::I32:
    case DType::U32:
      static_cast<uint32_t *>(p)[i] = static_cast<uint32_t>(small);
      break;
    case DType::I64:
    case DType::U64:
      static_cast<uint64_t *>(p)[i] = small;
      break;
    case DType::I4:
    case DType::U4:
    case DType::I2:
    case DType::U2:
    case DType::F4E2M1:
      static_cast<uint8_t *>(p)[i] = widenSubByte(t.dtype, r & 1);
      break;
    case DType::F8E4M3FN:
    case DType::F8E4M3FNUZ:
    case DType::F8E5M2:
    case DType::F8E5M2FNUZ:
      // Finite values of either sign around 0.1-1 in each format.
      static_cast<uint8_t *>(p)[i] =
          static_cast<uint8_t>(0x28 + (r & 0x0f)) | ((r >> 8) & 0x80);
      break;
    case DType::F8E8M0: // 2^-2 .. 2^2
      static_cast<uint8_t *>(p)[i] = static_cast<uint8_t>(125 + small % 5);
      break;
    case DType::Opaque8:
      break;
    }
  }
  return acceptInput(index, t, error);
}

/// `{allocated, aligned, offset, sizes..., strides...}` for a contiguous
/// buffer of the given shape.
static std::vector<int64_t> makeDescriptor(const void *data,
                                           const std::vector<int64_t> &shape) {
  size_t rank = shape.size();
  std::vector<int64_t> d(3 + 2 * rank);
  d[0] = d[1] = static_cast<int64_t>(reinterpret_cast<intptr_t>(data));
  d[2] = 0;
  int64_t stride = 1;
  for (size_t i = rank; i-- > 0;) {
    d[3 + i] = shape[i];
    d[3 + rank + i] = stride;
    stride *= shape[i];
  }
  return d;
}

bool Session::prepare(bool verifyWeights, std::string &error) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    const TensorSpec &spec = manifest.outputs[i];
    Tensor &t = outputs[i];
    t.dtype = spec.dtype;
    if (manifest.returnedOutputs) {
      // The model returns its own buffers; this one only fills the slot.
      t.shape.assign(spec.shape.size(), 0);
    } else if (!resolveShape(spec, "output", bindings, t.shape, error)) {
      return false;
    }
    uint64_t bytes;
    if (!byteCount(t.shape, t.dtype, bytes) ||
        !t.buffer.allocate(static_cast<size_t>(bytes))) {
      error = "output '" + spec.name + "': cannot allocate shape " +
              formatShape(t.shape) + " of " + dtypeNumpyName(t.dtype);
      return false;
    }
  }
  if (!weights.load(manifest.weightsBytes, manifest.weightsHash, verifyWeights,
                    error))
    return false;
  if (manifest.arenaBytes > SIZE_MAX) {
    error = "cannot allocate the model's " +
            std::to_string(manifest.arenaBytes) + "-byte arena";
    return false;
  }
  // On a GPU the arena lives on the device only.
  if (manifest.onGpu())
    return prepareDevice(error);
  if (!arena.allocate(static_cast<size_t>(manifest.arenaBytes))) {
    error = "cannot allocate the model's " +
            std::to_string(manifest.arenaBytes) + "-byte arena";
    return false;
  }
  descriptors.clear();
  descriptors.push_back(
      makeDescriptor(weights.data(), {static_cast<int64_t>(weights.size())}));
  descriptors.push_back(makeDescriptor(
      arena.data(), {static_cast<int64_t>(manifest.arenaBytes)}));
  for (const Tensor &t : inputs)
    descriptors.push_back(makeDescriptor(t.buffer.data(), t.shape));
  for (const Tensor &t : outputs)
    descriptors.push_back(makeDescriptor(t.buffer.data(), t.shape));
  descriptorPtrs.clear();
  for (std::vector<int64_t> &d : descriptors)
    descriptorPtrs.push_back(d.data());
  return true;
}

/// GPU target: the weights are uploaded once, the arena, inputs and outputs
/// get device buffers, and the descriptors hold device pointers (the
/// compiled host code only passes them on to kernels).
bool Session::prepareDevice(std::string &error) {
  namespace cu = kiln::runtime::cuda;
  if (!cu::initialize(error) ||
      !cu::allocate(weights.size(), "the weights", &deviceWeights, error) ||
      !cu::upload(deviceWeights, weights.data(), weights.size(), error) ||
      !cu::allocate(static_cast<size_t>(manifest.arenaBytes), "the arena",
                    &deviceArena, error))
    return false;
  deviceInputs.assign(inputs.size(), nullptr);
  deviceOutputs.assign(outputs.size(), nullptr);
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!cu::allocate(inputs[i].buffer.size(),
                      "input '" + manifest.inputs[i].name + "'",
                      &deviceInputs[i], error) ||
        !cu::upload(deviceInputs[i], inputs[i].buffer.data(),
                    inputs[i].buffer.size(), error))
      return false;
  for (size_t i = 0; i < outputs.size(); ++i)
    if (!cu::allocate(outputs[i].buffer.size(),
                      "output '" + manifest.outputs[i].name + "'",
                      &deviceOutputs[i], error))
      return false;
  descriptors.clear();
  descriptors.push_back(
      makeDescriptor(deviceWeights, {static_cast<int64_t>(weights.size())}));
  descriptors.push_back(makeDescriptor(
      deviceArena, {static_cast<int64_t>(manifest.arenaBytes)}));
  for (size_t i = 0; i < inputs.size(); ++i)
    descriptors.push_back(makeDescriptor(deviceInputs[i], inputs[i].shape));
  for (size_t i = 0; i < outputs.size(); ++i)
    descriptors.push_back(makeDescriptor(deviceOutputs[i], outputs[i].shape));
  descriptorPtrs.clear();
  for (std::vector<int64_t> &d : descriptors)
    descriptorPtrs.push_back(d.data());
  return true;
}

/// Copies the rank-`rank` strided buffer at `src` into the contiguous `dst`.
static void copyStrided(char *dst, const char *src, const int64_t *sizes,
                        const int64_t *strides, size_t rank, size_t elem) {
  if (rank == 0) {
    std::memcpy(dst, src, elem);
    return;
  }
  int64_t inner = 1;
  for (size_t i = 1; i < rank; ++i)
    inner *= sizes[i];
  for (int64_t i = 0; i < sizes[0]; ++i)
    copyStrided(dst + i * inner * elem, src + i * strides[0] * elem, sizes + 1,
                strides + 1, rank - 1, elem);
}

void Session::takeReturnedOutputs() {
  if (!manifest.returnedOutputs)
    return;
  // Each output slot now holds a descriptor of a heap buffer the model
  // allocated for this run (runtime/ABI.md): take the data, free the buffer
  // and put the runtime's descriptor back for the next run.
  size_t first = descriptors.size() - outputs.size();
  for (size_t i = 0; i < outputs.size(); ++i) {
    std::vector<int64_t> &d = descriptors[first + i];
    Tensor &t = outputs[i];
    size_t rank = t.shape.size();
    void *allocated = reinterpret_cast<void *>(static_cast<intptr_t>(d[0]));
    if (allocated == t.buffer.data())
      continue;
    std::vector<int64_t> shape(d.begin() + 3, d.begin() + 3 + rank);
    uint64_t bytes = 0;
    if (shape != t.shape) {
      if (!byteCount(shape, t.dtype, bytes) || !t.buffer.allocate(bytes)) {
        std::fprintf(stderr, "error: output '%s': cannot allocate shape %s\n",
                     manifest.outputs[i].name.c_str(), formatShape(shape).c_str());
        std::exit(1);
      }
      t.shape = shape;
    }
    const char *aligned = reinterpret_cast<const char *>(static_cast<intptr_t>(d[1]));
    size_t elem = dtypeSize(t.dtype);
    copyStrided(static_cast<char *>(t.buffer.data()), aligned + d[2] * elem,
                d.data() + 3, d.data() + 3 + rank, rank, elem);
    std::free(allocated);
    std::vector<int64_t> own = makeDescriptor(t.buffer.data(), t.shape);
    std::copy(own.begin(), own.end(), d.begin()); // descriptorPtrs keep pointing here
  }
}

bool Session::poisonOutputs(std::string &error) {
  // All-ones bytes are NaN in every float type, so an element the model
  // forgot to write shows up in the results.
  for (size_t i = 0; i < outputs.size(); ++i) {
    Tensor &t = outputs[i];
    if (!manifest.onGpu())
      std::memset(t.buffer.data(), 0xff, t.buffer.size());
    else if (!kiln::runtime::cuda::fill(deviceOutputs[i], 0xff,
                                        t.buffer.size(), error))
      return false;
  }
  return true;
}

bool Session::run(std::string &error) {
  if (!manifest.onGpu()) {
    entry(descriptorPtrs.data());
    takeReturnedOutputs();
    return true;
  }
  return kiln::runtime::cuda::run(entry, descriptorPtrs.data(), gpuMs,
                                  error);
}

bool Session::fetchOutputs(std::string &error) {
  if (!manifest.onGpu())
    return true;
  for (size_t i = 0; i < outputs.size(); ++i)
    if (!kiln::runtime::cuda::download(outputs[i].buffer.data(),
                                       deviceOutputs[i],
                                       outputs[i].buffer.size(), error))
      return false;
  return true;
}

} // namespace runtime
} // namespace kiln
