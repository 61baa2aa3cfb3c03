//===- KernelBuilding.h - Index math shared by the GPU kernel builders -*- C++ -*-===//
//
// Small builders that the hand-written GPU kernels (tiled contractions, warp
// reductions) and their host emulations all use: bounds tests, index
// arithmetic, reading an operand through a linalg indexing map, and cloning
// a pure linalg body onto scalar values.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CUDA_KERNELBUILDING_H
#define KILN_PASSES_CUDA_KERNELBUILDING_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::kiln::gpu_kernels {

/// v < bound, for an index value and a constant.
inline Value inRange(OpBuilder &b, Location loc, Value v, int64_t bound) {
  Value limit = arith::ConstantIndexOp::create(b, loc, bound);
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, v, limit);
}

/// a * s + c, for index values and constants.
inline Value mulAdd(OpBuilder &b, Location loc, Value a, int64_t s, int64_t c) {
  Value v = arith::MulIOp::create(b, loc, a,
                                  arith::ConstantIndexOp::create(b, loc, s));
  return arith::AddIOp::create(b, loc, v,
                               arith::ConstantIndexOp::create(b, loc, c));
}

/// Splits a linear index over the loop dims `group` (sizes in `ranges`, the
/// last dim varying fastest) into `loopIvs`.
inline void delinearize(OpBuilder &b, Location loc, Value linear,
                        ArrayRef<unsigned> group, ArrayRef<int64_t> ranges,
                        SmallVectorImpl<Value> &loopIvs) {
  for (unsigned d : llvm::reverse(group)) {
    if (d == group.front()) {
      loopIvs[d] = linear;
      break;
    }
    Value size = arith::ConstantIndexOp::create(b, loc, ranges[d]);
    loopIvs[d] = arith::RemUIOp::create(b, loc, linear, size);
    linear = arith::DivUIOp::create(b, loc, linear, size);
  }
}

/// The indices of `map` at loop ivs `loopIvs`.
inline SmallVector<Value> indicesAt(OpBuilder &b, Location loc, AffineMap map,
                                    ArrayRef<Value> loopIvs) {
  SmallVector<Value> indices;
  for (AffineExpr expr : map.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
      indices.push_back(loopIvs[dim.getPosition()]);
      continue;
    }
    auto single = AffineMap::get(map.getNumDims(), 0, expr);
    indices.push_back(affine::AffineApplyOp::create(b, loc, single, loopIvs));
  }
  return indices;
}

/// Loads `operand` at the element that `map` gives for `loopIvs`; a global
/// constant is re-read where it is used (it may be copied into a kernel).
inline Value loadAt(OpBuilder &b, Location loc, Value operand, AffineMap map,
                    ArrayRef<Value> loopIvs) {
  SmallVector<Value> indices = indicesAt(b, loc, map, loopIvs);
  if (auto global = operand.getDefiningOp<memref::GetGlobalOp>())
    operand = b.clone(*global)->getResult(0);
  return memref::LoadOp::create(b, loc, operand, indices);
}

/// Whether a linalg body can be cloned per element anywhere: no
/// linalg.index, no regions, no memory effects.
inline bool isPureScalarBody(Block &body) {
  return llvm::all_of(body.without_terminator(), [](Operation &inner) {
    return !isa<linalg::IndexOp>(inner) && inner.getNumRegions() == 0 &&
           isMemoryEffectFree(&inner);
  });
}

/// Clones a pure linalg body onto `args` (one per block argument) and
/// returns the value it yields.
inline Value applyBody(OpBuilder &b, Block &body, ValueRange args) {
  IRMapping mapping;
  mapping.map(body.getArguments(), args);
  for (Operation &inner : body.without_terminator())
    b.clone(inner, mapping);
  return mapping.lookupOrDefault(body.getTerminator()->getOperand(0));
}

/// The buffer `v` is a view of (through view-like ops), or `v` itself.
inline Value viewRoot(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

/// `cond ? thenValue() : elseValue()` as an scf.if yielding one `type`
/// value, so that the then side (a load) only runs when `cond` holds.
inline Value ifElse(OpBuilder &b, Location loc, Value cond, Type type,
                    function_ref<Value(OpBuilder &)> thenValue,
                    function_ref<Value(OpBuilder &)> elseValue) {
  auto ifOp = scf::IfOp::create(b, loc, type, cond, /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  scf::YieldOp::create(b, loc, ValueRange{thenValue(b)});
  b.setInsertionPointToStart(ifOp.elseBlock());
  scf::YieldOp::create(b, loc, ValueRange{elseValue(b)});
  return ifOp.getResult(0);
}

/// The linalg ops of `root` not yet inside a kernel (an scf.parallel or a
/// gpu.launch), in program order.
inline SmallVector<linalg::LinalgOp> linalgOpsOutsideKernels(Operation *root) {
  SmallVector<linalg::LinalgOp> ops;
  root->walk([&](linalg::LinalgOp op) {
    if (!op->getParentOfType<scf::ParallelOp>() &&
        !op->getParentOfType<gpu::LaunchOp>())
      ops.push_back(op);
  });
  return ops;
}

/// Whether `op` is a reduction a hand-written kernel can take: bufferized
/// (memref operands only), static shapes, one init, at least one reduction
/// loop, a pure scalar body that yields one value, and no input that is a
/// view of the output (blocks store their outputs while others still read).
inline bool isStaticBufferReduction(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() == 0 || op.hasDynamicShape() ||
      op->getNumRegions() != 1 || !op.getBlock())
    return false;
  if (!llvm::all_of(op->getOpOperands(), [](OpOperand &operand) {
        return isa<MemRefType>(operand.get().getType());
      }))
    return false;
  Block &body = *op.getBlock();
  if (body.getTerminator()->getNumOperands() != 1 || !isPureScalarBody(body))
    return false;
  Value out = viewRoot(op.getDpsInitOperand(0)->get());
  return llvm::none_of(op.getDpsInputOperands(), [&](OpOperand *input) {
    return viewRoot(input->get()) == out;
  });
}

} // namespace mlir::kiln::gpu_kernels

#endif // KILN_PASSES_CUDA_KERNELBUILDING_H
