//===- MemrefCopy.cpp - strided copies for memref.copy --------------------===//
//
// MLIR lowers a `memref.copy` between non-contiguous memrefs to a call to
// `memrefCopy` (upstream ships it in libmlir_c_runner_utils). Compiled models
// get it from here instead, so executables need no MLIR library.
//
//===----------------------------------------------------------------------===//

#include <cstdint>
#include <cstring>

namespace {
struct UnrankedMemRef {
  int64_t rank;
  void *descriptor;
};
/// {allocated, aligned, offset, sizes[rank], strides[rank]} as 8-byte words.
struct DescriptorView {
  char *aligned;
  int64_t offset;
  const int64_t *sizes;
  const int64_t *strides;
  explicit DescriptorView(void *d, int64_t rank) {
    auto *words = static_cast<int64_t *>(d);
    aligned = reinterpret_cast<char *>(words[1]);
    offset = words[2];
    sizes = words + 3;
    strides = words + 3 + rank;
  }
};

void copyDim(int64_t elemSize, int64_t rank, int64_t dim,
             const DescriptorView &src, const DescriptorView &dst,
             char *srcPtr, char *dstPtr) {
  if (dim == rank) {
    std::memcpy(dstPtr, srcPtr, elemSize);
    return;
  }
  // A row contiguous on both sides (a padded copy's rows) is one memcpy.
  if (dim == rank - 1 && src.strides[dim] == 1 && dst.strides[dim] == 1) {
    std::memcpy(dstPtr, srcPtr, src.sizes[dim] * elemSize);
    return;
  }
  for (int64_t i = 0; i < src.sizes[dim]; ++i)
    copyDim(elemSize, rank, dim + 1, src, dst,
            srcPtr + i * src.strides[dim] * elemSize,
            dstPtr + i * dst.strides[dim] * elemSize);
}
} // namespace

extern "C" void memrefCopy(int64_t elemSize, UnrankedMemRef *srcArg,
                           UnrankedMemRef *dstArg) {
  int64_t rank = srcArg->rank;
  DescriptorView src(srcArg->descriptor, rank), dst(dstArg->descriptor, rank);
  char *srcPtr = src.aligned + src.offset * elemSize;
  char *dstPtr = dst.aligned + dst.offset * elemSize;
  for (int64_t d = 0; d < rank; ++d)
    if (src.sizes[d] == 0)
      return;
  copyDim(elemSize, rank, 0, src, dst, srcPtr, dstPtr);
}

/// Zeroes `bytes` bytes at `pointer` (kiln-cpu-zero-fills: a padded buffer's
/// initial fill).
extern "C" void kiln_zero_fill(uintptr_t pointer, uintptr_t bytes) {
  std::memset(reinterpret_cast<void *>(pointer), 0, bytes);
}
