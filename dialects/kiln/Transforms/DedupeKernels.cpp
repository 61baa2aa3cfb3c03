//===- DedupeKernels.cpp - kiln-dedupe-kernels ----------------------------===//
//
// Models repeat their blocks (BERT's 12 layers, ResNet's bottlenecks): the
// outlined kernels of each repetition are the same function with different
// weights passed in. This keeps the first of each set of identical kernel
// functions and points every call at it, so each is tiled, lowered and
// compiled once (BERT-base: 12x fewer kernels to compile). Two functions are
// identical when they print the same under one name, locations elided; the
// calls keep their own locations (the ONNX nodes each computes).
//
//===----------------------------------------------------------------------===//

#include "dialects/kiln/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNDEDUPEKERNELS
#include "dialects/kiln/Transforms/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;

/// The function's text under a fixed name, without locations.
static std::string canonicalText(func::FuncOp func) {
  OpBuilder b(func->getContext());
  auto copy = cast<func::FuncOp>(b.clone(*func));
  copy.setSymName("kernel");
  std::string text;
  llvm::raw_string_ostream os(text);
  copy->print(os, OpPrintingFlags().printGenericOpForm().useLocalScope());
  copy->erase();
  return text;
}

namespace {
struct DedupeKernelsPass
    : kiln::impl::KilnDedupeKernelsBase<DedupeKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::StringMap<func::FuncOp> first;
    llvm::DenseMap<StringAttr, StringAttr> replacement;
    SmallVector<func::FuncOp> duplicates;
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal() || func.isPublic() || func->hasAttr("kiln.entry"))
        continue;
      auto [it, fresh] = first.try_emplace(canonicalText(func), func);
      if (fresh)
        continue;
      replacement[func.getSymNameAttr()] = it->second.getSymNameAttr();
      duplicates.push_back(func);
    }
    if (duplicates.empty())
      return;
    module.walk([&](func::CallOp call) {
      auto it = replacement.find(call.getCalleeAttr().getAttr());
      if (it != replacement.end())
        call.setCalleeAttr(FlatSymbolRefAttr::get(it->second));
    });
    for (func::FuncOp func : duplicates)
      func->erase();
  }
};
} // namespace
