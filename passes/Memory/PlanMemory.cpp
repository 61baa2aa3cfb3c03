//===- PlanMemory.cpp - kiln-plan-memory -----------------------------------===//
//
// Gives every intermediate buffer of the entry function a fixed place in one
// arena, so a run does no heap allocation at all. Buffers are live from their
// first use to their last (following aliases through views, reshapes and
// calls); buffers whose lifetimes are disjoint share bytes. Placement is
// greedy by decreasing size, each buffer going into the smallest gap that
// fits among the already placed buffers it overlaps in time (best fit).
//
// Dynamically shaped buffers stay on the heap (malloc/free around their
// lifetime); values the entry function returns go to the runtime.
//
// Before planning, kernel temporaries are hoisted into the entry function
// (KernelScratch.h) so they are planned too, and outputs computed into a
// temporary then copied out are computed in place.
//
//===----------------------------------------------------------------------===//

#include "passes/Memory/EntryAbi.h"
#include "passes/Memory/KernelScratch.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNPLANMEMORY
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

/// `root` and every value that may point into the same memory: memref results
/// of its users (views, reshapes, casts, calls returning memrefs) and the
/// memref results of region ops whose terminators yield it. Over-approximates
/// on purpose: a longer lifetime is only a missed reuse.
static SmallVector<Value> collectAliases(Value root) {
  SmallVector<Value> aliases{root};
  llvm::SmallPtrSet<Value, 8> seen{root};
  auto addMemRefResults = [&](Operation *op) {
    for (Value result : op->getResults())
      if (isa<BaseMemRefType>(result.getType()) && seen.insert(result).second)
        aliases.push_back(result);
  };
  for (size_t i = 0; i < aliases.size(); ++i) {
    for (Operation *user : aliases[i].getUsers()) {
      addMemRefResults(user);
      if (user->hasTrait<OpTrait::IsTerminator>())
        if (Operation *parent = user->getParentOp())
          addMemRefResults(parent);
    }
  }
  return aliases;
}

/// Top-level positions in `block` of the first and last op touching any
/// alias of `root` (uses in nested regions count at their ancestor).
static std::pair<int64_t, int64_t> liveRange(Value root, Block &block,
                                             const DenseMap<Operation *, int64_t> &position) {
  int64_t first = INT64_MAX, last = -1;
  for (Value alias : collectAliases(root)) {
    for (Operation *user : alias.getUsers()) {
      Operation *ancestor = block.findAncestorOpInBlock(*user);
      if (!ancestor)
        continue;
      int64_t at = position.lookup(ancestor);
      first = std::min(first, at);
      last = std::max(last, at);
    }
  }
  return {first, last};
}

/// `memref.copy %tmp, %out` at the end of the entry function, where %tmp is
/// a fresh allocation of the output's type used last by that copy: compute
/// into %out directly.
static void forwardOutputs(func::FuncOp entry) {
  Block &block = entry.getBody().front();
  DenseMap<Operation *, int64_t> position;
  int64_t index = 0;
  for (Operation &op : block)
    position[&op] = index++;
  for (auto copy : llvm::make_early_inc_range(block.getOps<memref::CopyOp>())) {
    auto out = dyn_cast<BlockArgument>(copy.getTarget());
    auto alloc = copy.getSource().getDefiningOp<memref::AllocOp>();
    if (!out || out.getOwner() != &block || !out.hasOneUse() || !alloc ||
        alloc->getBlock() != &block || alloc.getType() != out.getType())
      continue;
    if (liveRange(alloc.getResult(), block, position).second != position.lookup(copy))
      continue;
    for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
      if (isa<memref::DeallocOp>(user))
        user->erase();
    copy.erase();
    alloc.replaceAllUsesWith(Value(out));
    alloc.erase();
  }
}

/// Makes each value the entry function returns a heap buffer of its own,
/// which the runtime frees (runtime/ABI.md, returned outputs): values that
/// are not one already (inputs, views, a buffer returned twice) are copied
/// into a fresh `memref.alloc`. Returns the returned buffers.
static llvm::SmallPtrSet<Value, 4> ownReturnedBuffers(func::FuncOp entry) {
  Block &block = entry.getBody().front();
  auto ret = cast<func::ReturnOp>(block.getTerminator());
  llvm::SmallPtrSet<Value, 4> returned;
  for (OpOperand &operand : ret->getOpOperands()) {
    Value value = operand.get();
    auto type = dyn_cast<MemRefType>(value.getType());
    if (!type)
      continue;
    if (value.getParentBlock() == &block && isOwnedBuffer(value) &&
        returned.insert(value).second)
      continue;
    OpBuilder builder(ret);
    SmallVector<Value> sizes;
    for (int64_t i = 0; i < type.getRank(); ++i)
      if (type.isDynamicDim(i))
        sizes.push_back(memref::DimOp::create(builder, ret.getLoc(), value, i));
    auto fresh = memref::AllocOp::create(
        builder, ret.getLoc(), MemRefType::get(type.getShape(), type.getElementType()), sizes,
        builder.getI64IntegerAttr(kBufferAlignment));
    memref::CopyOp::create(builder, ret.getLoc(), value, fresh);
    Value result = fresh.getResult();
    if (result.getType() != type)
      result = memref::CastOp::create(builder, ret.getLoc(), type, result);
    operand.set(result);
    returned.insert(fresh.getResult());
  }
  return returned;
}

/// Dynamically shaped buffers of `func`'s entry block that nothing returns
/// (allocs, and call results the caller owns) are freed after their last use.
static void freeDynamicBuffers(func::FuncOp func) {
  Block &block = func.getBody().front();
  Operation *terminator = block.getTerminator();
  auto isReturned = [&](Value buffer) {
    SmallVector<Value> worklist{buffer};
    llvm::SmallPtrSet<Value, 8> seen{buffer};
    while (!worklist.empty()) {
      Value value = worklist.pop_back_val();
      for (Operation *user : value.getUsers()) {
        if (user == terminator)
          return true;
        for (Value result : user->getResults())
          if (isa<BaseMemRefType>(result.getType()) &&
              !(isa<func::CallOp>(user) && isOwnedBuffer(result)) && seen.insert(result).second)
            worklist.push_back(result);
      }
    }
    return false;
  };
  SmallVector<Value> buffers;
  for (Operation &op : block) {
    if (!isa<memref::AllocOp, func::CallOp>(op))
      continue;
    for (Value result : op.getResults()) {
      auto type = dyn_cast<MemRefType>(result.getType());
      if (type && !type.hasStaticShape() && isOwnedBuffer(result) && !isReturned(result))
        buffers.push_back(result);
    }
  }
  for (Value buffer : buffers)
    deallocAfterLastUse(buffer);
}

namespace {
/// One buffer to place: its size and lifetime, then its chosen offset.
struct Buffer {
  memref::AllocOp alloc;
  int64_t bytes, first, last, offset = -1;
  bool overlapsInTime(const Buffer &other) const {
    return first <= other.last && other.first <= last;
  }
};

struct PlanMemoryPass : kiln::impl::KilnPlanMemoryBase<PlanMemoryPass> {
  using Base::Base;
  void runOnOperation() override;
};
} // namespace

/// Best fit: the smallest gap between already placed, time-overlapping
/// buffers that holds `buffer`, else the end of the highest of them.
static int64_t chooseOffset(const Buffer &buffer, ArrayRef<Buffer *> placed) {
  SmallVector<std::pair<int64_t, int64_t>> busy;
  for (Buffer *other : placed)
    if (other->overlapsInTime(buffer))
      busy.push_back({other->offset, other->offset + other->bytes});
  llvm::sort(busy);
  int64_t bestOffset = -1, bestGap = INT64_MAX, cursor = 0;
  for (auto [begin, end] : busy) {
    int64_t gap = begin - cursor;
    if (gap >= buffer.bytes && gap < bestGap) {
      bestGap = gap;
      bestOffset = cursor;
    }
    cursor = std::max(cursor, alignToBuffer(end));
  }
  return bestOffset >= 0 ? bestOffset : cursor;
}

void PlanMemoryPass::runOnOperation() {
  ModuleOp module = getOperation();
  func::FuncOp entry = findEntryFunction(module);
  if (!entry)
    return signalPassFailure();
  if (!entry.getBody().hasOneBlock()) {
    entry.emitError("kiln-plan-memory: the entry function must have a single block");
    return signalPassFailure();
  }
  if (failed(hoistKernelScratch(module, entry)))
    return signalPassFailure();
  for (auto func : module.getOps<func::FuncOp>())
    if (!func.isExternal())
      placeNestedAllocs(func, maxStackBytes);
  BlockArgument arena = ensureEntryAbiArgs(entry).second;
  forwardOutputs(entry);
  llvm::SmallPtrSet<Value, 4> returned = ownReturnedBuffers(entry);

  Block &block = entry.getBody().front();
  DenseMap<Operation *, int64_t> position;
  int64_t index = 0;
  for (Operation &op : block)
    position[&op] = index++;

  DataLayout layout(module);
  SmallVector<Buffer> buffers;
  WalkResult walk = entry.walk([&](memref::AllocOp alloc) {
    MemRefType type = alloc.getType();
    // Heap buffers: sized at run time (freed after their last use), or
    // returned to the runtime.
    if (!type.hasStaticShape() || returned.contains(alloc.getResult()))
      return WalkResult::advance();
    if (!type.getLayout().isIdentity() || type.getMemorySpace()) {
      alloc.emitError("kiln-plan-memory: cannot place an allocation of ")
          << type << " in the arena (layout or memory space)";
      return WalkResult::interrupt();
    }
    if (alloc->getBlock() != &block) {
      alloc.emitError("kiln-plan-memory: allocation inside a region of the entry function");
      return WalkResult::interrupt();
    }
    int64_t bytes = type.getNumElements() * layout.getTypeSize(type.getElementType());
    auto [first, last] = liveRange(alloc.getResult(), block, position);
    if (last < 0)
      first = last = position.lookup(alloc);
    buffers.push_back({alloc, bytes, first, last});
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return signalPassFailure();

  // Largest first, then by lifetime, then program order (`buffers` is in
  // walk order), so the plan is deterministic.
  SmallVector<Buffer *> order;
  for (Buffer &buffer : buffers)
    order.push_back(&buffer);
  llvm::sort(order, [](Buffer *a, Buffer *b) {
    return std::make_tuple(-a->bytes, a->first, a->last, a) <
           std::make_tuple(-b->bytes, b->first, b->last, b);
  });
  int64_t arenaBytes = 0;
  SmallVector<Buffer *> placed;
  for (Buffer *buffer : order) {
    buffer->offset = chooseOffset(*buffer, placed);
    placed.push_back(buffer);
    arenaBytes = std::max(arenaBytes, alignToBuffer(buffer->offset + buffer->bytes));
  }

  for (Buffer &buffer : buffers) {
    memref::AllocOp alloc = buffer.alloc;
    for (Value alias : collectAliases(alloc.getResult()))
      for (Operation *user : llvm::make_early_inc_range(alias.getUsers()))
        if (isa<memref::DeallocOp>(user))
          user->erase();
    OpBuilder builder(alloc);
    Value shift = arith::ConstantIndexOp::create(builder, alloc.getLoc(), buffer.offset);
    auto view = memref::ViewOp::create(builder, alloc.getLoc(), alloc.getType(), arena, shift,
                                       ValueRange{});
    alloc.replaceAllUsesWith(view.getResult());
    alloc.erase();
  }
  // After placement, which drops the deallocs of the arena buffers' aliases.
  for (auto func : module.getOps<func::FuncOp>())
    if (!func.isExternal() && func.getBody().hasOneBlock())
      freeDynamicBuffers(func);
  entry->setAttr(kArenaBytesAttrName, Builder(module.getContext()).getI64IntegerAttr(arenaBytes));
}
