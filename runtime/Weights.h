//===- Weights.h - Finding and mapping the model's weights ------*- C++ -*-===//
//
// The weights are appended to the executable, or sit in a sidecar file next
// to it (runtime/ABI.md, "Weights"). They are mapped read-only, never copied.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_WEIGHTS_H
#define KILN_RUNTIME_WEIGHTS_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace kiln {
namespace runtime {

/// A read-only mapping of the weights, unmapped on destruction.
class MappedWeights {
public:
  MappedWeights() = default;
  ~MappedWeights();
  MappedWeights(const MappedWeights &) = delete;
  MappedWeights &operator=(const MappedWeights &) = delete;

  /// Finds the weights for a model whose manifest says `bytes` and `hash`:
  /// first the trailer of /proc/self/exe, then `<realpath(exe)>.weights`.
  /// Checks size and hash; `verifyData` false skips hashing the bytes
  /// themselves (the trailer's hash is still compared).
  bool load(uint64_t bytes, uint64_t hash, bool verifyData, std::string &error);

  /// 64-byte aligned (page aligned, in fact); non-null even when empty.
  const void *data() const { return ptr; }
  uint64_t size() const { return bytes; }

private:
  bool mapRange(int fd, const std::string &path, uint64_t offset, uint64_t size,
                std::string &error);

  const void *ptr = nullptr;
  uint64_t bytes = 0;
  void *mapBase = nullptr;
  size_t mapBytes = 0;
};

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_WEIGHTS_H
