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
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/TargetParser/Triple.h"

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
  pm.addPass(arith::createArithExpandOpsPass());
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

/// Creates the target machine for `opts` ("host" resolves to this machine's
/// CPU and its features).
static std::unique_ptr<llvm::TargetMachine>
createTargetMachine(const kiln::CPUTargetOptions &opts, std::string &error) {
  LLVMInitializeX86TargetInfo();
  LLVMInitializeX86Target();
  LLVMInitializeX86TargetMC();
  LLVMInitializeX86AsmPrinter();
  llvm::Triple triple("x86_64-unknown-linux-gnu");
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  std::string cpu = opts.cpu;
  llvm::SubtargetFeatures features;
  if (cpu == "host") {
    cpu = llvm::sys::getHostCPUName().str();
    // StringMap iteration order is unspecified: sort for a stable string.
    SmallVector<std::string> hostFeatures;
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      hostFeatures.push_back((feature.second ? "+" : "-") +
                             feature.first().str());
    llvm::sort(hostFeatures);
    for (const std::string &f : hostFeatures)
      features.AddFeature(f);
  }
  if (!opts.features.empty())
    features.addFeaturesVector(
        llvm::SubtargetFeatures(opts.features).getFeatures());
  llvm::CodeGenOptLevel level = llvm::CodeGenOptLevel::Aggressive;
  if (opts.optLevel == 0)
    level = llvm::CodeGenOptLevel::None;
  else if (opts.optLevel == 1)
    level = llvm::CodeGenOptLevel::Less;
  else if (opts.optLevel == 2)
    level = llvm::CodeGenOptLevel::Default;
  llvm::TargetOptions targetOptions;
  // GPU module loaders are global constructors: .init_array, which lld and
  // glibc run (not the legacy .ctors).
  targetOptions.UseInitArray = true;
  return std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
      triple, cpu, features.getString(), targetOptions, llvm::Reloc::PIC_,
      std::nullopt, level));
}

/// Adds `void kiln_entry(void **descs)` forwarding descs[i] to the C
/// interface of the entry function, and the manifest string.
static LogicalResult addEntryAndManifest(llvm::Module &module, ModuleOp op,
                                         StringRef entryFunc,
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
      entryTy, llvm::GlobalValue::ExternalLinkage, "kiln_entry", module);
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

  llvm::Constant *text =
      llvm::ConstantDataArray::getString(ctx, manifest, /*AddNull=*/true);
  new llvm::GlobalVariable(module, text->getType(), /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage, text,
                           "kiln_manifest");
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

LogicalResult kiln::emitCPUObject(ModuleOp module, StringRef entryFunc,
                                  StringRef manifest,
                                  const CPUTargetOptions &opts,
                                  SmallVectorImpl<char> &object) {
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  module->getContext()->appendDialectRegistry(registry);

  std::string error;
  std::unique_ptr<llvm::TargetMachine> tm = createTargetMachine(opts, error);
  if (!tm)
    return module.emitError() << "cannot create the x86-64 target: " << error;

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "kiln");
  if (!llvmModule)
    return module.emitError() << "translation to LLVM IR failed";
  llvmModule->setTargetTriple(tm->getTargetTriple());
  llvmModule->setDataLayout(tm->createDataLayout());
  if (failed(addEntryAndManifest(*llvmModule, module, entryFunc, manifest)))
    return failure();
  // Only the ABI symbols leave the object: the entry function may well be
  // called `main`, and kernels must not clash with the runtime's symbols.
  for (llvm::GlobalValue &global : llvmModule->global_values())
    if (!global.isDeclaration() && global.getName() != "kiln_entry" &&
        global.getName() != "kiln_manifest" &&
        !global.getName().starts_with("llvm.")) // llvm.global_ctors (GPU)
      global.setLinkage(llvm::GlobalValue::InternalLinkage);
  if (llvm::verifyModule(*llvmModule, &llvm::errs()))
    return module.emitError() << "invalid LLVM IR for the CPU object";

  optimize(*llvmModule, *tm, opts.optLevel);

  object.clear();
  llvm::raw_svector_ostream os(object);
  llvm::legacy::PassManager codegen;
  if (tm->addPassesToEmitFile(codegen, os, nullptr,
                              llvm::CodeGenFileType::ObjectFile))
    return module.emitError() << "the x86-64 target cannot emit objects";
  codegen.run(*llvmModule);
  return success();
}
