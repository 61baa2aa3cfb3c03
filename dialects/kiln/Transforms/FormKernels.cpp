//===- FormKernels.cpp - kiln-form-kernels --------------------------------===//
//
// Groups the kiln ops of a function into kiln.kernel regions, the unit that
// backends lower and schedule as a whole. Grouping is decided on the original
// program (one walk in program order), then each group is materialised as a
// kernel placed where its first op was. A group only takes ops whose outside
// operands exist before that point, so materialising never moves a use
// above its definition. kiln.reshape stays outside kernels: it is a metadata
// op (a collapse/expand of the same buffer) and keeping it out lets a kernel
// end where the producer's layout ends.
//
//===----------------------------------------------------------------------===//

#include "dialects/kiln/Transforms/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringExtras.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNFORMKERNELS
#include "dialects/kiln/Transforms/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

/// Constants with at most this many elements (and inline, non-resource data)
/// are cloned into the kernels that use them instead of becoming operands, so
/// that scalars and bias-like splats fold into the kernel body.
static constexpr int64_t kMaxClonedConstantElements = 64;

bool mlir::kiln::fuseEveryLegalPair(Operation *, Operation *) { return true; }

/// Whether `user` is elementwise and reads a result of `consumer`.
static bool closesDiamond(Operation *user, Operation *consumer) {
  return isElementwise(user) &&
         llvm::any_of(user->getOperands(), [&](Value v) {
           return v.getDefiningOp() == consumer;
         });
}

/// Ops that the pass never puts into a kernel.
static bool isOutsideKernels(Operation *op) {
  return !isa<KilnDialect>(op->getDialect()) ||
         isa<ConstantOp, ReshapeOp, KernelOp, YieldOp>(op);
}

namespace {

/// A kernel under construction: its ops in program order.
struct Group {
  SmallVector<Operation *> ops;
  llvm::SmallPtrSet<Operation *, 8> members;

  Operation *front() const { return ops.front(); }
  bool contains(Operation *op) const { return op && members.contains(op); }
  void add(Operation *op) {
    ops.push_back(op);
    members.insert(op);
  }
};

class KernelFormer {
public:
  KernelFormer(func::FuncOp func, const FuseIntoKernelFn &control)
      : func(func), control(control) {}

  LogicalResult run();

private:
  /// Index of the group that `consumer` may join through its operand
  /// `operandIdx`, or none.
  std::optional<unsigned> joinableGroup(Operation *consumer,
                                        unsigned operandIdx);
  /// Whether `v` can be read by a kernel that starts at `group.front()`.
  bool isAvailableAt(Value v, const Group &group) const;
  std::string kernelName(const Group &group, unsigned index) const;
  void materialize(Group &group, unsigned index, IRRewriter &rewriter);

  func::FuncOp func;
  const FuseIntoKernelFn &control;
  SmallVector<Group> groups;
  DenseMap<Operation *, unsigned> groupOf;
};

} // namespace

bool KernelFormer::isAvailableAt(Value v, const Group &group) const {
  Operation *def = v.getDefiningOp();
  if (!def)
    return true; // Function argument.
  // Constants have no operands; they are hoisted or cloned as needed.
  if (def->hasTrait<OpTrait::ConstantLike>())
    return true;
  return group.contains(def) || def->isBeforeInBlock(group.front());
}

std::optional<unsigned> KernelFormer::joinableGroup(Operation *consumer,
                                                    unsigned operandIdx) {
  Value consumed = consumer->getOperand(operandIdx);
  Operation *producer = consumed.getDefiningOp();
  auto it = producer ? groupOf.find(producer) : groupOf.end();
  if (it == groupOf.end())
    return std::nullopt;
  Group &group = groups[it->second];
  // A batch norm is a per-channel affine map: it folds into the convolution
  // it normalises, but into nothing else.
  if (isa<BatchNormOp>(consumer) &&
      (operandIdx != 0 || !isa<ConvOp>(producer)))
    return std::nullopt;
  // The consumed value must not be needed outside the kernel, or the kernel
  // would have to materialise it anyway. The one exception is a diamond that
  // closes right after `consumer` (`mul(x, sigmoid(x))`): the other user is
  // elementwise and also reads `consumer`, so it will join next.
  for (Operation *user : consumed.getUsers())
    if (user != consumer && !group.contains(user) &&
        !closesDiamond(user, consumer))
      return std::nullopt;
  for (Value operand : consumer->getOperands())
    if (!isAvailableAt(operand, group))
      return std::nullopt;
  if (control && !control(producer, consumer))
    return std::nullopt;
  return it->second;
}

LogicalResult KernelFormer::run() {
  if (func.isExternal())
    return success();
  if (!func.getBody().hasOneBlock())
    return func.emitOpError("kiln-form-kernels expects a single-block body");

  for (Operation &op : func.getBody().front()) {
    if (isOutsideKernels(&op))
      continue;
    std::optional<unsigned> target;
    if (isElementwise(&op) || isa<BatchNormOp>(op)) {
      // Among the legal producer kernels, join the one that started last:
      // it is the closest producer and keeps earlier kernels short-lived.
      for (unsigned i = 0, e = op.getNumOperands(); i < e; ++i) {
        std::optional<unsigned> candidate = joinableGroup(&op, i);
        if (candidate && (!target || *candidate > *target))
          target = candidate;
      }
    }
    if (!target) {
      target = groups.size();
      groups.emplace_back();
    }
    groups[*target].add(&op);
    groupOf[&op] = *target;
  }

  IRRewriter rewriter(func.getContext());
  for (auto [index, group] : llvm::enumerate(groups))
    materialize(group, index, rewriter);
  return success();
}

std::string KernelFormer::kernelName(const Group &group,
                                     unsigned index) const {
  // Mnemonics in program order, runs collapsed, at most four, then the
  // kernel's index in the function: `conv_batch_norm_add_relu_3`.
  SmallVector<StringRef, 4> parts;
  for (Operation *op : group.ops) {
    StringRef mnemonic = op->getName().stripDialect();
    if (!parts.empty() && parts.back() == mnemonic)
      continue;
    if (parts.size() == 4)
      break;
    parts.push_back(mnemonic);
  }
  std::string name = llvm::join(parts, "_");
  return name + "_" + std::to_string(index);
}

static bool isClonableConstant(Operation *op) {
  auto constant = dyn_cast_or_null<ConstantOp>(op);
  if (!constant)
    return false;
  auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
  return dense && dense.getNumElements() <= kMaxClonedConstantElements;
}

void KernelFormer::materialize(Group &group, unsigned index,
                               IRRewriter &rewriter) {
  // Operands: values from outside the group, in order of first use; small
  // constants are cloned instead.
  llvm::SetVector<Value> inputs;
  llvm::SetVector<Operation *> clonedConstants;
  for (Operation *op : group.ops)
    for (Value operand : op->getOperands()) {
      Operation *def = operand.getDefiningOp();
      if (group.contains(def))
        continue;
      if (isClonableConstant(def))
        clonedConstants.insert(def);
      else
        inputs.insert(operand);
    }
  // Results: group values used after the kernel.
  SmallVector<Value> results;
  for (Operation *op : group.ops)
    for (Value result : op->getResults())
      if (llvm::any_of(result.getUsers(), [&](Operation *user) {
            return !group.contains(user);
          }))
        results.push_back(result);

  Operation *front = group.front();
  // A large constant defined between the group's ops is hoisted above the
  // kernel; constants have no operands, so this is always legal.
  for (Value input : inputs)
    if (Operation *def = input.getDefiningOp())
      if (def->hasTrait<OpTrait::ConstantLike>() && front->isBeforeInBlock(def))
        def->moveBefore(front);

  SmallVector<Location> locs;
  for (Operation *op : group.ops)
    locs.push_back(op->getLoc());
  Location loc = rewriter.getFusedLoc(locs);

  rewriter.setInsertionPoint(front);
  auto kernel = KernelOp::create(rewriter, loc, ValueRange(results).getTypes(),
                                 kernelName(group, index), inputs.getArrayRef());
  SmallVector<Location> argLocs(inputs.size(), loc);
  Block *body =
      rewriter.createBlock(&kernel.getBody(), {},
                           ValueRange(inputs.getArrayRef()).getTypes(), argLocs);
  IRMapping mapping;
  mapping.map(inputs.getArrayRef(), body->getArguments());
  for (Operation *constant : clonedConstants)
    rewriter.clone(*constant, mapping);
  for (Operation *op : group.ops)
    rewriter.clone(*op, mapping);
  SmallVector<Value> yielded;
  for (Value result : results)
    yielded.push_back(mapping.lookup(result));
  YieldOp::create(rewriter, loc, yielded);

  for (auto [result, replacement] : llvm::zip(results, kernel.getResults()))
    rewriter.replaceAllUsesWith(result, replacement);
  for (Operation *op : llvm::reverse(group.ops))
    rewriter.eraseOp(op);
  for (Operation *constant : clonedConstants)
    if (constant->use_empty())
      rewriter.eraseOp(constant);
}

LogicalResult mlir::kiln::formKernels(func::FuncOp func,
                                      const FuseIntoKernelFn &control) {
  return KernelFormer(func, control).run();
}

namespace {
struct FormKernelsPass : kiln::impl::KilnFormKernelsBase<FormKernelsPass> {
  using Base::Base;
  void runOnOperation() override {
    if (failed(formKernels(getOperation(), fuseEveryLegalPair)))
      signalPassFailure();
  }
};
} // namespace
