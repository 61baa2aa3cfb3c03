//===- MicrokernelCache.cpp - packed constant operands, packed once -------===//
//
// The GEMM microkernels (Microkernels.inc) pack a constant operand (a
// weight, which kiln-cpu-microkernel-calls marks) whole the first time they
// meet it and keep it here for every later call and run, as onnxruntime's
// MLAS pre-packs weights at session creation. A key is the operand's address
// and layout and the packing's shape, so each distribution tile of a weight
// has its own entry; together they hold one packed copy of the weights.
// Compiled for any CPU (no -m flags): every ISA level's copy calls it.
//
//===----------------------------------------------------------------------===//

#include <cstdint>
#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

namespace {
struct Cache {
  std::mutex mutex;
  std::map<std::vector<int64_t>, float *> packed;
  ~Cache() {
    for (auto &entry : packed)
      std::free(entry.second);
  }
};

Cache &cache() {
  static Cache instance;
  return instance;
}
} // namespace

extern "C" const float *kiln_uk_cache_find(const int64_t *key, int64_t words) {
  Cache &c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  auto it = c.packed.find(std::vector<int64_t>(key, key + words));
  return it == c.packed.end() ? nullptr : it->second;
}

/// Keeps `packed` (malloc'ed) under `key` and returns the entry's buffer:
/// `packed` itself, or, when another thread packed the same operand first,
/// that thread's (and `packed` is freed).
extern "C" const float *kiln_uk_cache_insert(const int64_t *key, int64_t words,
                                             float *packed) {
  Cache &c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  auto [it, inserted] =
      c.packed.emplace(std::vector<int64_t>(key, key + words), packed);
  if (!inserted)
    std::free(packed);
  return it->second;
}

/// Forgets every packed operand: a new model's weights may be mapped where
/// the old ones were (Session calls it when it unmaps its weights).
extern "C" void kiln_uk_cache_clear() {
  Cache &c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto &entry : c.packed)
    std::free(entry.second);
  c.packed.clear();
}
