//===- kiln.cpp - the kiln driver ------------------------------------------===//
//
// `kiln compile | check | run`: the user's interface of DESIGN.md. Parses the
// command line, imports the ONNX model, runs the phase pipelines, emits the
// object and links the executable. Every failure is one `error:` line on
// stderr and a non-zero exit; progress lines appear when stderr is a
// terminal or with --verbose.
//
//===----------------------------------------------------------------------===//

#include "compiler/Driver/Compile.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <unistd.h>

using namespace mlir::kiln;

static const char *kUsage = R"(usage:
  kiln compile MODEL.onnx -o OUT [--target cpu|cuda:sm_80,sm_90] [--input-shape NAME=1x3x224x224 ...]
               [--compile-to=PHASE [--emit=mlir|obj]] [--cpu=LIST] [--weights=embed|sidecar]
               [--verbose]
  kiln check MODEL.onnx [--input-shape NAME=1x3x224x224 ...]
  kiln run MODEL.onnx --input NAME=FILE.npy ... --output-dir DIR [--target cpu]
               [--input-shape ...]
  kiln bench MODEL.onnx [N] [--input-shape ...] [--dim NAME=SIZE ...]
                                                  (compile, then OUT --bench N)

PHASE is one of: import, kernels, linalg, tiled, bufferized, llvm, executable.
TARGET cuda:sm_XX[,sm_YY...] embeds a cubin per arch (ptxas) and PTX for the newest.
--weights=sidecar writes the weights to OUT.weights beside the executable (the default,
embed, does so only above 1 GiB); the executable finds them there and checks their hash.
--cpu=LIST: one code path per entry, picked at start from cpuid (default
x86-64-v2,x86-64-v3,x86-64-v4: runs on every x86-64-v2 or newer CPU); native = this
machine only; any LLVM x86-64 CPU name (haswell, znver4, sapphirerapids). KILN_CPU
gives the default. A GPU target's host code uses the first entry.
)";

static int usageError(const llvm::Twine &msg) {
  llvm::errs() << "error: " << msg << " (see kiln --help)\n";
  return 2;
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  if (argc < 2)
    return usageError("missing command");
  llvm::StringRef command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    llvm::outs() << kUsage;
    return 0;
  }

  DriverOptions opts;
  opts.verbose = isatty(2);
  bool cpuGiven = false;
  std::vector<std::string> passthrough; // for `run`
  for (int i = 2; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    auto value = [&](llvm::StringRef flag) -> std::optional<std::string> {
      if (arg.consume_front(flag)) {
        if (arg.consume_front("="))
          return arg.str();
        if (arg.empty() && i + 1 < argc)
          return std::string(argv[++i]);
      }
      return std::nullopt;
    };
    if (arg == "--help" || arg == "-h") {
      llvm::outs() << kUsage;
      return 0;
    }
    if (arg == "--verbose" || arg == "-v") {
      opts.verbose = true;
      opts.listKernels = true;
    } else if (arg == "--quiet" || arg == "-q") {
      opts.verbose = false;
    } else if (arg == "--print-ir-after-all") {
      opts.pipeline.printIRAfterAll = true;
    } else if (arg == "--timing") {
      opts.pipeline.timing = true;
    } else if (auto v = value("-o")) {
      opts.outputPath = *v;
    } else if (auto v = value("--target")) {
      opts.target = *v;
    } else if (auto v = value("--cpu")) {
      opts.pipeline.cpu.cpus = *v;
      cpuGiven = true;
    } else if (auto v = value("--compile-to")) {
      auto phase = parsePhase(*v);
      if (!phase)
        return usageError("unknown phase '" + *v + "'; expected one of " +
                          phaseNames());
      opts.compileTo = *phase;
    } else if (auto v = value("--weights")) {
      if (*v != "embed" && *v != "sidecar")
        return usageError("unknown --weights '" + *v + "'; expected embed or sidecar");
      opts.sidecarWeights = *v == "sidecar";
    } else if (auto v = value("--emit")) {
      if (*v != "mlir" && *v != "exe" && *v != "obj")
        return usageError("unknown --emit '" + *v + "'; expected mlir, obj or exe");
      opts.emit = *v;
    } else if (auto v = value("--input-shape")) {
      std::string err;
      if (failed(onnx::parseInputShape(*v, opts.importOptions, err)))
        return usageError(err);
    } else if ((command == "run" &&
                (arg.starts_with("--input") || arg.starts_with("--output-dir"))) ||
               (command == "bench" && arg.starts_with("--dim"))) {
      passthrough.push_back(arg.str());
      if (!arg.contains('=') && i + 1 < argc)
        passthrough.push_back(argv[++i]);
    } else if (arg.starts_with("-") && arg != "-") {
      return usageError("unknown option '" + arg + "'");
    } else if (opts.modelPath.empty()) {
      opts.modelPath = arg.str();
    } else if (command == "bench" && llvm::all_of(arg, llvm::isDigit)) {
      passthrough.insert(passthrough.begin(), {"--bench", arg.str()});
    } else {
      return usageError("unexpected argument '" + arg + "'");
    }
  }
  if (opts.modelPath.empty())
    return usageError("missing MODEL.onnx");
  if (const char *cpus = std::getenv("KILN_CPU"); cpus && *cpus && !cpuGiven)
    opts.pipeline.cpu.cpus = cpus;

  if (command == "check")
    return checkCommand(opts);
  if (command == "compile")
    return compileCommand(opts);
  if (command == "run" || command == "bench") {
    if (command == "bench" && !llvm::is_contained(passthrough, "--bench"))
      passthrough.insert(passthrough.begin(), {"--bench", "20"});
    return runCommand(opts, passthrough);
  }
  return usageError("unknown command '" + command + "'");
}
