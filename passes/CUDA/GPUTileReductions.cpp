//===- GPUTileReductions.cpp - Reductions shared by a warp or a block -----===//
//
// A bufferized linalg op that reduces — parallel dims P, reduction dims R,
// its body `out = combine(f(inputs), out)` with an associative, commutative
// `combine` (add, mul, max, min, and, or) — and reads an input contiguously
// along R becomes one kernel in which many threads share each output:
//
//   warp per output (many outputs): 8 outputs per 256-thread block; lane l
//     folds f over r = l, l + 32, ... from the combiner's identity, then five
//     shuffle-xor steps leave the warp's total in every lane;
//   block per output (too few outputs to fill the GPU by warps): the 256
//     threads stride R by 256, each warp combines its lanes by shuffles, the
//     warps' totals meet in shared memory and warp 0 combines them;
//   one thread per output then stores combine(total, C) — C holds the fill
//     before the op, or whatever it held.
//
// The naive mapping gave each output one thread walking R alone: a
// LayerNorm over 128 rows of 768 ran on 128 threads, each reading its own
// row. Sums come out in another order than the serial loop's (within float
// rounding of it).
//
// With `host-emulation` the same partials, shuffle steps and cross-warp step
// run as sequential loops per output, in the same order, so `--target
// cuda:host` checks the index math and the combine order on the CPU.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/CUDA/KernelBuilding.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNGPUTILEREDUCTIONS
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::gpu_kernels;

namespace {

constexpr int64_t kThreads = 256;
constexpr int64_t kWarpSize = 32;
constexpr int64_t kWarps = kThreads / kWarpSize;
/// Below this many outputs, warps alone would not fill an H100 (132 SMs x
/// 8 resident 256-thread blocks' worth of warps is far more; this keeps
/// every SM busy with at least one block of warps): one block per output.
constexpr int64_t kOutputsForWarps = 132 * kWarps;
/// Shorter reductions leave most lanes idle; the naive mapping serves them.
constexpr int64_t kMinLength = 32;

struct KilnGPUTileReductions
    : kiln::impl::KilnGPUTileReductionsBase<KilnGPUTileReductions> {
  using Base::Base;
  void runOnOperation() override;
};

/// A reduction this pass handles, split into its parts.
struct Reduction {
  linalg::LinalgOp op;
  SmallVector<unsigned> parallel, reduction;
  SmallVector<int64_t> ranges;
  int64_t outputs = 1, length = 1;
  /// The body's last op, combine(f(inputs), out), and its identity.
  Operation *combiner = nullptr;
  TypedAttr identity;
  /// Block per output (else warp per output).
  bool perBlock = false;
};

/// Builds the kernel of one reduction; see the file comment.
class ReductionKernel {
public:
  explicit ReductionKernel(Reduction r) : r(std::move(r)) {
    c = this->r.op.getDpsInitOperand(0)->get();
    outArg = this->r.op.getBlock()->getArguments().back();
  }
  void emitDevice(OpBuilder &b);
  void emitHostEmulation(OpBuilder &b);

private:
  Location loc() { return r.op.getLoc(); }
  Value index(OpBuilder &b, int64_t v) {
    return arith::ConstantIndexOp::create(b, loc(), v);
  }
  Value identity(OpBuilder &b) {
    return arith::ConstantOp::create(b, loc(), r.identity);
  }
  int64_t threadsPerOutput() const { return r.perBlock ? kThreads : kWarpSize; }
  /// combine(a, b) with the body's own combiner.
  Value combine(OpBuilder &b, Value a, Value v);
  /// The loop ivs of the parallel dims for output `output` (reduction dims
  /// left at 0).
  SmallVector<Value> outputIvs(OpBuilder &b, Value output);
  /// Folds f over r = part, part + threadsPerOutput(), ... < length.
  Value fold(OpBuilder &b, Value output, Value part);
  /// Stores combine(total, C) at output `output`.
  void storeTotal(OpBuilder &b, Value output, Value total);
  /// Five shuffle-xor steps: the warp's total in every lane.
  Value warpTotal(OpBuilder &b, Value v);
  /// Host: the same steps on the partials buf[base .. base + 32).
  void emulateWarpTotal(OpBuilder &b, Value buf, Value scratch, int64_t base);

  Reduction r;
  Value c, outArg;
};

} // namespace

Value ReductionKernel::combine(OpBuilder &b, Value a, Value v) {
  // The combiner's other operand is f(inputs); map it and `out` to ours.
  IRMapping mapping;
  for (Value operand : r.combiner->getOperands())
    mapping.map(operand, operand == outArg ? a : v);
  return b.clone(*r.combiner, mapping)->getResult(0);
}

SmallVector<Value> ReductionKernel::outputIvs(OpBuilder &b, Value output) {
  SmallVector<Value> ivs(r.ranges.size(), index(b, 0));
  if (!r.parallel.empty())
    delinearize(b, loc(), output, r.parallel, r.ranges, ivs);
  return ivs;
}

Value ReductionKernel::fold(OpBuilder &b, Value output, Value part) {
  Block &body = *r.op.getBlock();
  SmallVector<AffineMap> maps = r.op.getIndexingMapsArray();
  auto loop = scf::ForOp::create(
      b, loc(), part, index(b, r.length), index(b, threadsPerOutput()),
      ValueRange{identity(b)},
      [&](OpBuilder &nb, Location l, Value red, ValueRange acc) {
        SmallVector<Value> ivs = outputIvs(nb, output);
        delinearize(nb, l, red, r.reduction, r.ranges, ivs);
        IRMapping mapping;
        for (OpOperand *input : r.op.getDpsInputOperands())
          mapping.map(body.getArgument(input->getOperandNumber()),
                      loadAt(nb, l, input->get(),
                             maps[input->getOperandNumber()], ivs));
        mapping.map(outArg, acc[0]);
        // f(inputs), then the combiner onto the running value.
        for (Operation &inner : body.without_terminator())
          nb.clone(inner, mapping);
        scf::YieldOp::create(nb, l, mapping.lookup(r.combiner->getResult(0)));
      });
  return loop.getResult(0);
}

void ReductionKernel::storeTotal(OpBuilder &b, Value output, Value total) {
  SmallVector<Value> ivs = outputIvs(b, output);
  AffineMap map = r.op.getIndexingMapsArray().back();
  Value old = loadAt(b, loc(), c, map, ivs);
  memref::StoreOp::create(b, loc(), combine(b, old, total), c,
                          indicesAt(b, loc(), map, ivs));
}

Value ReductionKernel::warpTotal(OpBuilder &b, Value v) {
  for (int32_t offset = kWarpSize / 2; offset > 0; offset /= 2) {
    auto shuffle = gpu::ShuffleOp::create(b, loc(), v, offset, kWarpSize,
                                          gpu::ShuffleMode::XOR);
    v = combine(b, v, shuffle.getShuffleResult());
  }
  return v;
}

void ReductionKernel::emitDevice(OpBuilder &b) {
  MLIRContext *ctx = b.getContext();
  Type element = getElementTypeOrSelf(c.getType());
  auto space = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  SmallVector<Type> workgroup;
  if (r.perBlock)
    workgroup.push_back(MemRefType::get({kWarps}, element,
                                        MemRefLayoutAttrInterface(), space));
  int64_t blocks = r.perBlock ? r.outputs : llvm::divideCeil(r.outputs, kWarps);
  Value one = index(b, 1);
  auto launch = gpu::LaunchOp::create(
      b, loc(), index(b, blocks), one, one, index(b, kThreads), one, one,
      /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
      /*asyncDependencies=*/{}, workgroup);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&launch.getBody().front());
  Value tid = launch.getThreadIds().x, block = launch.getBlockIds().x;
  Value warp = arith::DivUIOp::create(b, loc(), tid, index(b, kWarpSize));
  Value lane = arith::RemUIOp::create(b, loc(), tid, index(b, kWarpSize));
  Value laneZero = arith::CmpIOp::create(b, loc(), arith::CmpIPredicate::eq,
                                         lane, index(b, 0));
  if (r.perBlock) {
    Value shared = launch.getWorkgroupAttributions()[0];
    Value total = warpTotal(b, fold(b, block, tid));
    auto leader = scf::IfOp::create(b, loc(), laneZero, /*withElse=*/false);
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(leader.thenBlock());
      memref::StoreOp::create(b, loc(), total, shared, ValueRange{warp});
    }
    gpu::BarrierOp::create(b, loc());
    // Every warp combines the 8 totals (only warp 0's result is stored).
    Value warpTotals = ifElse(
        b, loc(), inRange(b, loc(), lane, kWarps), element,
        [&](OpBuilder &nb) -> Value {
          return memref::LoadOp::create(nb, loc(), shared, ValueRange{lane});
        },
        [&](OpBuilder &nb) { return identity(nb); });
    Value blockTotal = warpTotal(b, warpTotals);
    Value first = arith::CmpIOp::create(b, loc(), arith::CmpIPredicate::eq, tid,
                                        index(b, 0));
    auto store = scf::IfOp::create(b, loc(), first, /*withElse=*/false);
    b.setInsertionPointToStart(store.thenBlock());
    storeTotal(b, block, blockTotal);
  } else {
    // The whole warp shares `output`, so it is inside or outside together.
    Value output = mulAdd(b, loc(), block, kWarps, 0);
    output = arith::AddIOp::create(b, loc(), output, warp);
    auto inside = scf::IfOp::create(b, loc(), inRange(b, loc(), output, r.outputs),
                                    /*withElse=*/false);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(inside.thenBlock());
    Value total = warpTotal(b, fold(b, output, lane));
    auto store = scf::IfOp::create(b, loc(), laneZero, /*withElse=*/false);
    b.setInsertionPointToStart(store.thenBlock());
    storeTotal(b, output, total);
  }
  b.setInsertionPointToEnd(&launch.getBody().front());
  gpu::TerminatorOp::create(b, loc());
}

void ReductionKernel::emulateWarpTotal(OpBuilder &b, Value buf, Value scratch,
                                       int64_t base) {
  // Step by step as the shuffles: every lane combines its value with its
  // xor partner's value from before the step.
  for (int64_t offset = kWarpSize / 2; offset > 0; offset /= 2) {
    scf::ForOp::create(
        b, loc(), index(b, 0), index(b, kWarpSize), index(b, 1), {},
        [&](OpBuilder &nb, Location l, Value lane, ValueRange) {
          Value partner = arith::XOrIOp::create(nb, l, lane, index(nb, offset));
          Value mine = memref::LoadOp::create(
              nb, l, buf, ValueRange{mulAdd(nb, l, lane, 1, base)});
          Value theirs = memref::LoadOp::create(
              nb, l, buf, ValueRange{mulAdd(nb, l, partner, 1, base)});
          memref::StoreOp::create(nb, l, combine(nb, mine, theirs), scratch,
                                  ValueRange{lane});
          scf::YieldOp::create(nb, l);
        });
    scf::ForOp::create(
        b, loc(), index(b, 0), index(b, kWarpSize), index(b, 1), {},
        [&](OpBuilder &nb, Location l, Value lane, ValueRange) {
          Value v = memref::LoadOp::create(nb, l, scratch, ValueRange{lane});
          memref::StoreOp::create(nb, l, v, buf,
                                  ValueRange{mulAdd(nb, l, lane, 1, base)});
          scf::YieldOp::create(nb, l);
        });
  }
}

void ReductionKernel::emitHostEmulation(OpBuilder &b) {
  Type element = getElementTypeOrSelf(c.getType());
  auto outputs = scf::ParallelOp::create(b, loc(), ValueRange{index(b, 0)},
                                         ValueRange{index(b, r.outputs)},
                                         ValueRange{index(b, 1)});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(outputs.getBody());
  Value output = outputs.getInductionVars()[0];
  int64_t threads = threadsPerOutput();
  Value partials = memref::AllocOp::create(
      b, loc(), MemRefType::get({threads}, element));
  Value scratch = memref::AllocOp::create(
      b, loc(), MemRefType::get({kWarpSize}, element));
  scf::ForOp::create(b, loc(), index(b, 0), index(b, threads), index(b, 1), {},
                     [&](OpBuilder &nb, Location l, Value part, ValueRange) {
                       memref::StoreOp::create(nb, l, fold(nb, output, part),
                                               partials, ValueRange{part});
                       scf::YieldOp::create(nb, l);
                     });
  for (int64_t w = 0; w < threads / kWarpSize; ++w)
    emulateWarpTotal(b, partials, scratch, w * kWarpSize);
  Value total;
  if (r.perBlock) {
    // Warp 0 reads lane 0 of each warp's total (identity beyond 8 lanes).
    Value warpTotals = memref::AllocOp::create(
        b, loc(), MemRefType::get({kWarpSize}, element));
    for (int64_t lane = 0; lane < kWarpSize; ++lane) {
      Value v = lane < kWarps
                    ? Value(memref::LoadOp::create(
                          b, loc(), partials, ValueRange{index(b, lane * kWarpSize)}))
                    : identity(b);
      memref::StoreOp::create(b, loc(), v, warpTotals, ValueRange{index(b, lane)});
    }
    emulateWarpTotal(b, warpTotals, scratch, 0);
    total = memref::LoadOp::create(b, loc(), warpTotals, ValueRange{index(b, 0)});
    memref::DeallocOp::create(b, loc(), warpTotals);
  } else {
    total = memref::LoadOp::create(b, loc(), partials, ValueRange{index(b, 0)});
  }
  storeTotal(b, output, total);
  memref::DeallocOp::create(b, loc(), partials);
  memref::DeallocOp::create(b, loc(), scratch);
}

//===----------------------------------------------------------------------===//
// Matching
//===----------------------------------------------------------------------===//

/// `op` as a Reduction this pass handles, or nullopt.
static std::optional<Reduction> matchReduction(linalg::LinalgOp op) {
  if (!isStaticBufferReduction(op))
    return std::nullopt;
  Block &body = *op.getBlock();
  // Shuffles move 32-bit values.
  Value c = op.getDpsInitOperand(0)->get();
  Type element = getElementTypeOrSelf(c.getType());
  if (!element.isF32() && !element.isInteger(32))
    return std::nullopt;
  // out = combine(f(inputs), out), `out` used by the combiner alone.
  Value outArg = body.getArguments().back();
  Operation *combiner = body.getTerminator()->getOperand(0).getDefiningOp();
  if (!combiner || combiner->getBlock() != &body ||
      combiner->getNumOperands() != 2 || combiner->getNumResults() != 1 ||
      !outArg.hasOneUse() || *outArg.getUsers().begin() != combiner ||
      combiner->getOperand(0) == combiner->getOperand(1))
    return std::nullopt;
  std::optional<TypedAttr> identity = arith::getNeutralElement(combiner);
  if (!identity || identity->getType() != element)
    return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (!maps.back().isProjectedPermutation())
    return std::nullopt;

  Reduction r;
  r.op = op;
  r.combiner = combiner;
  r.identity = *identity;
  r.ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned d = 0; d < iterators.size(); ++d) {
    if (r.ranges[d] <= 0)
      return std::nullopt;
    bool reduction = iterators[d] == utils::IteratorType::reduction;
    (reduction ? r.reduction : r.parallel).push_back(d);
    (reduction ? r.length : r.outputs) *= r.ranges[d];
  }
  if (r.length < kMinLength)
    return std::nullopt;
  // Lanes read adjacent elements only when every input that walks the
  // innermost reduction dim has it innermost. Otherwise (a reduction over a
  // middle axis, x @ W with W stored [K][N]) one thread per output, the
  // naive mapping, reads coalesced along the parallel dims instead.
  bool walks = false, contiguous = true;
  for (OpOperand *in : op.getDpsInputOperands()) {
    AffineMap map = maps[in->getOperandNumber()];
    if (!map.isFunctionOfDim(r.reduction.back()))
      continue;
    walks = true;
    contiguous &= map.getResults().back().isFunctionOfDim(r.reduction.back());
  }
  if (!walks || !contiguous)
    return std::nullopt;
  r.perBlock = r.outputs < kOutputsForWarps;
  return r;
}

void KilnGPUTileReductions::runOnOperation() {
  IRRewriter rewriter(&getContext());
  for (linalg::LinalgOp op : linalgOpsOutsideKernels(getOperation())) {
    std::optional<Reduction> reduction = matchReduction(op);
    if (!reduction)
      continue;
    rewriter.setInsertionPoint(op);
    ReductionKernel kernel(*reduction);
    if (hostEmulation)
      kernel.emitHostEmulation(rewriter);
    else
      kernel.emitDevice(rewriter);
    rewriter.eraseOp(op);
  }
}
