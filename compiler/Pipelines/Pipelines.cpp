//===- Pipelines.cpp - kiln's compilation pipelines -----------------------===//
//
// Phase by phase, the passes of a CPU compile. The order matters: kernels
// are formed on the kiln graph, lowered to linalg inside their regions,
// outlined so each kernel is tiled and bufferized as one function, and only
// then does @main get its buffers planned into one arena.
//
//===----------------------------------------------------------------------===//

#include "compiler/Pipelines/Pipelines.h"

#include "compiler/Pipelines/Bufferize.h"
#include "dialects/kiln/Transforms/Passes.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace mlir;
using namespace mlir::kiln;

std::optional<Phase> mlir::kiln::parsePhase(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<Phase>>(name)
      .Case("import", Phase::Import)
      .Case("kernels", Phase::Kernels)
      .Case("linalg", Phase::Linalg)
      .Case("tiled", Phase::Tiled)
      .Case("bufferized", Phase::Bufferized)
      .Case("llvm", Phase::LLVM)
      .Case("executable", Phase::Executable)
      .Default(std::nullopt);
}

llvm::StringRef mlir::kiln::phaseNames() {
  return "import, kernels, linalg, tiled, bufferized, llvm, executable";
}

static llvm::StringRef phaseTitle(Phase phase) {
  switch (phase) {
  case Phase::Import:
    return "importing ONNX";
  case Phase::Kernels:
    return "forming kernels";
  case Phase::Linalg:
    return "lowering kernels to linalg";
  case Phase::Tiled:
    return "tiling and vectorizing";
  case Phase::Bufferized:
    return "bufferizing and planning memory";
  case Phase::LLVM:
    return "lowering to LLVM";
  case Phase::Executable:
    return "emitting code and linking";
  }
  return "";
}

void mlir::kiln::buildPhasePipeline(OpPassManager &pm, Phase phase,
                                    const PipelineOptions &options) {
  switch (phase) {
  case Phase::Import:
  case Phase::Executable:
    return;
  case Phase::Kernels:
    pm.addPass(createCanonicalizerPass());
    pm.addNestedPass<func::FuncOp>(createKilnFormKernels());
    return;
  case Phase::Linalg:
    pm.addPass(createConvertKilnToLinalg());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createKilnOutlineKernels());
    pm.addNestedPass<func::FuncOp>(createKilnFuseElementwise());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    pm.addPass(createKilnDedupeKernels());
    return;
  case Phase::Tiled: {
    if (options.cuda.enabled())
      return; // GPU mapping happens on buffers (kiln-gpu-map-to-loops)
    KilnCPUTileAndVectorizeOptions tileOptions;
    tileOptions.vectorWidth = options.cpuTiles.vectorWidth;
    tileOptions.registerRows = options.cpuTiles.registerRows;
    tileOptions.microkernels = !options.cpuTiles.microkernelISA.empty();
    pm.addNestedPass<func::FuncOp>(createKilnCPUTileAndVectorize(tileOptions));
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    return;
  }
  case Phase::Bufferized:
    buildKilnBufferizePipeline(pm, options.cuda.enabled() ? 0 : 256);
    return;
  case Phase::LLVM:
    if (options.cuda.onDevice()) {
      buildCUDALoweringPipeline(pm, options.cuda);
      return;
    }
    if (options.cuda.emulateOnHost)
      buildCUDAHostEmulationPipeline(pm, options.cuda);
    if (!options.cuda.enabled()) {
      KilnCPUMicrokernelCallsOptions calls;
      calls.isa = options.cpuTiles.microkernelISA;
      pm.addPass(createKilnCPUMicrokernelCalls(calls));
      pm.addPass(createKilnCPUProfileHooks());
      pm.addPass(createKilnCPUZeroFills());
    }
    buildCPULoweringPipeline(pm, options.cpu);
    return;
  }
}

/// One-shot bufferization visits functions in an order that depends on
/// pointer values and names the globals it creates from a counter. Renames
/// and reorders private memref.globals by first use in program order, so the
/// same model always gives the same executable.
static void canonicalizeGlobalOrder(ModuleOp module) {
  SmallVector<memref::GlobalOp> order;
  llvm::DenseSet<Operation *> seen;
  module.walk([&](memref::GetGlobalOp get) {
    auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
        get, get.getNameAttr());
    if (global && global.isPrivate() && seen.insert(global).second)
      order.push_back(global);
  });
  MLIRContext *ctx = module.getContext();
  for (auto [i, global] : llvm::enumerate(order)) {
    auto name = StringAttr::get(ctx, "__kiln_constant_" + std::to_string(i));
    if (failed(SymbolTable::replaceAllSymbolUses(global, name, module)))
      continue;
    global.setSymName(name);
  }
  // Moving each to the front in reverse leaves them in first-use order.
  for (memref::GlobalOp global : llvm::reverse(order))
    global->moveBefore(module.getBody(), module.getBody()->begin());
}

LogicalResult mlir::kiln::runPipeline(ModuleOp module, Phase done, Phase last,
                                      const PipelineOptions &options,
                                      bool progress, StringRef label) {
  for (int p = (int)done + 1; p <= (int)last && p < (int)Phase::Executable;
       ++p) {
    auto phase = static_cast<Phase>(p);
    auto start = std::chrono::steady_clock::now();
    PassManager pm(module.getContext());
    if (options.printIRAfterAll) {
      module.getContext()->disableMultithreading();
      pm.enableIRPrinting();
    }
    if (options.timing)
      pm.enableTiming();
    buildPhasePipeline(pm, phase, options);
    // Bufferization names the globals it creates from a counter; run it on
    // one thread so the same model always gives the same executable.
    MLIRContext *ctx = module.getContext();
    bool wasThreaded = ctx->isMultithreadingEnabled();
    if (phase == Phase::Bufferized && wasThreaded)
      ctx->disableMultithreading();
    LogicalResult result = pm.run(module);
    if (phase == Phase::Bufferized && wasThreaded)
      ctx->enableMultithreading();
    if (failed(result))
      return failure();
    if (phase == Phase::Bufferized)
      canonicalizeGlobalOrder(module);
    if (progress) {
      double secs = std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - start)
                        .count();
      std::string title = phaseTitle(phase).str();
      if (!label.empty())
        title += " for " + label.str();
      llvm::errs() << llvm::format("kiln: [%d/%d] %s (%.2f s)\n", p,
                                   (int)Phase::Executable, title.c_str(),
                                   secs);
    }
  }
  return success();
}
