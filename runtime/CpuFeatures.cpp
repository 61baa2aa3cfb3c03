//===- CpuFeatures.cpp - cpuid detection of kCpuFeatures ------------------===//
//
// A feature counts only when cpuid reports it and, for AVX and AVX-512
// instructions, the OS saves the ymm/zmm state (OSXSAVE and XCR0): a CPU
// can have AVX-512 that its kernel (or a hypervisor) leaves off.
//
//===----------------------------------------------------------------------===//

#include "CpuFeatures.h"

#include <cpuid.h>
#include <cstdint>

namespace kiln {
namespace runtime {

namespace {

struct CpuidResult {
  unsigned a = 0, b = 0, c = 0, d = 0;
  bool valid = false;
};

CpuidResult cpuid(unsigned leaf, unsigned subleaf) {
  CpuidResult r;
  unsigned maxLeaf = __get_cpuid_max(leaf & 0x80000000u, nullptr);
  if (maxLeaf < leaf)
    return r;
  __cpuid_count(leaf, subleaf, r.a, r.b, r.c, r.d);
  r.valid = true;
  return r;
}

uint64_t readXcr0() {
  CpuidResult l1 = cpuid(1, 0);
  if (!l1.valid || !(l1.c & (1u << 27))) // OSXSAVE: xgetbv is usable
    return 0;
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t(hi) << 32) | lo;
}

} // namespace

std::vector<std::string> detectCpuFeatures() {
  uint64_t xcr0 = readXcr0();
  bool ymm = (xcr0 & 0x6) == 0x6;    // SSE and AVX state
  bool zmm = ymm && (xcr0 & 0xe0) == 0xe0; // opmask, ZMM_Hi256, Hi16_ZMM
  std::vector<std::string> have;
  for (const CpuFeature &f : kCpuFeatures) {
    CpuidResult r = cpuid(f.leaf, f.subleaf);
    if (!r.valid)
      continue;
    unsigned reg = f.reg == 'a' ? r.a : f.reg == 'b' ? r.b : f.reg == 'c' ? r.c : r.d;
    if (!(reg & (1u << f.bit)))
      continue;
    if ((f.os == OsState::Ymm && !ymm) || (f.os == OsState::Zmm && !zmm))
      continue;
    have.push_back(f.name);
  }
  return have;
}

std::string cpuModelName() {
  if (__get_cpuid_max(0x80000000u, nullptr) < 0x80000004u)
    return "unknown";
  char brand[49] = {};
  for (unsigned i = 0; i < 3; ++i) {
    unsigned regs[4];
    __cpuid(0x80000002u + i, regs[0], regs[1], regs[2], regs[3]);
    std::memcpy(brand + 16 * i, regs, 16);
  }
  std::string s(brand);
  size_t first = s.find_first_not_of(' '), last = s.find_last_not_of(' ');
  return first == std::string::npos ? "unknown" : s.substr(first, last - first + 1);
}

} // namespace runtime
} // namespace kiln
