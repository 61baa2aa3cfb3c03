//===- KernelScratch.cpp - Kernel temporaries without the heap -------------===//
//
// Kernel functions are private and called only from the entry function (or
// other kernels), so their signatures are ours to extend: a temporary hoisted
// into an argument costs nothing at run time and lets the arena planner
// share its bytes with every buffer it does not overlap in time.
//
//===----------------------------------------------------------------------===//

#include "passes/Memory/KernelScratch.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"

using namespace mlir;
using namespace mlir::kiln;

static bool isPlaceable(MemRefType type) {
  return type.hasStaticShape() && type.getLayout().isIdentity() && !type.getMemorySpace();
}

static void eraseDeallocs(Value buffer) {
  for (Operation *user : llvm::make_early_inc_range(buffer.getUsers()))
    if (isa<memref::DeallocOp>(user))
      user->erase();
}

/// The direct call sites of `func`, or nullopt if it is used any other way.
static std::optional<SmallVector<func::CallOp>> directCalls(func::FuncOp func, ModuleOp module) {
  SmallVector<func::CallOp> calls;
  std::optional<SymbolTable::UseRange> uses = SymbolTable::getSymbolUses(func, module);
  if (!uses)
    return std::nullopt;
  for (const SymbolTable::SymbolUse &use : *uses) {
    auto call = dyn_cast<func::CallOp>(use.getUser());
    if (!call)
      return std::nullopt;
    calls.push_back(call);
  }
  return calls;
}

/// Hoists `func`'s top-level static allocs to scratch arguments; returns
/// whether anything changed.
static bool hoistFrom(func::FuncOp func, ArrayRef<func::CallOp> calls) {
  SmallVector<memref::AllocOp> allocs;
  for (auto alloc : func.getBody().front().getOps<memref::AllocOp>())
    if (isPlaceable(alloc.getType()))
      allocs.push_back(alloc);
  if (allocs.empty())
    return false;
  MLIRContext *ctx = func.getContext();
  NamedAttrList argAttrs;
  argAttrs.set(kScratchArgAttrName, UnitAttr::get(ctx));
  for (memref::AllocOp alloc : allocs) {
    (void)func.insertArgument(func.getNumArguments(), alloc.getType(),
                              argAttrs.getDictionary(ctx), alloc.getLoc());
    eraseDeallocs(alloc.getResult());
    alloc.replaceAllUsesWith(func.getArguments().back());
    for (func::CallOp call : calls) {
      OpBuilder builder(call);
      auto scratch = memref::AllocOp::create(builder, call.getLoc(), alloc.getType());
      call.getOperandsMutable().append(scratch.getResult());
    }
    alloc.erase();
  }
  return true;
}

LogicalResult kiln::hoistKernelScratch(ModuleOp module, func::FuncOp entry) {
  // Each round moves allocations one call level up; a call graph deeper
  // than this is not something kernel outlining produces.
  for (int round = 0; round < 16; ++round) {
    bool changed = false;
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func == entry || !func.isPrivate() || func.isExternal())
        continue;
      std::optional<SmallVector<func::CallOp>> calls = directCalls(func, module);
      if (calls)
        changed |= hoistFrom(func, *calls);
    }
    if (!changed)
      return success();
  }
  return entry.emitError("kiln-plan-memory: kernel call chain too deep to hoist scratch buffers");
}

/// Whether any alias of `buffer` (through ops returning memrefs) is used by
/// the terminator of `block`, i.e. the buffer outlives one pass over it.
static bool escapesBlock(Value buffer, Block *block) {
  SmallVector<Value> worklist{buffer};
  llvm::SmallPtrSet<Value, 8> seen{buffer};
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (Operation *user : value.getUsers()) {
      if (user->hasTrait<OpTrait::IsTerminator>() && user->getBlock() == block)
        return true;
      for (Value result : user->getResults())
        if (isa<BaseMemRefType>(result.getType()) && seen.insert(result).second)
          worklist.push_back(result);
    }
  }
  return false;
}

/// Moves all of `block` but its terminator into a `memref.alloca_scope`,
/// which returns the values the terminator needs.
static void wrapInAllocaScope(Block *block) {
  Operation *terminator = block->getTerminator();
  SmallVector<Value> results;
  for (Value operand : terminator->getOperands())
    if (Operation *def = operand.getDefiningOp())
      if (def->getBlock() == block && !llvm::is_contained(results, operand))
        results.push_back(operand);
  OpBuilder builder = OpBuilder::atBlockBegin(block);
  auto scope = memref::AllocaScopeOp::create(builder, terminator->getLoc(),
                                             ValueRange(results).getTypes());
  if (scope.getBodyRegion().empty())
    scope.getBodyRegion().emplaceBlock();
  Block *inner = &scope.getBodyRegion().front();
  inner->getOperations().splice(inner->end(), block->getOperations(),
                                std::next(Block::iterator(scope)), Block::iterator(terminator));
  builder.setInsertionPointToEnd(inner);
  memref::AllocaScopeReturnOp::create(builder, terminator->getLoc(), results);
  for (auto [inside, outside] : llvm::zip(results, scope.getResults()))
    terminator->replaceUsesOfWith(inside, outside);
}

bool kiln::isOwnedBuffer(Value buffer) {
  if (buffer.getDefiningOp<memref::AllocOp>())
    return true;
  auto call = buffer.getDefiningOp<func::CallOp>();
  if (!call)
    return false;
  auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(call, call.getCalleeAttr());
  if (!callee || callee.isExternal() || !callee.getBody().hasOneBlock())
    return false;
  auto ret = cast<func::ReturnOp>(callee.getBody().front().getTerminator());
  unsigned index = cast<OpResult>(buffer).getResultNumber();
  Value returned = ret.getOperand(index);
  // Returned twice, it would be freed twice.
  if (llvm::count(ret.getOperands(), returned) != 1)
    return false;
  if (auto alloc = returned.getDefiningOp<memref::AllocOp>())
    return alloc->getBlock() == &callee.getBody().front();
  return false;
}

void kiln::deallocAfterLastUse(Value buffer) {
  Block *block = buffer.getParentBlock();
  Operation *last = buffer.getDefiningOp();
  SmallVector<Value> worklist{buffer};
  llvm::SmallPtrSet<Value, 8> seen{buffer};
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (Operation *user : value.getUsers()) {
      if (isa<memref::DeallocOp>(user))
        return;
      Operation *ancestor = block->findAncestorOpInBlock(*user);
      if (ancestor && last->isBeforeInBlock(ancestor))
        last = ancestor;
      for (Value result : user->getResults()) {
        // A buffer a callee allocates and returns is not an alias.
        if (isa<func::CallOp>(user) && isOwnedBuffer(result))
          continue;
        if (isa<BaseMemRefType>(result.getType()) && seen.insert(result).second)
          worklist.push_back(result);
      }
    }
  }
  OpBuilder builder(block, std::next(Block::iterator(last)));
  if (last->hasTrait<OpTrait::IsTerminator>())
    builder.setInsertionPoint(last);
  memref::DeallocOp::create(builder, buffer.getLoc(), buffer);
}

void kiln::placeNestedAllocs(func::FuncOp func, int64_t maxStackBytes) {
  DataLayout layout = DataLayout::closest(func);
  llvm::SetVector<Block *> scopes;
  SmallVector<memref::AllocOp> allocs;
  func.walk([&](memref::AllocOp alloc) { allocs.push_back(alloc); });
  for (memref::AllocOp alloc : allocs) {
    MemRefType type = alloc.getType();
    Block *block = alloc->getBlock();
    if (block->getParentOp() == func.getOperation() || escapesBlock(alloc.getResult(), block))
      continue;
    int64_t bytes = isPlaceable(type)
                        ? type.getNumElements() * layout.getTypeSize(type.getElementType())
                        : INT64_MAX;
    if (bytes > maxStackBytes) {
      deallocAfterLastUse(alloc.getResult());
      continue;
    }
    OpBuilder builder(alloc);
    auto alloca = memref::AllocaOp::create(builder, alloc.getLoc(), type, ValueRange{},
                                           builder.getI64IntegerAttr(64));
    eraseDeallocs(alloc.getResult());
    alloc.replaceAllUsesWith(alloca.getResult());
    alloc.erase();
    scopes.insert(block);
  }
  for (Block *block : scopes)
    if (!isa<memref::AllocaScopeOp>(block->getParentOp()))
      wrapInAllocaScope(block);
}
