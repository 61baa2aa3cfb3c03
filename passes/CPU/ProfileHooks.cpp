//===- ProfileHooks.cpp - kiln-cpu-profile-hooks --------------------------===//
//
// Brackets every kernel call of the entry function with
// `kiln_profile_begin(name)` / `kiln_profile_end(name)` (runtime/Profile.h),
// where `name` is a constant memref<Nxi8>: the kernel function's name, then
// one line per ONNX node the call computes (the NameLocs the importer gave
// the nodes, gathered from the call's fused location: a kernel function may
// serve several calls, kiln-dedupe-kernels). The runtime ignores
// the calls unless the executable runs with --profile.
//
//===----------------------------------------------------------------------===//

#include "passes/CPU/ProfileHooks.h"
#include "passes/CPU/RuntimeFunctions.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNCPUPROFILEHOOKS
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

SmallVector<std::string> mlir::kiln::onnxNodeNames(Location loc) {
  llvm::SetVector<StringRef> names;
  loc->walk([&](Location inner) {
    if (auto name = dyn_cast<NameLoc>(inner))
      names.insert(name.getName().getValue());
    return WalkResult::advance();
  });
  SmallVector<std::string> out;
  for (StringRef name : names)
    out.push_back(name.str());
  return out;
}

std::string mlir::kiln::kernelProfileName(func::CallOp call) {
  std::string text = call.getCallee().str();
  for (const std::string &node : onnxNodeNames(call.getLoc()))
    text += "\n" + node;
  return text;
}

namespace {
struct ProfileHooksPass
    : kiln::impl::KilnCPUProfileHooksBase<ProfileHooksPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    SmallVector<func::CallOp> calls;
    for (auto func : module.getOps<func::FuncOp>())
      if (func->hasAttr("kiln.entry"))
        func.walk([&](func::CallOp call) { calls.push_back(call); });
    if (calls.empty())
      return;
    auto dynamicText =
        MemRefType::get({ShapedType::kDynamic}, IntegerType::get(ctx, 8));
    auto hookType = FunctionType::get(ctx, {dynamicText}, {});
    declareRuntimeFunction(module, "kiln_profile_begin", hookType);
    declareRuntimeFunction(module, "kiln_profile_end", hookType);
    SymbolTable symbols(module);
    OpBuilder top = OpBuilder::atBlockBegin(module.getBody());
    int index = 0;
    for (func::CallOp call : calls) {
      auto kernel = symbols.lookup<func::FuncOp>(call.getCallee());
      if (!kernel || kernel.isExternal())
        continue;
      std::string text = kernelProfileName(call);
      auto type = MemRefType::get({(int64_t)text.size()}, IntegerType::get(ctx, 8));
      auto bytes = RankedTensorType::get(type.getShape(), type.getElementType());
      SmallVector<int8_t> data(text.begin(), text.end());
      auto global = memref::GlobalOp::create(
          top, module.getLoc(), "__kiln_profile_name_" + std::to_string(index++),
          top.getStringAttr("private"), type,
          DenseElementsAttr::get(bytes, ArrayRef<int8_t>(data)),
          /*constant=*/true, /*alignment=*/nullptr);
      symbols.insert(global);

      OpBuilder b(call);
      Location loc = call.getLoc();
      Value name = memref::GetGlobalOp::create(b, loc, type, global.getSymName());
      Value dynamic = memref::CastOp::create(b, loc, dynamicText, name);
      func::CallOp::create(b, loc, "kiln_profile_begin", TypeRange{}, dynamic);
      b.setInsertionPointAfter(call);
      func::CallOp::create(b, loc, "kiln_profile_end", TypeRange{}, dynamic);
    }
  }
};
} // namespace
