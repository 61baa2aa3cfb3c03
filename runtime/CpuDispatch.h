//===- CpuDispatch.h - Choosing the code path this CPU runs ------*- C++ -*-===//
//
// A compiled model may carry several CPU code paths (one per ISA level). At
// start the runtime takes the one with the most features that this CPU has;
// `KILN_CPU_PATH=<name>` forces a given one (so every path can be tested on
// one machine). A CPU that no path fits is refused with one error line,
// never run into an illegal instruction.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_CPUDISPATCH_H
#define KILN_RUNTIME_CPUDISPATCH_H

#include "Manifest.h"

#include <string>
#include <vector>

namespace kiln {
namespace runtime {

/// The environment variable that forces a path by name.
inline constexpr const char *kForceCpuPathEnv = "KILN_CPU_PATH";

/// The features of `path` missing from `have`.
std::vector<std::string> missingCpuFeatures(const CpuPath &path,
                                            const std::vector<std::string> &have);

/// Picks the path of `paths` to run on a CPU with features `have`: `forced`
/// (a path name, or null/empty) if given, else the fitting path with the most
/// features (the later one on a tie). Fails with a one-line message when the
/// forced path is unknown or does not fit, or when no path fits.
bool selectCpuPath(const std::vector<CpuPath> &paths,
                   const std::vector<std::string> &have, const char *forced,
                   size_t &index, std::string &error);

/// The entry to run for `manifest` on this CPU: with `cpu_path` records, the
/// selected path's `kiln_cpu_entries[i]` (its index in `index`), else the
/// object's single `kiln_entry`. Reads KILN_CPU_PATH.
bool selectModelEntry(const Manifest &manifest, void (*&entry)(void **),
                      size_t &index, std::string &error);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_CPUDISPATCH_H
