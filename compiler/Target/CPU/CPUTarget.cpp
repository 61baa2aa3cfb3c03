//===- CPUTarget.cpp - x86-64 lowering and object emission ----------------===//
//
// Parallelism: each scf.forall (the tiles of a kernel) becomes an
// scf.parallel, then async-parallel-for splits it into tasks dispatched with
// recursive work splitting; the worker count is read from the runtime at run
// time, and min-task-size is 1 because one iteration is already a large tile.
// Emission: the LLVM dialect is translated to LLVM IR, the C-ABI entry
// `kiln_entry` and the manifest are added, and LLVM's O3 pipeline (which also
// splits the async coroutines) runs before x86-64 code generation.
//
//===----------------------------------------------------------------------===//

#include "compiler/Target/CPU/CPUTarget.h"
#include "passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Async/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Vector/Transforms/Passes.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Triple.h"
#include "llvm/Support/Parallel.h"

#include <mutex>

using namespace mlir;

void kiln::buildCPULoweringPipeline(OpPassManager &pm,
                                    const CPUTargetOptions &opts) {
  (void)opts; // the LLVM dialect is target-neutral; opts matter at emission
  // Bufferization leaves self-copies of forall tiles behind; CSE exposes them.
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createForallToParallelLoopPass());
  pm.addNestedPass<func::FuncOp>(kiln::createKilnCollapseParallelLoops());
  AsyncParallelForPassOptions parallelFor;
  parallelFor.asyncDispatch = true;
  parallelFor.numWorkerThreads = -1;
  parallelFor.minTaskSize = 1;
  pm.addPass(createAsyncParallelForPass(parallelFor));
  pm.addPass(createAsyncToAsyncRuntimePass());
  pm.addNestedPass<func::FuncOp>(createAsyncRuntimeRefCountingPass());
  pm.addNestedPass<func::FuncOp>(createAsyncRuntimeRefCountingOptPass());
  pm.addPass(createCanonicalizerPass());

  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  // vector.multi_reduction has no direct LLVM lowering.
  pm.addNestedPass<func::FuncOp>(vector::createLowerVectorMultiReductionPass());
  // Full unrolling: n-D transfers become 1-D ones in registers. Without it
  // the lowering stages them through stack buffers (llvm.alloca) that end up
  // inside the kernels' loops, growing the stack every iteration until it
  // overflows (a single 3x3 conv over 64x56x56 did).
  pm.addNestedPass<func::FuncOp>(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll()));
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // bf16 casts as inline integer code on every path, not a call to
  // __truncsfbf2 (LLVM still calls it for bf16 arithmetic without
  // avx512bf16: runtime/Bfloat16Conversions.cpp provides it).
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  pm.addPass(arith::createArithExpandOpsPass(expand));
  pm.addNestedPass<func::FuncOp>(kiln::createKilnCPUVectorMath());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertAsyncToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

/// Creates the target machine for an LLVM CPU and feature string.
static std::unique_ptr<llvm::TargetMachine>
createTargetMachine(StringRef cpu, StringRef features, unsigned optLevel,
                    std::string &error) {
  // Registration is not thread safe (two paths registering at once leave two
  // "x86-64" targets behind), and the paths are emitted in parallel.
  static std::once_flag registered;
  std::call_once(registered, [] {
    LLVMInitializeX86TargetInfo();
    LLVMInitializeX86Target();
    LLVMInitializeX86TargetMC();
    LLVMInitializeX86AsmPrinter();
  });
  llvm::Triple triple("x86_64-unknown-linux-gnu");
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  llvm::CodeGenOptLevel level = llvm::CodeGenOptLevel::Aggressive;
  if (optLevel == 0)
    level = llvm::CodeGenOptLevel::None;
  else if (optLevel == 1)
    level = llvm::CodeGenOptLevel::Less;
  else if (optLevel == 2)
    level = llvm::CodeGenOptLevel::Default;
  llvm::TargetOptions targetOptions;
  // GPU module loaders are global constructors: .init_array, which lld and
  // glibc run (not the legacy .ctors).
  targetOptions.UseInitArray = true;
  return std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
      triple, cpu, features, targetOptions, llvm::Reloc::PIC_, std::nullopt,
      level));
}

/// Adds the NUL-terminated global `kiln_manifest` holding `manifest`.
static void addManifest(llvm::Module &module, StringRef manifest) {
  llvm::Constant *text = llvm::ConstantDataArray::getString(
      module.getContext(), manifest, /*AddNull=*/true);
  new llvm::GlobalVariable(module, text->getType(), /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage, text,
                           "kiln_manifest");
}

/// Adds `void kiln_entry(void **descs)` forwarding descs[i] to the C
/// interface of the entry function, and the manifest string.
static LogicalResult addEntryAndManifest(llvm::Module &module, ModuleOp op,
                                         StringRef entryFunc,
                                         StringRef entrySymbol,
                                         StringRef manifest) {
  std::string cifaceName = ("_mlir_ciface_" + entryFunc).str();
  llvm::Function *ciface = module.getFunction(cifaceName);
  if (!ciface)
    return op.emitError() << "entry function '" << entryFunc
                          << "' has no C interface (" << cifaceName
                          << "); set `llvm.emit_c_interface` on it";
  if (!ciface->getReturnType()->isVoidTy())
    return op.emitError() << "entry function '" << entryFunc
                          << "' must return its results through out-params";
  llvm::LLVMContext &ctx = module.getContext();
  llvm::Type *ptrTy = llvm::PointerType::getUnqual(ctx);
  auto *entryTy =
      llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptrTy}, false);
  llvm::Function *entry = llvm::Function::Create(
      entryTy, llvm::GlobalValue::ExternalLinkage, entrySymbol, module);
  llvm::IRBuilder<> builder(llvm::BasicBlock::Create(ctx, "entry", entry));
  // Returned outputs (runtime/ABI.md): the C interface takes a pointer to
  // the result (one descriptor, or a struct of them) first; each returned
  // descriptor is then copied over the output's slot in descs.
  llvm::Function *body = module.getFunction(entryFunc);
  llvm::Type *resultTy = body ? body->getReturnType() : nullptr;
  bool returns = resultTy && !resultTy->isVoidTy();
  SmallVector<llvm::Value *> args;
  llvm::Value *result = nullptr;
  if (returns) {
    result = builder.CreateAlloca(resultTy);
    args.push_back(result);
  }
  for (unsigned i = returns ? 1 : 0, e = ciface->arg_size(); i < e; ++i) {
    llvm::Value *slot = builder.CreateConstInBoundsGEP1_64(
        ptrTy, entry->getArg(0), i - (returns ? 1 : 0));
    args.push_back(builder.CreateLoad(ptrTy, slot));
  }
  builder.CreateCall(ciface, args);
  if (returns) {
    const llvm::DataLayout &layout = module.getDataLayout();
    SmallVector<std::pair<uint64_t, uint64_t>> parts; // offset, bytes
    auto *structTy = cast<llvm::StructType>(resultTy);
    bool single = !structTy->getElementType(0)->isStructTy();
    if (single) {
      parts.push_back({0, layout.getTypeAllocSize(resultTy)});
    } else {
      const llvm::StructLayout *sl = layout.getStructLayout(structTy);
      for (unsigned k = 0; k < structTy->getNumElements(); ++k)
        parts.push_back({sl->getElementOffset(k),
                         layout.getTypeAllocSize(structTy->getElementType(k))});
    }
    unsigned firstOutput = ciface->arg_size() - 1;
    for (auto [k, part] : llvm::enumerate(parts)) {
      llvm::Value *slot = builder.CreateConstInBoundsGEP1_64(
          ptrTy, entry->getArg(0), firstOutput + k);
      llvm::Value *dst = builder.CreateLoad(ptrTy, slot);
      llvm::Value *src = builder.CreateConstInBoundsGEP1_64(
          builder.getInt8Ty(), result, part.first);
      builder.CreateMemCpy(dst, llvm::MaybeAlign(8), src, llvm::MaybeAlign(8),
                           part.second);
    }
  }
  builder.CreateRetVoid();
  if (!manifest.empty())
    addManifest(module, manifest);
  return success();
}

static void optimize(llvm::Module &module, llvm::TargetMachine &tm,
                     unsigned optLevel) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = optLevel > 1;
  tuning.SLPVectorization = optLevel > 1;
  llvm::PassBuilder pb(&tm, tuning);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel level = llvm::OptimizationLevel::O3;
  if (optLevel == 0)
    level = llvm::OptimizationLevel::O0;
  else if (optLevel == 1)
    level = llvm::OptimizationLevel::O1;
  else if (optLevel == 2)
    level = llvm::OptimizationLevel::O2;
  // The O0 pipeline also runs the coroutine passes async lowering needs.
  llvm::ModulePassManager mpm = level == llvm::OptimizationLevel::O0
                                    ? pb.buildO0DefaultPipeline(level)
                                    : pb.buildPerModuleDefaultPipeline(level);
  mpm.run(module, mam);
}

/// The LLVM IR of `module` with `entrySymbol` (and `kiln_manifest` unless
/// `manifest` is empty) as its only external definitions.
static std::unique_ptr<llvm::Module>
translateForCPU(ModuleOp module, StringRef entryFunc, StringRef entrySymbol,
                StringRef manifest, llvm::LLVMContext &llvmContext) {
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  module->getContext()->appendDialectRegistry(registry);

  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "kiln");
  if (!llvmModule) {
    module.emitError() << "translation to LLVM IR failed";
    return nullptr;
  }
  llvmModule->setTargetTriple(llvm::Triple("x86_64-unknown-linux-gnu"));
  if (failed(addEntryAndManifest(*llvmModule, module, entryFunc, entrySymbol,
                                 manifest)))
    return nullptr;
  // Only the ABI symbols leave the object: the entry function may well be
  // called `main`, kernels must not clash with the runtime's symbols, and
  // the paths of one executable define the same kernels.
  for (llvm::GlobalValue &global : llvmModule->global_values())
    if (!global.isDeclaration() && global.getName() != entrySymbol &&
        global.getName() != "kiln_manifest" &&
        !global.getName().starts_with("llvm.")) // llvm.global_ctors (GPU)
      global.setLinkage(llvm::GlobalValue::InternalLinkage);
  if (llvm::verifyModule(*llvmModule, &llvm::errs())) {
    module.emitError() << "invalid LLVM IR for the CPU object";
    return nullptr;
  }
  return llvmModule;
}

/// Optimizes `module` for (cpu, features) and emits it as an object; thread
/// safe for modules of distinct LLVM contexts.
static bool emitObject(llvm::Module &module, StringRef cpu, StringRef features,
                       unsigned optLevel, SmallVectorImpl<char> &object,
                       std::string &error) {
  std::unique_ptr<llvm::TargetMachine> tm =
      createTargetMachine(cpu, features, optLevel, error);
  if (!tm) {
    error = "cannot create the x86-64 target: " + error;
    return false;
  }
  module.setDataLayout(tm->createDataLayout());
  optimize(module, *tm, optLevel);
  object.clear();
  llvm::raw_svector_ostream os(object);
  llvm::legacy::PassManager codegen;
  if (tm->addPassesToEmitFile(codegen, os, nullptr,
                              llvm::CodeGenFileType::ObjectFile)) {
    error = "the x86-64 target cannot emit objects";
    return false;
  }
  codegen.run(module);
  return true;
}

LogicalResult kiln::emitCPUObject(ModuleOp module, StringRef entryFunc,
                                  StringRef manifest, const CPUPath &path,
                                  unsigned optLevel,
                                  SmallVectorImpl<char> &object) {
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateForCPU(module, entryFunc, "kiln_entry", manifest, llvmContext);
  if (!llvmModule)
    return failure();
  std::string error;
  if (!emitObject(*llvmModule, path.cpu, path.llvmFeatures, optLevel, object,
                  error))
    return module.emitError() << error;
  return success();
}

/// The baseline object of a multi-path executable: the manifest and
/// `kiln_cpu_entries`, the paths' entries in manifest order.
static std::unique_ptr<llvm::Module>
buildDispatchModule(StringRef manifest, size_t numPaths,
                    llvm::LLVMContext &ctx) {
  auto module = std::make_unique<llvm::Module>("kiln-dispatch", ctx);
  module->setTargetTriple(llvm::Triple("x86_64-unknown-linux-gnu"));
  addManifest(*module, manifest);
  llvm::Type *ptrTy = llvm::PointerType::getUnqual(ctx);
  auto *entryTy =
      llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptrTy}, false);
  SmallVector<llvm::Constant *> entries;
  for (size_t i = 0; i < numPaths; ++i)
    entries.push_back(llvm::Function::Create(
        entryTy, llvm::GlobalValue::ExternalLinkage,
        "kiln_cpu_entry_" + std::to_string(i), *module));
  auto *tableTy = llvm::ArrayType::get(ptrTy, numPaths);
  new llvm::GlobalVariable(*module, tableTy, /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage,
                           llvm::ConstantArray::get(tableTy, entries),
                           "kiln_cpu_entries");
  return module;
}

LogicalResult kiln::emitCPUPathObjects(
    ArrayRef<ModuleOp> modules, ArrayRef<CPUPath> paths, StringRef entryFunc,
    StringRef manifest, unsigned optLevel,
    SmallVectorImpl<SmallVector<char>> &objects) {
  assert(modules.size() == paths.size() && "one module per path");
  size_t n = paths.size();
  // Translation reads the MLIR context: one path after another. LLVM's
  // optimization and code generation, the larger part, run side by side.
  SmallVector<std::unique_ptr<llvm::LLVMContext>> contexts;
  SmallVector<std::unique_ptr<llvm::Module>> llvmModules;
  for (size_t i = 0; i < n; ++i) {
    contexts.push_back(std::make_unique<llvm::LLVMContext>());
    llvmModules.push_back(translateForCPU(modules[i], entryFunc,
                                          "kiln_cpu_entry_" + std::to_string(i),
                                          /*manifest=*/"", *contexts.back()));
    if (!llvmModules.back())
      return failure();
  }
  contexts.push_back(std::make_unique<llvm::LLVMContext>());
  llvmModules.push_back(buildDispatchModule(manifest, n, *contexts.back()));

  objects.assign(n + 1, SmallVector<char>());
  SmallVector<std::string> errors(n + 1);
  SmallVector<char> ok(n + 1, 0);
  auto emitOne = [&](size_t i) {
    StringRef cpu = i < n ? StringRef(paths[i].cpu) : StringRef("x86-64");
    StringRef features = i < n ? StringRef(paths[i].llvmFeatures) : "";
    ok[i] = emitObject(*llvmModules[i], cpu, features, optLevel, objects[i],
                       errors[i]);
  };
  llvm::parallelFor(0, n + 1, emitOne);
  ModuleOp first = modules.front();
  for (size_t i = 0; i <= n; ++i)
    if (!ok[i])
      return first.emitError()
             << (i < n ? "CPU path " + paths[i].name : std::string("dispatch"))
             << ": " << errors[i];
  return success();
}
