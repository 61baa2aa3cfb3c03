//===- CPUPaths.cpp - `--cpu` lists resolved to code paths ----------------===//
//
// A named CPU's features are LLVM's list for it closed under implication
// (x86-64-v3 names avx2, which implies avx, sse4.2, ...); `native` takes the
// host's own list, disabled entries included (an OS may switch AVX-512
// off). Features outside the runtime's table are switched off explicitly:
// the code never uses an instruction the runtime did not check for.
//
//===----------------------------------------------------------------------===//

#include "compiler/Target/CPU/CPUPaths.h"

#include "runtime/CpuFeatures.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/X86TargetParser.h"

using namespace mlir;
using namespace mlir::kiln;

/// Every feature `cpu` has, implied ones included (true), or std::nullopt
/// for a name LLVM does not know as a 64-bit x86 CPU.
static std::optional<llvm::StringMap<bool>> featuresOfCPU(StringRef cpu) {
  if (cpu == "native")
    return llvm::sys::getHostCPUFeatures();
  if (llvm::X86::parseArchX86(cpu, /*Only64Bit=*/true) == llvm::X86::CK_None &&
      cpu != "x86-64")
    return std::nullopt;
  SmallVector<StringRef> names;
  llvm::X86::getFeaturesForCPU(cpu, names, /*NeedPlus=*/false);
  llvm::StringMap<bool> features;
  for (StringRef name : names) {
    features[name] = true;
    llvm::X86::updateImpliedFeatures(name, true, features);
  }
  return features;
}

/// Applies `+f,-g` to `features` with their implications.
static LogicalResult applyExtraFeatures(StringRef extra,
                                        llvm::StringMap<bool> &features,
                                        std::string &error) {
  SmallVector<StringRef> items;
  extra.split(items, ',', -1, /*KeepEmpty=*/false);
  for (StringRef item : items) {
    item = item.trim();
    if (item.size() < 2 || (item[0] != '+' && item[0] != '-')) {
      error = "bad CPU feature '" + item.str() + "' (expected +name or -name)";
      return failure();
    }
    features[item.drop_front()] = item[0] == '+';
    llvm::X86::updateImpliedFeatures(item.drop_front(), item[0] == '+',
                                     features);
  }
  return success();
}

static CPUTilePolicy tilePolicyFor(const llvm::StringMap<bool> &features) {
  auto has = [&](StringRef f) { return features.lookup(f); };
  // The microkernels' ISA needs every feature its file is compiled with
  // (runtime/CMakeLists.txt).
  bool avx2 = has("avx2") && has("fma") && has("f16c");
  bool avx512 = avx2 && has("avx512f") && has("avx512vl") &&
                has("avx512bw") && has("avx512dq");
  if (has("avx512f"))
    return {16, 8, avx512 ? "avx512" : avx2 ? "avx2" : "sse"};
  if (has("avx"))
    return {8, 4, avx2 ? "avx2" : "sse"};
  return {4, 4, "sse"};
}

LogicalResult mlir::kiln::resolveCPUPaths(StringRef list, StringRef extraFeatures,
                                    SmallVectorImpl<CPUPath> &paths,
                                    std::string &error) {
  SmallVector<StringRef> entries;
  list.split(entries, ',');
  llvm::StringSet<> seen;
  for (StringRef entry : entries) {
    entry = entry.trim();
    if (entry.empty()) {
      error = "--cpu: empty entry in '" + list.str() + "'";
      return failure();
    }
    if (!seen.insert(entry).second) {
      error = "--cpu: '" + entry.str() + "' is listed twice";
      return failure();
    }
    std::optional<llvm::StringMap<bool>> features = featuresOfCPU(entry);
    if (!features) {
      error = "--cpu: unknown CPU '" + entry.str() +
              "' (expected native, x86-64-v2, x86-64-v3, x86-64-v4 or an "
              "LLVM x86-64 CPU name such as haswell, skylake-avx512, znver4)";
      return failure();
    }
    if (failed(applyExtraFeatures(extraFeatures, *features, error)))
      return failure();

    CPUPath path;
    path.name = entry.str();
    path.cpu = entry == "native" ? llvm::sys::getHostCPUName().str() : entry.str();
    path.tiles = tilePolicyFor(*features);
    // Sorted, so the same list always gives the same feature string.
    SmallVector<std::string> flags;
    for (const auto &feature : *features) {
      std::string name = feature.first().str();
      bool checkable = ::kiln::runtime::findCpuFeature(name.c_str()) != nullptr;
      bool usable = feature.second &&
                    (checkable || ::kiln::runtime::isBaselineCpuFeature(name.c_str()));
      flags.push_back((usable ? "+" : "-") + name);
      if (usable && checkable)
        path.required.push_back(name);
    }
    llvm::sort(flags);
    llvm::sort(path.required);
    path.llvmFeatures = llvm::join(flags, ",");
    paths.push_back(std::move(path));
  }
  return success();
}

std::string mlir::kiln::formatCPUPathRecord(const CPUPath &path) {
  return "cpu_path " + path.name + " " + path.cpu + " " +
         (path.required.empty() ? std::string("-")
                                : llvm::join(path.required, ","));
}
