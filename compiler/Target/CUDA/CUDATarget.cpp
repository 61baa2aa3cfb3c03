//===- CUDATarget.cpp - NVIDIA GPU lowering and packing -------------------===//
//
// The lowering reuses upstream's GPU path: kiln-gpu-map-to-loops leaves
// scf.parallel nests annotated for blocks/threads, convert-parallel-loops-
// to-gpu and gpu-kernel-outlining make gpu.modules, nvvm-attach-target adds
// one #nvvm.target per requested arch, and gpu-module-to-binary serializes
// each module to PTX per arch (libdevice from the CUDA toolkit is linked in
// for math functions). The host keeps only pointer arithmetic and
// gpu.launch_func, which gpu-to-llvm turns into mgpu* runtime calls.
// Packing runs ptxas per arch, so a PTX that some arch rejects fails the
// compile rather than the run.
//
//===----------------------------------------------------------------------===//

#include "compiler/Target/CUDA/CUDATarget.h"

#include "passes/Passes.h"
#include "runtime/CudaImage.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace fs = llvm::sys::fs;

/// The archs kiln accepts; the PTX ISA each needs at least.
static const struct {
  unsigned sm;
  const char *ptxFeature;
} kKnownArchs[] = {{75, "+ptx80"}, {80, "+ptx80"}, {86, "+ptx80"},
                   {87, "+ptx80"}, {89, "+ptx80"}, {90, "+ptx80"},
                   {100, "+ptx86"}, {120, "+ptx87"}};

static const char *ptxFeatureFor(unsigned sm) {
  for (const auto &arch : kKnownArchs)
    if (arch.sm == sm)
      return arch.ptxFeature;
  return nullptr;
}

LogicalResult mlir::kiln::parseCUDATarget(StringRef spec, CUDATargetOptions &options,
                                    std::string &error) {
  if (!spec.consume_front("cuda")) {
    error = "unknown target '" + spec.str() + "'; expected cpu or cuda:sm_XX[,sm_YY...]";
    return failure();
  }
  options.archs.clear();
  options.emulateOnHost = spec == ":host";
  if (options.emulateOnHost)
    return success();
  if (spec.empty())
    spec = ":sm_80,sm_90";
  if (!spec.consume_front(":") || spec.empty()) {
    error = "expected --target cuda:sm_XX[,sm_YY...]";
    return failure();
  }
  SmallVector<StringRef> parts;
  spec.split(parts, ',');
  for (StringRef part : parts) {
    unsigned sm = 0;
    StringRef digits = part;
    if (!digits.consume_front("sm_") || digits.getAsInteger(10, sm) ||
        !ptxFeatureFor(sm)) {
      std::string known;
      for (const auto &arch : kKnownArchs)
        known += (known.empty() ? "sm_" : ", sm_") + std::to_string(arch.sm);
      error = "unknown CUDA arch '" + part.str() + "'; expected one of " + known;
      return failure();
    }
    if (!llvm::is_contained(options.archs, sm))
      options.archs.push_back(sm);
  }
  llvm::sort(options.archs);
  return success();
}

std::string mlir::kiln::formatCUDATarget(const CUDATargetOptions &options) {
  std::string out = "cuda:";
  for (auto [i, sm] : llvm::enumerate(options.archs))
    out += (i ? ",sm_" : "sm_") + std::to_string(sm);
  return out;
}

/// Kernels to blocks and threads: contractions tiled and reductions shared
/// by warps or blocks (as GPU kernels, or as their host emulation),
/// everything else mapped naively.
static void addKernelMapping(OpPassManager &pm,
                             const mlir::kiln::CUDATargetOptions &options,
                             bool hostEmulation) {
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  mlir::kiln::KilnGPUTileContractionsOptions tileOptions;
  tileOptions.hostEmulation = hostEmulation;
  pm.addNestedPass<func::FuncOp>(mlir::kiln::createKilnGPUTileContractions(tileOptions));
  mlir::kiln::KilnGPUTileReductionsOptions reduceOptions;
  reduceOptions.hostEmulation = hostEmulation;
  pm.addNestedPass<func::FuncOp>(mlir::kiln::createKilnGPUTileReductions(reduceOptions));
  mlir::kiln::KilnGPUMapToLoopsOptions mapOptions;
  mapOptions.blockSize = options.blockSize;
  pm.addNestedPass<func::FuncOp>(mlir::kiln::createKilnGPUMapToLoops(mapOptions));
}

void mlir::kiln::buildCUDAHostEmulationPipeline(
    OpPassManager &pm, const CUDATargetOptions &options) {
  addKernelMapping(pm, options, /*hostEmulation=*/true);
  // Blocks and threads run one after another: the check is of the mapping's
  // index math, guards and data placement, deterministic on any machine.
  // (Nested scf.parallel through the CPU's async lowering gave run-to-run
  // differences; the CPU target itself never nests parallel loops.)
  pm.addPass(createParallelForToNestedForsPass());
}

void mlir::kiln::buildCUDALoweringPipeline(OpPassManager &pm,
                                     const CUDATargetOptions &options) {
  addKernelMapping(pm, options, /*hostEmulation=*/false);
  pm.addNestedPass<func::FuncOp>(createGpuMapParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(createConvertParallelLoopToGpuPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addNestedPass<gpu::GPUModuleOp>(
      mlir::kiln::createKilnGPUAlignWorkgroupBuffers());
  // Constants now copied into the GPU modules leave no host use behind.
  pm.addPass(createSymbolDCEPass());
  for (unsigned sm : options.archs) {
    GpuNVVMAttachTargetOptions target;
    target.chip = "sm_" + std::to_string(sm);
    target.features = ptxFeatureFor(sm);
    target.optLevel = 3;
    std::string libdevice = options.toolkit + "/nvvm/libdevice/libdevice.10.bc";
    if (fs::exists(libdevice))
      target.linkLibs.push_back(libdevice);
    pm.addPass(createGpuNVVMAttachTarget(target));
  }

  // Device side.
  OpPassManager &device = pm.nest<gpu::GPUModuleOp>();
  device.addPass(createLowerAffinePass());
  device.addPass(memref::createExpandStridedMetadataPass());
  device.addPass(createLowerAffinePass());
  device.addPass(arith::createArithExpandOpsPass());
  device.addPass(createConvertNVGPUToNVVMPass());
  device.addPass(createConvertGpuOpsToNVVMOps());
  device.addPass(createCanonicalizerPass());
  device.addPass(createCSEPass());

  // Host side: pointer arithmetic and launches.
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(arith::createArithExpandOpsPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createGpuToLLVMConversionPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());

  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = "isa";
  binary.toolkitPath = options.toolkit;
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

/// Assembles `ptx` for `sm` with ptxas into `cubin`; `error` gets ptxas's
/// first diagnostic line on failure.
static LogicalResult runPtxas(StringRef ptxas, StringRef ptx, unsigned sm,
                              std::string &cubin, std::string &error) {
  SmallString<128> ptxPath, cubinPath, logPath;
  if (fs::createTemporaryFile("kiln", "ptx", ptxPath) ||
      fs::createTemporaryFile("kiln", "cubin", cubinPath) ||
      fs::createTemporaryFile("kiln", "log", logPath)) {
    error = "cannot create temporary files for ptxas";
    return failure();
  }
  auto cleanup = llvm::scope_exit([&] {
    fs::remove(ptxPath);
    fs::remove(cubinPath);
    fs::remove(logPath);
  });
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(ptxPath, ec);
    if (ec) {
      error = "cannot write '" + ptxPath.str().str() + "': " + ec.message();
      return failure();
    }
    os << ptx;
  }
  std::string arch = "-arch=sm_" + std::to_string(sm);
  SmallVector<StringRef> args = {ptxas, arch, "-O3", ptxPath, "-o", cubinPath};
  std::optional<StringRef> redirects[] = {std::nullopt, logPath, logPath};
  std::string execError;
  int rc = llvm::sys::ExecuteAndWait(ptxas, args, std::nullopt, redirects, 0, 0,
                                     &execError);
  if (rc != 0) {
    std::string log;
    if (auto buffer = llvm::MemoryBuffer::getFile(logPath))
      log = (*buffer)->getBuffer().trim().split('\n').first.str();
    error = "ptxas rejected the PTX for sm_" + std::to_string(sm) + ": " +
            (log.empty() ? execError : log);
    return failure();
  }
  auto buffer = llvm::MemoryBuffer::getFile(cubinPath);
  if (!buffer) {
    error = "ptxas wrote no cubin for sm_" + std::to_string(sm);
    return failure();
  }
  cubin = (*buffer)->getBuffer().str();
  return success();
}

LogicalResult mlir::kiln::packCUDABinaries(ModuleOp module,
                                     const CUDATargetOptions &options) {
  std::string ptxas = options.toolkit + "/bin/ptxas";
  bool havePtxas = fs::can_execute(ptxas);
  static bool warned = false;
  if (!havePtxas && !warned) {
    warned = true;
    llvm::errs() << "warning: ptxas not found at '" << ptxas
                 << "'; embedding PTX only (the driver JIT-compiles it)\n";
  }
  SmallVector<gpu::BinaryOp> binaries(module.getOps<gpu::BinaryOp>());
  for (gpu::BinaryOp binary : binaries) {
    // Payloads must outlive writeCudaImage: keep them here.
    std::vector<std::string> payloads;
    std::vector<::kiln::runtime::CudaImageEntry> entries;
    SmallVector<std::pair<unsigned, std::string>> ptxByArch;
    Attribute newestTarget;
    unsigned newest = 0;
    for (Attribute attr : binary.getObjectsAttr()) {
      auto object = cast<gpu::ObjectAttr>(attr);
      auto target = dyn_cast<NVVM::NVVMTargetAttr>(object.getTarget());
      StringRef chip = target ? target.getChip() : StringRef();
      unsigned sm = 0;
      if (!target || object.getFormat() != gpu::CompilationTarget::Assembly ||
          !chip.consume_front("sm_") || chip.getAsInteger(10, sm))
        return binary.emitError("expected PTX objects for NVVM targets");
      std::string ptx = object.getObject().str();
      if (havePtxas) {
        std::string cubin, error;
        if (failed(runPtxas(ptxas, ptx, sm, cubin, error)))
          return binary.emitError() << "GPU module '" << binary.getSymName()
                                    << "': " << error;
        payloads.push_back(std::move(cubin));
        entries.push_back({::kiln::runtime::CudaImageKind::Cubin, sm, nullptr, 0});
      }
      ptxByArch.push_back({sm, std::move(ptx)});
      if (sm >= newest) {
        newest = sm;
        newestTarget = target;
      }
    }
    for (auto &[sm, ptx] : ptxByArch) {
      if (havePtxas && sm != newest)
        continue;
      payloads.push_back(ptx + '\0');
      entries.push_back({::kiln::runtime::CudaImageKind::Ptx, sm, nullptr, 0});
    }
    for (size_t i = 0; i < entries.size(); ++i) {
      entries[i].data = payloads[i].data();
      entries[i].bytes = payloads[i].size();
    }
    std::string image = ::kiln::runtime::writeCudaImage(entries);
    MLIRContext *ctx = module.getContext();
    auto packed = gpu::ObjectAttr::get(
        ctx, newestTarget, gpu::CompilationTarget::Binary,
        StringAttr::get(ctx, image), nullptr, nullptr);
    binary.setObjectsAttr(ArrayAttr::get(ctx, {packed}));
  }
  return success();
}
