//===- Compile.cpp - what `kiln compile | check | run` do -----------------===//
//
// compile: import → phase pipelines → (object, weights, manifest) → link.
// check:   the importer's support report, before any lowering.
// run:     compile into a per-user cache keyed by model and options, then
//          exec the executable with the user's inputs.
//
//===----------------------------------------------------------------------===//

#include "compiler/Driver/Compile.h"

#include "compiler/Link/Link.h"
#include "compiler/Link/Manifest.h"
#include "passes/CPU/ProfileHooks.h"
#include "passes/Memory/ExternalizeWeights.h"
#include "compiler/Registration.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include "llvm/Support/Format.h"

#include <chrono>
#include <unistd.h>

using namespace mlir;
using namespace mlir::kiln;
namespace fs = llvm::sys::fs;

/// Prints each error as one line: `error: [node 'X': ]message`.
static void installDiagnosticPrinter(MLIRContext &ctx) {
  ctx.getDiagEngine().registerHandler([](Diagnostic &diag) {
    if (diag.getSeverity() != DiagnosticSeverity::Error)
      return success();
    // The importer's messages already name their node or model file; errors
    // from later passes get the ONNX node their op came from.
    std::string where;
    std::string msg = diag.str();
    if (auto name = dyn_cast<NameLoc>(diag.getLocation()))
      if (!llvm::StringRef(msg).starts_with("node '"))
        where = "node '" + name.getName().str() + "': ";
    std::replace(msg.begin(), msg.end(), '\n', ' ');
    llvm::errs() << "error: " << where << msg << "\n";
    return success();
  });
}

static std::unique_ptr<MLIRContext> makeContext() {
  DialectRegistry registry;
  registerAllDialects(registry);
  auto ctx = std::make_unique<MLIRContext>(registry);
  ctx->loadAllAvailableDialects();
  installDiagnosticPrinter(*ctx);
  return ctx;
}

static int writeText(const std::string &path, llvm::function_ref<void(llvm::raw_ostream &)> fn) {
  std::error_code ec;
  auto out = std::make_unique<llvm::ToolOutputFile>(path.empty() ? "-" : path, ec,
                                                    fs::OF_Text);
  if (ec) {
    llvm::errs() << "error: cannot write '" << path << "': " << ec.message() << "\n";
    return 1;
  }
  fn(out->os());
  out->keep();
  return 0;
}

/// `kiln: kernel NAME: node, node, ...` for each kernel call of the entry
/// function (`--verbose`): what `OUT --profile` names its slices after.
static void listKernels(ModuleOp module) {
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func->hasAttr("kiln.entry"))
      continue;
    func.walk([&](func::CallOp call) {
      SmallVector<std::string> nodes = onnxNodeNames(call.getLoc());
      llvm::errs() << "kiln: kernel " << call.getCallee() << ": "
                   << (nodes.empty() ? std::string("(no ONNX node)")
                                     : llvm::join(nodes, ", "))
                   << "\n";
    });
  }
}

int mlir::kiln::compileCommand(const DriverOptions &options) {
  PipelineOptions pipeline = options.pipeline;
  if (options.target != "cpu") {
    std::string error;
    if (failed(parseCUDATarget(options.target, pipeline.cuda, error))) {
      llvm::errs() << "error: " << error << "\n";
      return 2;
    }
  }
  std::string emit = options.emit;
  if (emit.empty())
    emit = options.compileTo == Phase::Executable ? "exe" : "mlir";
  if (emit != "mlir" && options.compileTo != Phase::Executable) {
    llvm::errs() << "error: --emit=" << emit << " needs --compile-to=executable\n";
    return 2;
  }
  if (options.outputPath.empty() && emit != "mlir") {
    llvm::errs() << "error: missing -o OUT\n";
    return 2;
  }

  auto ctx = makeContext();
  auto start = std::chrono::steady_clock::now();
  auto module = onnx::importModel(*ctx, options.modelPath, options.importOptions);
  if (failed(module))
    return 1;
  if (options.verbose)
    llvm::errs() << llvm::format(
        "kiln: [0/6] imported %s (%.2f s)\n", options.modelPath.c_str(),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  ModuleOp mod = module->get();
  auto signature = getModelSignature(mod);
  if (failed(signature))
    return 1;

  Phase last = emit == "mlir" ? options.compileTo : Phase::LLVM;
  // Import to linalg is the same for every CPU path; tiling on is per path.
  Phase shared = std::min(last, Phase::Linalg);
  if (failed(runPipeline(mod, Phase::Import, shared, pipeline, options.verbose)))
    return 1;
  if (options.listKernels && last >= Phase::Linalg)
    listKernels(mod);
  if (last == shared)
    return writeText(options.outputPath, [&](llvm::raw_ostream &os) {
      mod.print(os, OpPrintingFlags().elideLargeResourceString());
    });

  SmallVector<CPUPath> paths;
  {
    std::string error;
    if (failed(resolveCPUPaths(pipeline.cpu.cpus, pipeline.cpu.features, paths,
                               error))) {
      llvm::errs() << "error: " << error << "\n";
      return 2;
    }
  }
  // A GPU executable's CPU side only drives the device: one path (the first
  // of --cpu) is enough. --emit=mlir shows the last (widest) path.
  if (pipeline.cuda.onDevice())
    paths.resize(1);
  else if (emit == "mlir" && paths.size() > 1) // (erasing none self-moves)
    paths.erase(paths.begin(), paths.end() - 1);

  // Each path lowers its own copy of the module (the last one lowers `mod`).
  // Their weights must agree: the executable carries one blob for all.
  SmallVector<OwningOpRef<ModuleOp>> copies;
  SmallVector<ModuleOp> pathModules;
  for (size_t i = 0; i + 1 < paths.size(); ++i) {
    copies.push_back(mod.clone());
    pathModules.push_back(copies.back().get());
  }
  pathModules.push_back(mod);

  std::string entryName = "main";
  uint64_t arenaBytes = 0;
  bool returnedOutputs = false;
  Attribute weightsLayout;
  Phase beforeLLVM = std::min(last, Phase::Bufferized);
  for (auto [i, path] : llvm::enumerate(paths)) {
    ModuleOp pathModule = pathModules[i];
    PipelineOptions pathPipeline = pipeline;
    pathPipeline.cpuTiles = path.tiles;
    StringRef label = pipeline.cuda.onDevice() ? "" : StringRef(path.name);
    if (failed(runPipeline(pathModule, shared, beforeLLVM, pathPipeline,
                           options.verbose, label)))
      return 1;
    // @main's ABI attributes do not survive the LLVM lowering: read them now.
    func::FuncOp entry = getEntryFunction(pathModule);
    entryName = entry ? entry.getSymName().str() : "main";
    if (auto attr = entry ? entry->getAttrOfType<IntegerAttr>("kiln.arena_bytes")
                          : IntegerAttr())
      arenaBytes = std::max<uint64_t>(arenaBytes, attr.getInt());
    returnedOutputs = entry && entry.getNumResults() > 0;
    if (last > Phase::Bufferized &&
        failed(runPipeline(pathModule, beforeLLVM, last, pathPipeline,
                           options.verbose, label)))
      return 1;
    if (emit == "mlir")
      break;
    // The weights layout rides on the module until here; the link step
    // writes it from its own holder, and LLVM translation never sees it.
    Attribute layout = pathModule->getAttr("kiln.weights");
    pathModule->removeAttr("kiln.weights");
    if (i == 0)
      weightsLayout = layout;
    else if (layout != weightsLayout) {
      llvm::errs() << "error: internal error: CPU paths " << paths[0].name
                   << " and " << path.name
                   << " disagree on the weights layout\n";
      return 1;
    }
  }

  if (emit == "mlir")
    return writeText(options.outputPath, [&](llvm::raw_ostream &os) {
      mod.print(os, OpPrintingFlags().elideLargeResourceString());
    });

  OwningOpRef<ModuleOp> weights = ModuleOp::create(UnknownLoc::get(ctx.get()));
  if (weightsLayout)
    weights.get()->setAttr("kiln.weights", weightsLayout);
  uint64_t weightsBytes = getWeightsBlobBytes(*weights), weightsHash = 0;
  {
    llvm::raw_null_ostream sink;
    if (failed(writeWeightsBlob(*weights, sink, weightsHash)))
      return 1;
  }
  std::string manifest =
      formatManifest(*signature, arenaBytes, weightsBytes, weightsHash, returnedOutputs);
  if (pipeline.cuda.onDevice())
    manifest += "target " + formatCUDATarget(pipeline.cuda) + "\n";
  for (const CPUPath &path : paths)
    manifest += formatCPUPathRecord(path) + "\n";

  auto t0 = std::chrono::steady_clock::now();
  SmallVector<SmallVector<char>> objects;
  if (pipeline.cuda.onDevice() && failed(packCUDABinaries(mod, pipeline.cuda)))
    return 1;
  if (failed(emitCPUPathObjects(pathModules, paths, entryName, manifest,
                                pipeline.cpu.optLevel, objects)))
    return 1;
  if (emit == "obj") {
    std::string error;
    if (failed(linkRelocatableObject(objects, options.outputPath, error))) {
      llvm::errs() << "error: " << error << "\n";
      return 1;
    }
    return 0;
  }

  LinkOptions linkOptions;
  linkOptions.outputPath = options.outputPath;
  if (options.sidecarWeights)
    linkOptions.sidecarThreshold = 0;
  std::string error;
  if (failed(linkExecutable(
          objects, weightsBytes, weightsHash,
          [&](llvm::raw_ostream &os) {
            uint64_t hash;
            return writeWeightsBlob(*weights, os, hash);
          },
          linkOptions,
          error))) {
    llvm::errs() << "error: " << error << "\n";
    return 1;
  }
  if (options.verbose)
    llvm::errs() << llvm::format(
        "kiln: [6/6] emitted and linked %s (%.2f s; %.2f s in all)\n",
        options.outputPath.c_str(),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  return 0;
}

int mlir::kiln::checkCommand(const DriverOptions &options) {
  std::string report;
  llvm::raw_string_ostream os(report);
  bool ok = succeeded(
      onnx::checkModel(options.modelPath, options.importOptions, os));
  if (ok) {
    llvm::outs() << options.modelPath << ": every node is supported\n";
    return 0;
  }
  llvm::outs() << report;
  return 1;
}

/// A cache path for the compiled model: a hash of the model file's identity,
/// the options and the kiln binary itself.
static std::string cachePathFor(const DriverOptions &options) {
  llvm::SHA256 hasher;
  auto add = [&](llvm::StringRef s) {
    hasher.update(s);
    hasher.update(llvm::StringRef("\0", 1));
  };
  llvm::SmallString<256> real;
  fs::real_path(options.modelPath, real);
  add(real);
  fs::file_status st;
  if (!fs::status(real, st)) {
    add(std::to_string(st.getSize()));
    add(std::to_string(st.getLastModificationTime().time_since_epoch().count()));
  }
  std::string self = fs::getMainExecutable(nullptr, (void *)&cachePathFor);
  if (!fs::status(self, st))
    add(std::to_string(st.getLastModificationTime().time_since_epoch().count()));
  add(options.target);
  add(options.pipeline.cpu.cpus);
  add(options.pipeline.cpu.features);
  for (auto &entry : options.importOptions.inputShapes) {
    add(entry.getKey());
    for (int64_t d : entry.getValue())
      add(std::to_string(d));
  }
  std::string key = llvm::toHex(hasher.final(), /*LowerCase=*/true).substr(0, 24);
  llvm::SmallString<256> dir;
  if (auto env = llvm::sys::Process::GetEnv("KILN_CACHE_DIR"))
    dir = *env;
  else if (auto xdg = llvm::sys::Process::GetEnv("XDG_CACHE_HOME"))
    llvm::sys::path::append(dir, *xdg, "kiln");
  else if (auto home = llvm::sys::Process::GetEnv("HOME"))
    llvm::sys::path::append(dir, *home, ".cache", "kiln");
  else
    dir = "/tmp/kiln-cache";
  llvm::sys::path::append(dir, key, "model");
  return std::string(dir);
}

int mlir::kiln::runCommand(const DriverOptions &options,
                           const std::vector<std::string> &executableArgs) {
  DriverOptions compileOptions = options;
  compileOptions.outputPath = cachePathFor(options);
  compileOptions.compileTo = Phase::Executable;
  compileOptions.emit = "exe";
  if (!fs::exists(compileOptions.outputPath)) {
    if (std::error_code ec = fs::create_directories(
            llvm::sys::path::parent_path(compileOptions.outputPath))) {
      llvm::errs() << "error: cannot create the compile cache: " << ec.message()
                   << "\n";
      return 1;
    }
    if (int rc = compileCommand(compileOptions))
      return rc;
  }
  std::vector<char *> argv;
  argv.push_back(compileOptions.outputPath.data());
  for (const std::string &arg : executableArgs)
    argv.push_back(const_cast<char *>(arg.c_str()));
  argv.push_back(nullptr);
  llvm::outs().flush();
  llvm::errs().flush();
  execv(compileOptions.outputPath.c_str(), argv.data());
  llvm::errs() << "error: cannot run '" << compileOptions.outputPath
               << "': " << strerror(errno) << "\n";
  return 1;
}
