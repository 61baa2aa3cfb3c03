//===- Tensor.cpp - Element types and host tensors of the runtime ---------===//
//
// Table of element types and the aligned buffer the runtime hands to compiled
// code. Everything that computes a size checks for overflow: shapes come from
// files the user gives us and must never wrap into a small allocation.
//
//===----------------------------------------------------------------------===//

#include "Tensor.h"

#include <cstdlib>
#include <cstring>
#include <utility>

namespace kiln {
namespace runtime {

namespace {
struct DTypeInfo {
  DType type;
  size_t size;
  const char *manifestName;
  const char *numpyName;
};

const DTypeInfo kDTypes[] = {
    {DType::F32, 4, "f32", "float32"}, {DType::F64, 8, "f64", "float64"},
    {DType::F16, 2, "f16", "float16"}, {DType::BF16, 2, "bf16", "bfloat16"},
    {DType::I8, 1, "i8", "int8"},      {DType::I16, 2, "i16", "int16"},
    {DType::I32, 4, "i32", "int32"},   {DType::I64, 8, "i64", "int64"},
    {DType::U8, 1, "u8", "uint8"},     {DType::U16, 2, "u16", "uint16"},
    {DType::U32, 4, "u32", "uint32"},  {DType::U64, 8, "u64", "uint64"},
    {DType::Bool, 1, "bool", "bool"},
};

const DTypeInfo &info(DType t) {
  for (const DTypeInfo &i : kDTypes)
    if (i.type == t)
      return i;
  return kDTypes[0]; // unreachable: every enumerator is in the table
}
} // namespace

size_t dtypeSize(DType t) { return info(t).size; }
const char *dtypeManifestName(DType t) { return info(t).manifestName; }
const char *dtypeNumpyName(DType t) { return info(t).numpyName; }

bool parseManifestDType(const std::string &s, DType &out) {
  for (const DTypeInfo &i : kDTypes) {
    if (s == i.manifestName) {
      out = i.type;
      return true;
    }
  }
  return false;
}

AlignedBuffer::~AlignedBuffer() { std::free(ptr); }

AlignedBuffer::AlignedBuffer(AlignedBuffer &&other) noexcept
    : ptr(std::exchange(other.ptr, nullptr)),
      bytes(std::exchange(other.bytes, 0)) {}

AlignedBuffer &AlignedBuffer::operator=(AlignedBuffer &&other) noexcept {
  if (this != &other) {
    std::free(ptr);
    ptr = std::exchange(other.ptr, nullptr);
    bytes = std::exchange(other.bytes, 0);
  }
  return *this;
}

bool AlignedBuffer::allocate(size_t size) {
  std::free(ptr);
  ptr = nullptr;
  bytes = 0;
  // Round up so vectorized code may read whole 64-byte lines at the end.
  if (size > SIZE_MAX - kAlignment)
    return false;
  size_t rounded = (size + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded == 0)
    rounded = kAlignment;
  void *p = nullptr;
  if (posix_memalign(&p, kAlignment, rounded) != 0)
    return false;
  ptr = p;
  bytes = size;
  return true;
}

bool elementCount(const std::vector<int64_t> &shape, uint64_t &count) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return false;
    if (d != 0 && n > UINT64_MAX / static_cast<uint64_t>(d))
      return false;
    n *= static_cast<uint64_t>(d);
  }
  count = n;
  return true;
}

bool byteCount(const std::vector<int64_t> &shape, DType t, uint64_t &bytes) {
  uint64_t n;
  if (!elementCount(shape, n))
    return false;
  uint64_t size = dtypeSize(t);
  // Keep sizes within what size_t and ptrdiff_t can index.
  if (n > static_cast<uint64_t>(INT64_MAX) / size)
    return false;
  bytes = n * size;
  return bytes <= SIZE_MAX;
}

std::string formatShape(const std::vector<int64_t> &shape) {
  if (shape.empty())
    return "scalar";
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += 'x';
    s += std::to_string(shape[i]);
  }
  return s;
}

float bf16ToFloat(uint16_t bits) {
  uint32_t u = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

uint16_t floatToBf16(float value) {
  uint32_t u;
  std::memcpy(&u, &value, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) // NaN: keep it a (quiet) NaN
    return static_cast<uint16_t>((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

uint16_t floatToHalf(float value) {
  uint32_t x;
  std::memcpy(&x, &value, 4);
  uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u) // inf, NaN
    return sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0u);
  if (absx >= 0x477ff000u) // rounds past the largest half, 65504
    return sign | 0x7c00u;
  uint32_t e = absx >> 23;
  uint32_t mant = absx & 0x7fffffu;
  uint32_t h, rem, halfway;
  if (e >= 113) { // normal half
    h = ((e - 112) << 10) | (mant >> 13);
    rem = mant & 0x1fffu;
    halfway = 0x1000u;
  } else if (e >= 102) { // subnormal half: shift the significand into place
    uint32_t shift = 126 - e;
    mant |= 0x800000u;
    h = mant >> shift;
    rem = mant & ((1u << shift) - 1);
    halfway = 1u << (shift - 1);
  } else {
    return sign; // below half the smallest subnormal
  }
  if (rem > halfway || (rem == halfway && (h & 1)))
    ++h; // may carry into the exponent, which is still correct
  return static_cast<uint16_t>(sign | h);
}

} // namespace runtime
} // namespace kiln
