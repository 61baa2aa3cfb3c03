//===- Bfloat16Conversions.cpp - the compiler-rt bf16 truncations ---------===//
//
// LLVM computes bfloat16 arithmetic in float and rounds back with
// `__truncsfbf2` (`__truncdfbf2` from double) on every CPU without
// AVX512-BF16. Neither lld's default link nor Debian's libgcc (GCC 12)
// provides them, so the runtime does, for every code path: round to nearest
// even, NaN kept quiet with its sign.
//
//===----------------------------------------------------------------------===//

#include <cmath>
#include <cstdint>
#include <cstring>

static uint16_t floatToBf16Bits(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof(bits));
  if ((bits & 0x7fffffffu) > 0x7f800000u) // NaN
    return static_cast<uint16_t>((bits >> 16) | 0x0040u);
  uint32_t roundingBias = 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>((bits + roundingBias) >> 16);
}

static __bf16 fromBits(uint16_t bits) {
  __bf16 out;
  std::memcpy(&out, &bits, sizeof(out));
  return out;
}

extern "C" __bf16 __truncsfbf2(float x) { return fromBits(floatToBf16Bits(x)); }

extern "C" __bf16 __truncdfbf2(double x) {
  if (std::isnan(x)) {
    uint16_t sign = std::signbit(x) ? 0x8000u : 0u;
    return fromBits(static_cast<uint16_t>(sign | 0x7fc0u));
  }
  // Round to odd into float (truncate, then mark any lost bits in the last
  // place): rounding that to bf16 to nearest even equals rounding x directly.
  float f = static_cast<float>(x);
  if (std::fabs(static_cast<double>(f)) > std::fabs(x))
    f = std::nextafter(f, 0.0f);
  if (static_cast<double>(f) != x && std::isfinite(f)) {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof(bits));
    bits |= 1u;
    std::memcpy(&f, &bits, sizeof(bits));
  }
  return fromBits(floatToBf16Bits(f));
}
