//===- CudaImage.h - The GPU code one kernel module carries ----*- C++ -*-===//
//
// A compiled GPU module is embedded as one blob holding a cubin per target
// arch (assembled by ptxas at compile time) and PTX for the newest arch, so a
// GPU newer than every cubin can JIT it. The compiler writes this layout and
// the runtime picks an entry for the device at load time; header-only and
// dependency-free so both include the one definition (like WeightsFormat.h).
//
//   "KILNCUDA" | u32 version (1) | u32 count | count x entry | payloads
//   entry = u32 kind (0 cubin, 1 ptx) | u32 sm (80 for sm_80)
//           | u64 offset from the blob's start | u64 bytes
//
// All little-endian; a PTX payload ends with a NUL byte (counted in bytes).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_CUDAIMAGE_H
#define KILN_RUNTIME_CUDAIMAGE_H

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace kiln {
namespace runtime {

constexpr char kCudaImageMagic[8] = {'K', 'I', 'L', 'N', 'C', 'U', 'D', 'A'};
constexpr uint32_t kCudaImageVersion = 1;

enum class CudaImageKind : uint32_t { Cubin = 0, Ptx = 1 };

struct CudaImageEntry {
  CudaImageKind kind = CudaImageKind::Cubin;
  uint32_t sm = 0;
  const char *data = nullptr;
  uint64_t bytes = 0;
};

namespace detail {
inline void putU32(std::string &s, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void putU64(std::string &s, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline uint64_t getLE(const unsigned char *p, int n) {
  uint64_t v = 0;
  for (int i = n; i-- > 0;)
    v = (v << 8) | p[i];
  return v;
}
} // namespace detail

/// Serializes `entries` (their data/bytes) into one image.
inline std::string writeCudaImage(const std::vector<CudaImageEntry> &entries) {
  std::string out(kCudaImageMagic, sizeof(kCudaImageMagic));
  detail::putU32(out, kCudaImageVersion);
  detail::putU32(out, static_cast<uint32_t>(entries.size()));
  uint64_t offset = 16 + 24 * entries.size();
  for (const CudaImageEntry &e : entries) {
    detail::putU32(out, static_cast<uint32_t>(e.kind));
    detail::putU32(out, e.sm);
    detail::putU64(out, offset);
    detail::putU64(out, e.bytes);
    offset += e.bytes;
  }
  for (const CudaImageEntry &e : entries)
    out.append(e.data, e.bytes);
  return out;
}

/// Reads an image of `size` bytes; false if it is not one or is truncated.
inline bool readCudaImage(const void *blob, uint64_t size,
                          std::vector<CudaImageEntry> &entries) {
  const auto *p = static_cast<const unsigned char *>(blob);
  if (size < 16 || std::memcmp(p, kCudaImageMagic, 8) != 0 ||
      detail::getLE(p + 8, 4) != kCudaImageVersion)
    return false;
  uint64_t count = detail::getLE(p + 12, 4);
  if (count > (size - 16) / 24)
    return false;
  entries.clear();
  for (uint64_t i = 0; i < count; ++i) {
    const unsigned char *q = p + 16 + 24 * i;
    CudaImageEntry e;
    e.kind = static_cast<CudaImageKind>(detail::getLE(q, 4));
    e.sm = static_cast<uint32_t>(detail::getLE(q + 4, 4));
    uint64_t offset = detail::getLE(q + 8, 8);
    e.bytes = detail::getLE(q + 16, 8);
    if (offset > size || e.bytes > size - offset)
      return false;
    e.data = reinterpret_cast<const char *>(p + offset);
    entries.push_back(e);
  }
  return true;
}

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_CUDAIMAGE_H
