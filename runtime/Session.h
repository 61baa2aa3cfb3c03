//===- Session.h - One loaded model ready to run ----------------*- C++ -*-===//
//
// Everything a call of `kiln_entry` needs, owned in one place: the inputs
// (checked against the manifest, symbolic dims bound), the outputs sized
// from those bindings, the mapped weights, the arena, and the memref
// descriptors pointing at all of them (runtime/ABI.md).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_SESSION_H
#define KILN_RUNTIME_SESSION_H

#include "Manifest.h"
#include "Tensor.h"
#include "Weights.h"

#include <string>
#include <vector>

namespace kiln {
namespace runtime {

/// The compiled model's entry (runtime/ABI.md).
using EntryFn = void (*)(void **descs);

class Session {
public:
  /// `entry` is the code path to run (selectModelEntry).
  Session(const Manifest &manifest, EntryFn entry);

  /// Binds symbolic dims before any input (`--dim NAME=SIZE`).
  bool presetDim(const std::string &name, int64_t size, std::string &error);

  /// Reads input `index` from a .npy or .pb file, checking dtype and shape.
  bool loadInput(size_t index, const std::string &path, std::string &error);

  /// Fills input `index` with seeded random data (floats in [-1, 1], ints in
  /// [0, 10), random bools); unbound symbolic dims become 1.
  bool randomInput(size_t index, std::string &error);

  bool hasInput(size_t index) const { return loaded[index]; }

  /// Sizes outputs (placeholders when the model returns its outputs), maps
  /// weights, allocates the arena and descriptors.
  /// Call once every input is present.
  bool prepare(bool verifyWeights, std::string &error);

  /// Poisons the outputs (0xFF bytes: NaN for floats) and runs the model.
  /// On a GPU the outputs stay on the device until fetchOutputs.
  bool poisonOutputs(std::string &error);
  bool run(std::string &error);
  bool fetchOutputs(std::string &error);
  /// The last run's GPU time (CUDA events); negative on the CPU.
  double lastGpuMs() const { return gpuMs; }

  const Tensor &output(size_t index) const { return outputs[index]; }

private:
  bool acceptInput(size_t index, Tensor &tensor, std::string &error);
  /// `returned_outputs 1` (runtime/ABI.md): copies each buffer the model
  /// returned in an output slot into the output tensor (taking its shape),
  /// frees it and restores the slot.
  void takeReturnedOutputs();

  const Manifest &manifest;
  EntryFn entry;
  DimBindings bindings;
  std::vector<Tensor> inputs;
  std::vector<bool> loaded;
  std::vector<Tensor> outputs;
  MappedWeights weights;
  AlignedBuffer arena;
  std::vector<std::vector<int64_t>> descriptors;
  std::vector<void *> descriptorPtrs;
  /// GPU target: device copies of weights, arena, inputs, outputs (the
  /// descriptors point at these).
  void *deviceWeights = nullptr, *deviceArena = nullptr;
  std::vector<void *> deviceInputs, deviceOutputs;
  double gpuMs = -1;
  bool prepareDevice(std::string &error);
};

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_SESSION_H
