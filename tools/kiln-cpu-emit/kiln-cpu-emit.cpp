//===- kiln-cpu-emit.cpp - bufferized MLIR → x86-64 object ----------------===//
//
// A test driver for compiler/Target/CPU alone: parses a bufferized module,
// runs buildCPULoweringPipeline and writes the object of emitCPUObject.
// Used by test/Target/CPU, which links the object against a C main.
//
//===----------------------------------------------------------------------===//

#include "compiler/Registration.h"
#include "compiler/Target/CPU/CPUTarget.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input.mlir>"),
                                      cl::init("-"));
static cl::opt<std::string> outputFile("o", cl::desc("object file"),
                                       cl::Required);
static cl::opt<std::string> entry("entry", cl::desc("entry function"),
                                  cl::init("main"));
static cl::opt<std::string> manifestFile("manifest",
                                         cl::desc("manifest text file"));
static cl::opt<std::string> cpu("mcpu", cl::desc("LLVM CPU name"),
                                cl::init("x86-64-v3"));
static cl::opt<std::string> features("mattr", cl::desc("LLVM target features"));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "kiln CPU object emitter\n");
  DialectRegistry registry;
  kiln::registerAllDialects(registry);
  MLIRContext context(registry);
  llvm::SourceMgr sourceMgr;
  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(inputFile);
  if (!buffer) {
    llvm::errs() << "cannot read " << inputFile << "\n";
    return 1;
  }
  sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;
  if (auto func = module->lookupSymbol<func::FuncOp>(entry))
    func->setAttr("llvm.emit_c_interface", UnitAttr::get(&context));

  std::string manifest = "kiln-manifest 1\n";
  if (!manifestFile.empty()) {
    auto text = llvm::MemoryBuffer::getFile(manifestFile);
    if (!text) {
      llvm::errs() << "cannot read " << manifestFile << "\n";
      return 1;
    }
    manifest = (*text)->getBuffer().str();
  }
  kiln::CPUTargetOptions opts;
  opts.cpus = cpu;
  opts.features = features;
  SmallVector<kiln::CPUPath> paths;
  std::string error;
  if (failed(kiln::resolveCPUPaths(cpu, features, paths, error)) ||
      paths.size() != 1) {
    llvm::errs() << "error: " << (error.empty() ? "-mcpu takes one CPU" : error)
                 << "\n";
    return 1;
  }
  PassManager pm(&context);
  kiln::buildCPULoweringPipeline(pm, opts);
  if (failed(pm.run(*module)))
    return 1;
  SmallVector<char> object;
  if (failed(kiln::emitCPUObject(*module, entry, manifest, paths.front(),
                                  opts.optLevel, object)))
    return 1;
  std::error_code ec;
  llvm::ToolOutputFile out(outputFile, ec, llvm::sys::fs::OF_None);
  if (ec) {
    llvm::errs() << "cannot write " << outputFile << ": " << ec.message() << "\n";
    return 1;
  }
  out.os().write(object.data(), object.size());
  out.keep();
  return 0;
}
