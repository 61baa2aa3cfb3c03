//===- ThreadCount.h - How many threads the model may use -------*- C++ -*-===//
//
// One rule, shared by the thread pool and the command line (which reports a
// bad setting before running): `KILN_NUM_THREADS` if set, else the CPUs this
// process may run on (runtime/ABI.md, "Threads").
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_THREADCOUNT_H
#define KILN_RUNTIME_THREADCOUNT_H

#include <string>

namespace kiln {
namespace runtime {

/// Upper bound on KILN_NUM_THREADS, far above any machine we target; it
/// keeps a typo from spawning millions of threads.
constexpr int kMaxThreads = 1024;

/// The thread count to use. A malformed KILN_NUM_THREADS yields the CPU
/// count and, when `error` is given, a message describing the problem.
int configuredThreadCount(std::string *error = nullptr);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_THREADCOUNT_H
