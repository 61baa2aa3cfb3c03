//===- CpuDispatch.cpp - Choosing the code path this CPU runs -------------===//

#include "CpuDispatch.h"

#include "CpuFeatures.h"

#include <algorithm>
#include <cstdlib>

// A compiled model defines one of these (runtime/ABI.md): the table of its
// CPU code paths, or (single-path objects, the runtime's tests) kiln_entry.
extern "C" void kiln_entry(void **descs) __attribute__((weak));
extern "C" void (*const kiln_cpu_entries[])(void **) __attribute__((weak));

namespace kiln {
namespace runtime {

static std::string joined(const std::vector<std::string> &items, const char *sep) {
  std::string s;
  for (const std::string &item : items)
    s += (s.empty() ? "" : sep) + item;
  return s.empty() ? "nothing" : s;
}

std::vector<std::string> missingCpuFeatures(const CpuPath &path,
                                            const std::vector<std::string> &have) {
  std::vector<std::string> missing;
  for (const std::string &f : path.features)
    if (std::find(have.begin(), have.end(), f) == have.end())
      missing.push_back(f);
  return missing;
}

bool selectCpuPath(const std::vector<CpuPath> &paths,
                   const std::vector<std::string> &have, const char *forced,
                   size_t &index, std::string &error) {
  if (paths.empty()) {
    error = "corrupt executable: it carries no CPU code path";
    return false;
  }
  std::string names;
  for (const CpuPath &p : paths)
    names += (names.empty() ? "" : ", ") + p.name;
  if (forced && *forced) {
    for (size_t i = 0; i < paths.size(); ++i) {
      if (paths[i].name != forced)
        continue;
      std::vector<std::string> missing = missingCpuFeatures(paths[i], have);
      if (!missing.empty()) {
        error = std::string(kForceCpuPathEnv) + "=" + forced + ": this CPU lacks " +
                joined(missing, ",") + " (needed by that path)";
        return false;
      }
      index = i;
      return true;
    }
    error = std::string(kForceCpuPathEnv) + "=" + forced +
            ": no such code path in this executable (it has " + names + ")";
    return false;
  }
  bool found = false;
  for (size_t i = 0; i < paths.size(); ++i)
    if (missingCpuFeatures(paths[i], have).empty() &&
        (!found || paths[i].features.size() >= paths[index].features.size())) {
      index = i;
      found = true;
    }
  if (found)
    return true;
  // The path that asks the least names what this CPU lacks.
  size_t least = 0;
  for (size_t i = 1; i < paths.size(); ++i)
    if (missingCpuFeatures(paths[i], have).size() <
        missingCpuFeatures(paths[least], have).size())
      least = i;
  error = "this executable needs " + joined(paths[least].features, ",") +
          " (built for " + names + "); this CPU lacks " +
          joined(missingCpuFeatures(paths[least], have), ",");
  return false;
}

bool selectModelEntry(const Manifest &manifest, void (*&entry)(void **),
                      size_t &index, std::string &error) {
  index = 0;
  if (manifest.cpuPaths.empty()) {
    entry = kiln_entry;
  } else {
    if (!selectCpuPath(manifest.cpuPaths, detectCpuFeatures(),
                       std::getenv(kForceCpuPathEnv), index, error))
      return false;
    entry = kiln_cpu_entries ? kiln_cpu_entries[index] : nullptr;
  }
  if (!entry) {
    error = "corrupt executable: the model's entry point is missing";
    return false;
  }
  return true;
}

} // namespace runtime
} // namespace kiln
