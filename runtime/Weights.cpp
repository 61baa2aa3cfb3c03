//===- Weights.cpp - Finding and mapping the model's weights --------------===//
//
// Embedded weights: the last 32 bytes of /proc/self/exe are a trailer naming
// a page-aligned range of the file, which we mmap read-only (the page cache
// is shared between runs and processes). Sidecar weights, for models too big
// to embed, live in `<realpath(exe)>.weights` with the same trailer. Sizes
// and hashes are checked against the manifest so that an executable never
// runs with another model's or damaged weights.
//
//===----------------------------------------------------------------------===//

#include "Weights.h"
#include "FileIo.h"
#include "WeightsFormat.h"

#include <cerrno>
#include <climits>
#include <sys/mman.h>
#include <unistd.h>

extern "C" void kiln_uk_cache_clear(); // MicrokernelCache.cpp

namespace kiln {
namespace runtime {

static std::string hex(uint64_t h) {
  char buf[17];
  formatHash(h, buf);
  return buf;
}

MappedWeights::~MappedWeights() {
  // Packed copies of these weights are keyed by their addresses, which the
  // next mapping may reuse.
  kiln_uk_cache_clear();
  if (mapBase)
    ::munmap(mapBase, mapBytes);
}

bool MappedWeights::mapRange(int fd, const std::string &path, uint64_t offset,
                             uint64_t size, std::string &error) {
  long page = ::sysconf(_SC_PAGESIZE);
  uint64_t pageSize = page > 0 ? static_cast<uint64_t>(page) : 4096;
  // Pages above 4 KiB (some kernels) may not divide the file alignment the
  // ABI guarantees, so map from the page below and skip the difference.
  uint64_t start = offset / pageSize * pageSize;
  uint64_t skip = offset - start;
  if (size + skip > SIZE_MAX) {
    error = "weights in '" + path + "' are too large to map";
    return false;
  }
  mapBytes = static_cast<size_t>(size + skip);
  void *p = ::mmap(nullptr, mapBytes, PROT_READ, MAP_PRIVATE, fd,
                   static_cast<off_t>(start));
  if (p == MAP_FAILED) {
    error = "cannot map " + std::to_string(size) + " bytes of weights from '" +
            path + "': " + errnoText();
    mapBytes = 0;
    return false;
  }
  mapBase = p;
  ptr = static_cast<const char *>(p) + skip;
  bytes = size;
  if (reinterpret_cast<uintptr_t>(ptr) % 64 != 0) {
    error = "weights in '" + path + "' start at offset " +
            std::to_string(offset) + ", which is not 64-byte aligned";
    return false;
  }
  return true;
}

/// Compares a trailer with what the manifest expects.
static bool checkTrailer(const WeightsTrailer &t, const std::string &path,
                         uint64_t bytes, uint64_t hash, std::string &error) {
  if (t.bytes != bytes) {
    error = "weights in '" + path + "' are " + std::to_string(t.bytes) +
            " bytes, this model needs " + std::to_string(bytes) +
            " (weights of another model?)";
    return false;
  }
  if (t.hash != hash) {
    error = "weights in '" + path + "' have hash " + hex(t.hash) +
            ", this model needs " + hex(hash) + " (weights of another model?)";
    return false;
  }
  return true;
}

bool MappedWeights::load(uint64_t wantBytes, uint64_t wantHash, bool verifyData,
                         std::string &error) {
  if (wantBytes == 0) {
    alignas(64) static const char kNoWeights[64] = {};
    ptr = kNoWeights;
    bytes = 0;
    return true;
  }

  const std::string exePath = "/proc/self/exe";
  char real[PATH_MAX + 1];
  ssize_t n = ::readlink(exePath.c_str(), real, PATH_MAX);
  std::string exeName =
      n > 0 ? std::string(real, static_cast<size_t>(n)) : exePath;

  File exe;
  if (!exe.openForRead(exePath, error))
    return false;
  unsigned char raw[kWeightsTrailerBytes];
  WeightsTrailer t;
  bool loaded = false;
  if (exe.size() >= kWeightsTrailerBytes &&
      exe.readAt(raw, kWeightsTrailerBytes,
                 exe.size() - kWeightsTrailerBytes) &&
      decodeWeightsTrailer(raw, t)) {
    uint64_t payload = exe.size() - kWeightsTrailerBytes;
    if (t.offset % kWeightsFileAlignment != 0 || t.offset > payload ||
        t.bytes != payload - t.offset) {
      error = "corrupt weights trailer in '" + exeName + "': offset " +
              std::to_string(t.offset) + " and size " +
              std::to_string(t.bytes) + " do not fit the file's " +
              std::to_string(exe.size()) + " bytes";
      return false;
    }
    if (!checkTrailer(t, exeName, wantBytes, wantHash, error) ||
        !mapRange(exe.fd(), exeName, t.offset, t.bytes, error))
      return false;
    loaded = true;
  }

  std::string where = exeName;
  if (!loaded) {
    std::string sidecar = exeName + ".weights";
    File side;
    if (!side.openForRead(sidecar, error)) {
      if (errno == ENOENT)
        error = "this model needs " + std::to_string(wantBytes) +
                " bytes of weights: none are appended to '" + exeName +
                "' and there is no sidecar '" + sidecar + "'";
      return false;
    }
    if (side.size() != wantBytes + kWeightsTrailerBytes) {
      error = "weights sidecar '" + sidecar + "' is " +
              std::to_string(side.size()) + " bytes, expected " +
              std::to_string(wantBytes + kWeightsTrailerBytes) +
              " (weights plus a 32-byte trailer)";
      return false;
    }
    if (!side.readAt(raw, kWeightsTrailerBytes, wantBytes) ||
        !decodeWeightsTrailer(raw, t)) {
      error = "weights sidecar '" + sidecar + "' has no KILNWTS1 trailer";
      return false;
    }
    if (t.offset != 0) {
      error = "corrupt weights trailer in sidecar '" + sidecar + "': offset " +
              std::to_string(t.offset) + ", expected 0";
      return false;
    }
    if (!checkTrailer(t, sidecar, wantBytes, wantHash, error) ||
        !mapRange(side.fd(), sidecar, 0, wantBytes, error))
      return false;
    where = sidecar;
  }

  if (verifyData) {
    uint64_t got = fnv1a64(ptr, static_cast<size_t>(bytes));
    if (got != wantHash) {
      error = "weights in '" + where + "' are damaged: their hash is " +
              hex(got) + ", expected " + hex(wantHash);
      return false;
    }
  }
  return true;
}

} // namespace runtime
} // namespace kiln
