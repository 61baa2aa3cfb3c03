//===- Profile.h - `OUT --profile FILE.json`: a trace of kernel times ----*- C++ -*-===//
//
// The entry function calls kiln_profile_begin/kiln_profile_end around every
// kernel call (passes/CPU/ProfileHooks.cpp), passing the kernel's name and
// the ONNX nodes fused into it. They cost a branch until profiling is
// enabled; then each kernel becomes one slice of a Chrome/Perfetto trace
// (chrome://tracing, ui.perfetto.dev) on the thread that called it, and each
// run one slice around its kernels.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_PROFILE_H
#define KILN_RUNTIME_PROFILE_H

#include <string>

namespace kiln {
namespace runtime {

/// Starts recording kernel slices.
void enableProfile();

/// Marks the start / end of one run of the model (a slice named `label`).
void profileRunBegin(const std::string &label);
void profileRunEnd();

/// Writes the trace recorded so far as Chrome trace-event JSON.
bool writeProfile(const std::string &path, std::string &error);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_PROFILE_H
