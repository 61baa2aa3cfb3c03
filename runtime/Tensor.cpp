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
    // numpy names of the ml_dtypes package, which ONNX uses for these.
    {DType::I4, 1, "i4", "int4"},      {DType::U4, 1, "u4", "uint4"},
    {DType::I2, 1, "i2", "int2"},      {DType::U2, 1, "u2", "uint2"},
    {DType::F4E2M1, 1, "f4e2m1", "float4_e2m1fn"},
    {DType::F8E4M3FN, 1, "f8e4m3fn", "float8_e4m3fn"},
    {DType::F8E4M3FNUZ, 1, "f8e4m3fnuz", "float8_e4m3fnuz"},
    {DType::F8E5M2, 1, "f8e5m2", "float8_e5m2"},
    {DType::F8E5M2FNUZ, 1, "f8e5m2fnuz", "float8_e5m2fnuz"},
    {DType::F8E8M0, 1, "f8e8m0", "float8_e8m0fnu"},
    {DType::Opaque8, 1, "", "void8"},
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
  if (s.empty())
    return false;
  for (const DTypeInfo &i : kDTypes) {
    if (s == i.manifestName) {
      out = i.type;
      return true;
    }
  }
  return false;
}

int subByteBits(DType t) {
  switch (t) {
  case DType::I4:
  case DType::U4:
  case DType::F4E2M1:
    return 4;
  case DType::I2:
  case DType::U2:
    return 2;
  default:
    return 0;
  }
}

/// float8e4m3fn encodings of the float4e2m1 magnitudes 0, 0.5, 1, 1.5, 2, 3,
/// 4, 6 (codes 0-7).
static const uint8_t kFloat4AsE4M3[8] = {0x00, 0x30, 0x38, 0x3c,
                                         0x40, 0x44, 0x48, 0x4c};

uint8_t widenSubByte(DType t, uint8_t code) {
  switch (t) {
  case DType::I4:
    return static_cast<uint8_t>(static_cast<int8_t>(code << 4) >> 4);
  case DType::I2:
    return static_cast<uint8_t>(static_cast<int8_t>(code << 6) >> 6);
  case DType::U4:
    return code & 0xf;
  case DType::U2:
    return code & 0x3;
  case DType::F4E2M1:
    return static_cast<uint8_t>(kFloat4AsE4M3[code & 7] | ((code & 8) << 4));
  default:
    return code;
  }
}

uint8_t narrowSubByte(DType t, uint8_t byte) {
  switch (t) {
  case DType::I4:
  case DType::U4:
    return byte & 0xf;
  case DType::I2:
  case DType::U2:
    return byte & 0x3;
  case DType::F4E2M1:
    for (uint8_t c = 0; c < 8; ++c)
      if (kFloat4AsE4M3[c] == (byte & 0x7f))
        return static_cast<uint8_t>(c | ((byte & 0x80) >> 4));
    return (byte & 0x80) >> 4; // not a float4 value: compiled code never
                               // writes one
  default:
    return byte;
  }
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
