//===- Main.cpp - Command line of a compiled kiln model -------------------===//
//
// `main()` of every executable kiln writes (DESIGN.md, "The user's
// interface"): run the model on files, describe its inputs and outputs as
// JSON, or benchmark it. Every failure ends in exactly one `error: ...` line
// on stderr: exit 2 for a malformed command line, 1 for everything else
// (bad input data, missing weights, unwritable output).
//
//===----------------------------------------------------------------------===//

#include "CpuDispatch.h"
#include "CpuFeatures.h"
#include "Manifest.h"
#include "Npy.h"
#include "Profile.h"
#include "Session.h"
#include "ThreadCount.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

extern "C" const char kiln_manifest[];

using namespace kiln::runtime;

namespace {

constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

const char kUsage[] =
    "usage: %s --input NAME=FILE ... --output-dir DIR\n"
    "       %s --describe\n"
    "       %s --bench N [--input NAME=FILE ...] [--output-dir DIR]\n"
    "  (either run also takes --profile FILE.json)\n"
    "\n"
    "Runs a model compiled by kiln.\n"
    "\n"
    "  --input NAME=FILE   an input tensor: numpy .npy (C order, "
    "little-endian)\n"
    "                      or ONNX TensorProto .pb; float32 data is accepted\n"
    "                      for bfloat16 inputs\n"
    "  --output-dir DIR    writes DIR/<output name>.npy ('/' in names becomes\n"
    "                      '_'; bfloat16 outputs are written as float32)\n"
    "  --describe          prints the inputs and outputs as JSON\n"
    "  --bench N           one warm-up run, then N timed runs; inputs not "
    "given\n"
    "                      are seeded random data; the last line is "
    "median_ms=\n"
    "  --profile FILE      writes a Chrome/Perfetto trace (chrome://tracing,\n"
    "                      ui.perfetto.dev) of every run: one slice per\n"
    "                      kernel, named after the ONNX nodes it computes\n"
    "  --dim NAME=SIZE     binds a symbolic dim (for random bench inputs;\n"
    "                      unbound dims default to 1)\n"
    "  --help              this text\n"
    "\n"
    "Environment: KILN_NUM_THREADS (threads, default: CPUs available),\n"
    "KILN_CPU_PATH=NAME (run that code path, e.g. x86-64-v2, instead of the\n"
    "best one this CPU has; --describe lists them),\n"
    "KILN_SKIP_WEIGHTS_HASH=1 (skip hashing the weights at start-up).\n";

/// The command line, parsed but not yet checked against the model.
struct Options {
  bool help = false;
  bool describe = false;
  long benchRuns = -1; // -1: not benchmarking
  std::string outputDir;
  std::string profile; // --profile FILE.json
  std::vector<std::string> inputs; // NAME=FILE as given
  std::vector<std::pair<std::string, int64_t>> dims;
};

/// Reports one error line and returns `code`, for `return fail(...)`.
int fail(int code, const std::string &message) {
  std::string line = message;
  std::replace(line.begin(), line.end(), '\n', ' ');
  std::fprintf(stderr, "error: %s\n", line.c_str());
  return code;
}

bool parseCount(const std::string &s, long long max, long long &out) {
  if (s.empty() || s.size() > 18)
    return false;
  long long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
    v = v * 10 + (c - '0');
  }
  if (v > max)
    return false;
  out = v;
  return true;
}

/// Parses argv; on failure `error` is the usage problem.
bool parseArgs(int argc, char **argv, Options &o, std::string &error) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool hasInlineValue = false;
    size_t eq = arg.find('=');
    if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      hasInlineValue = true;
    }
    auto takeValue = [&](const char *what) {
      if (hasInlineValue)
        return true;
      if (i + 1 >= argc) {
        error = arg + " needs " + what;
        return false;
      }
      value = argv[++i];
      return true;
    };
    if (arg == "--help" || arg == "-h") {
      o.help = true;
    } else if (arg == "--describe") {
      o.describe = true;
    } else if (arg == "--input") {
      if (!takeValue("NAME=FILE"))
        return false;
      if (value.find('=') == std::string::npos || value[0] == '=') {
        error = "--input expects NAME=FILE, got '" + value + "'";
        return false;
      }
      o.inputs.push_back(value);
    } else if (arg == "--output-dir") {
      if (!takeValue("a directory"))
        return false;
      if (value.empty()) {
        error = "--output-dir needs a directory";
        return false;
      }
      o.outputDir = value;
    } else if (arg == "--bench") {
      long long n;
      if (!takeValue("a run count"))
        return false;
      if (!parseCount(value, 1000000000, n) || n < 1) {
        error = "--bench expects a positive run count, got '" + value + "'";
        return false;
      }
      o.benchRuns = static_cast<long>(n);
    } else if (arg == "--profile") {
      if (!takeValue("a file"))
        return false;
      if (value.empty()) {
        error = "--profile needs a file name";
        return false;
      }
      o.profile = value;
    } else if (arg == "--dim") {
      long long n;
      if (!takeValue("NAME=SIZE"))
        return false;
      size_t at = value.rfind('=');
      if (at == std::string::npos || at == 0 ||
          !parseCount(value.substr(at + 1), INT64_MAX / 2, n)) {
        error = "--dim expects NAME=SIZE, got '" + value + "'";
        return false;
      }
      o.dims.emplace_back(value.substr(0, at), static_cast<int64_t>(n));
    } else {
      error = "unknown argument '" + std::string(argv[i]) + "' (see --help)";
      return false;
    }
  }
  if (o.help)
    return true;
  int modes = o.describe + (o.benchRuns >= 0);
  if (modes > 1) {
    error = "--describe and --bench cannot be combined";
    return false;
  }
  if (o.describe && (!o.inputs.empty() || !o.outputDir.empty() ||
                     !o.profile.empty())) {
    error = "--describe takes no --input, --output-dir or --profile";
    return false;
  }
  if (modes == 0 && o.outputDir.empty()) {
    error = argc <= 1 ? "nothing to do: give --input NAME=FILE ... "
                        "--output-dir DIR, --describe or --bench N (see --help)"
                      : "--output-dir DIR is required to run the model";
    return false;
  }
  return true;
}

std::string jsonString(const std::string &s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

/// `"cpu":{"model":…,"features":[…]},"cpu_paths":[{"name","cpu","features"}…],
/// "cpu_path":<the name this CPU runs, or null>,"cpu_error":<why not>`.
std::string jsonCpu(const Manifest &manifest, bool runnable, size_t index,
                    const std::string &error) {
  auto list = [](const std::vector<std::string> &items) {
    std::string out = "[";
    for (size_t i = 0; i < items.size(); ++i)
      out += (i ? "," : "") + jsonString(items[i]);
    return out + "]";
  };
  std::string out = "\"cpu\":{\"model\":" + jsonString(cpuModelName()) +
                    ",\"features\":" + list(detectCpuFeatures()) +
                    "},\"cpu_paths\":[";
  for (size_t i = 0; i < manifest.cpuPaths.size(); ++i) {
    const CpuPath &p = manifest.cpuPaths[i];
    out += (i ? "," : "") + std::string("{\"name\":") + jsonString(p.name) +
           ",\"cpu\":" + jsonString(p.cpu) + ",\"features\":" +
           list(p.features) + "}";
  }
  out += "],\"cpu_path\":";
  if (!runnable)
    return out + "null,\"cpu_error\":" + jsonString(error);
  return out + (manifest.cpuPaths.empty()
                    ? std::string("null")
                    : jsonString(manifest.cpuPaths[index].name));
}

std::string jsonTensors(const std::vector<TensorSpec> &specs) {
  std::string out = "[";
  for (size_t i = 0; i < specs.size(); ++i) {
    const TensorSpec &s = specs[i];
    out += i ? "," : "";
    out += "{\"name\":" + jsonString(s.name) + ",\"dtype\":\"" +
           dtypeNumpyName(s.dtype) + "\",\"shape\":[";
    for (size_t d = 0; d < s.shape.size(); ++d) {
      out += d ? "," : "";
      out += s.shape[d].isSymbolic() ? jsonString(s.shape[d].symbol)
                                     : std::to_string(s.shape[d].size);
    }
    out += "]}";
  }
  return out + "]";
}

/// Creates `dir` and its parents as needed; checks it can take files.
bool prepareOutputDir(const std::string &dir, std::string &error) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/')
      continue;
    std::string prefix = dir.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      error = "cannot create output directory '" + dir +
              "': " + std::strerror(errno);
      return false;
    }
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    error = "output directory '" + dir + "' is not a directory";
    return false;
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    error = "output directory '" + dir +
            "' is not writable: " + std::strerror(errno);
    return false;
  }
  return true;
}

/// Output file name: the ONNX name with path separators made harmless.
std::string outputFileName(const std::string &name) {
  std::string file = name;
  std::replace(file.begin(), file.end(), '/', '_');
  return file + ".npy";
}

/// Splits NAME=FILE, preferring a NAME the model has when names contain '='.
std::pair<std::string, std::string> splitInputArg(const std::string &arg,
                                                  const Manifest &m) {
  for (size_t eq = arg.find('='); eq != std::string::npos;
       eq = arg.find('=', eq + 1)) {
    std::string name = arg.substr(0, eq);
    for (const TensorSpec &s : m.inputs)
      if (s.name == name)
        return {name, arg.substr(eq + 1)};
  }
  size_t eq = arg.find('=');
  return {arg.substr(0, eq), arg.substr(eq + 1)};
}

double nowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

std::string inputNames(const Manifest &m) {
  std::string names;
  for (const TensorSpec &s : m.inputs)
    names += (names.empty() ? "'" : ", '") + s.name + "'";
  return names.empty() ? "none" : names;
}

int runMain(int argc, char **argv) {
  Options opts;
  std::string error;
  if (!parseArgs(argc, argv, opts, error))
    return fail(kExitUsage, error);
  if (opts.help) {
    const char *self = argc > 0 ? argv[0] : "model";
    std::printf(kUsage, self, self, self);
    return 0;
  }

  Manifest manifest;
  if (!parseManifest(kiln_manifest, manifest, error))
    return fail(kExitError, error);

  EntryFn entry = nullptr;
  size_t pathIndex = 0;
  bool runnable = selectModelEntry(manifest, entry, pathIndex, error);
  if (opts.describe) {
    std::printf("{\"inputs\":%s,\"outputs\":%s,%s}\n",
                jsonTensors(manifest.inputs).c_str(),
                jsonTensors(manifest.outputs).c_str(),
                jsonCpu(manifest, runnable, pathIndex, error).c_str());
    return 0;
  }
  if (!runnable)
    return fail(kExitError, error);

  configuredThreadCount(&error);
  if (!error.empty())
    return fail(kExitError, error);

  Session session(manifest, entry);
  for (const auto &dim : opts.dims)
    if (!session.presetDim(dim.first, dim.second, error))
      return fail(kExitUsage, error);

  // Pair each --input with the model's input, in the model's order so
  // messages about symbolic dims do not depend on argument order.
  std::vector<std::string> files(manifest.inputs.size());
  std::vector<bool> given(manifest.inputs.size(), false);
  for (const std::string &arg : opts.inputs) {
    auto nameAndFile = splitInputArg(arg, manifest);
    size_t index = manifest.inputs.size();
    for (size_t i = 0; i < manifest.inputs.size(); ++i)
      if (manifest.inputs[i].name == nameAndFile.first)
        index = i;
    if (index == manifest.inputs.size())
      return fail(kExitError,
                  "unknown input '" + nameAndFile.first +
                      "' (this model's inputs: " + inputNames(manifest) + ")");
    if (given[index])
      return fail(kExitError,
                  "input '" + nameAndFile.first + "' is given twice");
    if (nameAndFile.second.empty())
      return fail(kExitUsage,
                  "--input " + nameAndFile.first + "= needs a file name");
    given[index] = true;
    files[index] = nameAndFile.second;
  }
  std::string missing;
  for (size_t i = 0; i < manifest.inputs.size(); ++i) {
    if (given[i]) {
      if (!session.loadInput(i, files[i], error))
        return fail(kExitError, error);
    } else {
      missing +=
          (missing.empty() ? "'" : ", '") + manifest.inputs[i].name + "'";
    }
  }
  bool bench = opts.benchRuns >= 0;
  if (!missing.empty() && !bench)
    return fail(kExitError, "missing input " + missing +
                                " (give --input NAME=FILE for each)");
  for (size_t i = 0; i < manifest.inputs.size(); ++i)
    if (!given[i] && !session.randomInput(i, error))
      return fail(kExitError, error);

  if (!opts.outputDir.empty() && !prepareOutputDir(opts.outputDir, error))
    return fail(kExitError, error);
  const char *skipHash = std::getenv("KILN_SKIP_WEIGHTS_HASH");
  bool verifyWeights = !(skipHash && std::strcmp(skipHash, "1") == 0);
  if (!session.prepare(verifyWeights, error))
    return fail(kExitError, error);

  if (!opts.profile.empty())
    enableProfile();
  if (!session.poisonOutputs(error))
    return fail(kExitError, error);
  profileRunBegin(bench ? "warm-up run" : "run");
  if (!session.run(error))
    return fail(kExitError, error);
  profileRunEnd();
  if (bench) {
    std::vector<double> times;
    for (long r = 0; r < opts.benchRuns; ++r) {
      if (!session.poisonOutputs(error))
        return fail(kExitError, error);
      profileRunBegin("run " + std::to_string(r + 1));
      double start = nowMs();
      if (!session.run(error))
        return fail(kExitError, error);
      double wall = nowMs() - start;
      profileRunEnd();
      // On a GPU: the run's time between CUDA events.
      times.push_back(session.lastGpuMs() >= 0 ? session.lastGpuMs() : wall);
    }
    std::vector<double> sorted = times;
    std::sort(sorted.begin(), sorted.end());
    size_t n = sorted.size();
    double median =
        n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    double sum = 0;
    for (double t : times)
      sum += t;
    std::printf("runs=%zu threads=%d cpu_path=%s min_ms=%.6f mean_ms=%.6f "
                "max_ms=%.6f\n",
                n, configuredThreadCount(),
                manifest.cpuPaths.empty()
                    ? "-"
                    : manifest.cpuPaths[pathIndex].name.c_str(),
                sorted.front(), sum / n, sorted.back());
    std::printf("median_ms=%.6f\n", median);
  }
  if (!opts.profile.empty() && !writeProfile(opts.profile, error))
    return fail(kExitError, error);
  if (!opts.outputDir.empty()) {
    if (!session.fetchOutputs(error))
      return fail(kExitError, error);
    for (size_t i = 0; i < manifest.outputs.size(); ++i) {
      const Tensor &t = session.output(i);
      std::string path =
          opts.outputDir + "/" + outputFileName(manifest.outputs[i].name);
      if (!writeNpy(path, t.dtype, t.shape, t.buffer.data(), error))
        return fail(kExitError,
                    "output '" + manifest.outputs[i].name + "': " + error);
    }
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  int code = runMain(argc, argv);
  // JSON or timings lost to a full disk or closed pipe are a failure too.
  if (code == 0 && (std::fflush(stdout) != 0 || std::ferror(stdout)))
    return fail(kExitError,
                std::string("cannot write to stdout: ") + std::strerror(errno));
  return code;
}
