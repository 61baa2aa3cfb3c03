//===- kiln-import.cpp - test driver for the ONNX importer ----------------===//
//
// `kiln-import MODEL.onnx [--input-shape NAME=1x3x224x224 ...]` prints the
// imported module; `kiln-import --check MODEL.onnx` runs `kiln check`'s
// analysis. A lit hook until the `kiln` driver folds both in.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxImporter.h"

#include "dialects/kiln/IR/KilnDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.onnx>"),
                                      cl::Required);
static cl::list<std::string> inputShapes("input-shape",
                                         cl::desc("NAME=DxDx... binding"));
static cl::opt<bool> check("check", cl::desc("list unsupported parts only"));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  cl::ParseCommandLineOptions(argc, argv, "kiln ONNX importer test driver\n");
  kiln::onnx::ImportOptions opts;
  for (const std::string &spec : inputShapes) {
    std::string error;
    if (failed(kiln::onnx::parseInputShape(spec, opts, error))) {
      llvm::errs() << "error: " << error << "\n";
      return 1;
    }
  }
  if (check)
    return failed(kiln::onnx::checkModel(modelPath, opts, llvm::outs())) ? 1 : 0;

  MLIRContext ctx;
  ScopedDiagnosticHandler handler(&ctx, [](Diagnostic &diag) {
    llvm::errs() << (diag.getSeverity() == DiagnosticSeverity::Error ? "error: "
                                                                     : "note: ")
                 << diag.str() << "\n";
    return success();
  });
  auto module = kiln::onnx::importModel(ctx, modelPath, opts);
  if (failed(module))
    return 1;
  (*module)->print(llvm::outs());
  return 0;
}
