//===- EntryAbi.cpp - The entry function's runtime-facing signature --------===//
//
// Adds the weights and arena byte buffers in front of the entry function's
// inputs, tagging each with an argument attribute so a second call finds them
// instead of adding them again.
//
//===----------------------------------------------------------------------===//

#include "passes/Memory/EntryAbi.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"

using namespace mlir;

func::FuncOp kiln::findEntryFunction(ModuleOp module) {
  func::FuncOp entry;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func->hasAttr(kEntryAttrName))
      continue;
    if (entry) {
      func.emitError("more than one function carries 'kiln.entry' (first: @")
          << entry.getSymName() << ")";
      return nullptr;
    }
    entry = func;
  }
  if (!entry)
    module.emitError("no function carries 'kiln.entry'");
  return entry;
}

static BlockArgument findTaggedArg(func::FuncOp func, StringRef tag) {
  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
    if (func.getArgAttr(i, tag))
      return func.getArgument(i);
  return nullptr;
}

std::pair<BlockArgument, BlockArgument> kiln::ensureEntryAbiArgs(func::FuncOp entry) {
  MLIRContext *ctx = entry.getContext();
  Builder b(ctx);
  auto bytesType = MemRefType::get({ShapedType::kDynamic}, b.getI8Type());
  // Weights first, then arena: insert the arena first only if weights exist.
  auto insertTagged = [&](unsigned index, StringRef tag) {
    NamedAttrList attrs;
    attrs.set(tag, b.getUnitAttr());
    (void)entry.insertArgument(index, bytesType, attrs.getDictionary(ctx), entry.getLoc());
  };
  if (!findTaggedArg(entry, kWeightsArgAttrName))
    insertTagged(0, kWeightsArgAttrName);
  if (!findTaggedArg(entry, kArenaArgAttrName))
    insertTagged(1, kArenaArgAttrName);
  entry->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(), b.getUnitAttr());
  return {findTaggedArg(entry, kWeightsArgAttrName), findTaggedArg(entry, kArenaArgAttrName)};
}
