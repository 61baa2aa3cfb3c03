//===- WeightsFormat.h - On-disk layout of a model's weights ----*- C++ -*-===//
//
// The weights of a compiled model travel after its ELF image (or in a sidecar
// `<exe>.weights`), followed by a 32-byte trailer (runtime/ABI.md, "Weights").
// Header-only and dependency-free on purpose: the runtime reads this format
// and the compiler's link step writes it, so both include this one definition
// rather than two copies that could drift apart.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_WEIGHTSFORMAT_H
#define KILN_RUNTIME_WEIGHTSFORMAT_H

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace kiln {
namespace runtime {

/// "KILNWTS1": the first 8 bytes of the trailer.
constexpr char kWeightsMagic[8] = {'K', 'I', 'L', 'N', 'W', 'T', 'S', '1'};
constexpr size_t kWeightsTrailerBytes = 32;
/// Embedded weights start at a multiple of this in the executable file, so
/// they can be mapped without copying.
constexpr uint64_t kWeightsFileAlignment = 4096;

/// Decoded trailer: where the weights lie in the file, how long, their hash.
struct WeightsTrailer {
  uint64_t offset = 0;
  uint64_t bytes = 0;
  uint64_t hash = 0;
};

/// FNV-1a, 64-bit, fed incrementally so writers and readers can stream
/// gigabytes without holding them twice.
class Fnv1a64 {
public:
  static constexpr uint64_t kOffsetBasis = 0xcbf29ce484222325ULL;
  static constexpr uint64_t kPrime = 0x100000001b3ULL;

  void update(const void *data, size_t size) {
    const unsigned char *p = static_cast<const unsigned char *>(data);
    uint64_t h = state;
    for (size_t i = 0; i < size; ++i) {
      h ^= p[i];
      h *= kPrime;
    }
    state = h;
  }
  uint64_t digest() const { return state; }

private:
  uint64_t state = kOffsetBasis;
};

inline uint64_t fnv1a64(const void *data, size_t size) {
  Fnv1a64 h;
  h.update(data, size);
  return h.digest();
}

/// The hash as the manifest spells it: 16 lowercase hex digits.
inline void formatHash(uint64_t hash, char out[17]) {
  static const char digits[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    out[i] = digits[hash & 0xf];
    hash >>= 4;
  }
  out[16] = '\0';
}

namespace detail {
inline void storeLE64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    p[i] = static_cast<unsigned char>(v >> (8 * i));
}
inline uint64_t loadLE64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}
} // namespace detail

/// Encodes the 32-byte trailer (little-endian regardless of the host).
inline void encodeWeightsTrailer(const WeightsTrailer &t,
                                 unsigned char out[kWeightsTrailerBytes]) {
  std::memcpy(out, kWeightsMagic, 8);
  detail::storeLE64(out + 8, t.offset);
  detail::storeLE64(out + 16, t.bytes);
  detail::storeLE64(out + 24, t.hash);
}

/// Decodes a trailer; false when the magic is absent (no weights appended).
inline bool decodeWeightsTrailer(const unsigned char in[kWeightsTrailerBytes],
                                 WeightsTrailer &t) {
  if (std::memcmp(in, kWeightsMagic, 8) != 0)
    return false;
  t.offset = detail::loadLE64(in + 8);
  t.bytes = detail::loadLE64(in + 16);
  t.hash = detail::loadLE64(in + 24);
  return true;
}

/// Zero bytes to write after an executable of `exeBytes` bytes so that the
/// weights start on a kWeightsFileAlignment boundary.
inline uint64_t weightsPaddingFor(uint64_t exeBytes) {
  return (kWeightsFileAlignment - exeBytes % kWeightsFileAlignment) %
         kWeightsFileAlignment;
}

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_WEIGHTSFORMAT_H
