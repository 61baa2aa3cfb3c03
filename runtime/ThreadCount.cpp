//===- ThreadCount.cpp - How many threads the model may use ---------------===//
//
// sched_getaffinity rather than the number of online CPUs, so that `taskset`
// and container CPU sets are respected.
//
//===----------------------------------------------------------------------===//

#include "ThreadCount.h"

#include <cstdlib>
#include <sched.h>

namespace kiln {
namespace runtime {

static int affinityCpuCount() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0)
      return n;
  }
  return 1;
}

int configuredThreadCount(std::string *error) {
  const char *env = std::getenv("KILN_NUM_THREADS");
  if (!env || !*env)
    return affinityCpuCount();
  char *end = nullptr;
  long n = std::strtol(env, &end, 10);
  if (*end != '\0' || n < 1 || n > kMaxThreads) {
    if (error)
      *error = std::string("KILN_NUM_THREADS='") + env +
               "' is not a thread count (expected an integer from 1 to " +
               std::to_string(kMaxThreads) + ")";
    return affinityCpuCount();
  }
  return static_cast<int>(n);
}

} // namespace runtime
} // namespace kiln
