//===- Passes.td - kiln cross-dialect passes ---------------*- tablegen -*-===//
//
// Conversions out of the kiln dialect and the codegen passes that prepare
// kernels for a target: tiling, vectorization, memory planning, weights.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_TD
#define KILN_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertKilnToLinalg : Pass<"convert-kiln-to-linalg"> {
  let summary = "Lower kiln ops to linalg on tensors";
  let description = [{
    Rewrites every kiln compute op (inside or outside `kiln.kernel` regions)
    into linalg named/generic ops plus tensor, arith and math ops, on tensors.
    `kiln.constant` becomes `arith.constant`; `kiln.kernel`/`kiln.yield` stay.
    Ops it cannot lower are reported with their location and the pass fails.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
  ];
}

def KilnCPUTileAndVectorize : Pass<"kiln-cpu-tile-and-vectorize", "func::FuncOp"> {
  let summary = "Tile kernels for parallelism and cache/registers, then vectorize";
  let description = [{
    For each kernel function (linalg on tensors): tiles the root op's outer
    parallel dims into an `scf.forall` (later lowered to parallel tasks),
    fuses producers into the tiles, tiles again to register-sized blocks and
    vectorizes with `linalg::vectorize`. Ops it cannot vectorize stay as
    tiled loops. Precondition: tensor semantics, before bufferization.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "Elements of f32 per vector register (16 for AVX-512)">,
    Option<"targetTiles", "target-tiles", "int64_t", /*default=*/"32",
           "Parallel tiles (tasks) the root op is split into, at least">,
  ];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect", "::mlir::affine::AffineDialect",
  ];
}

def KilnPlanMemory : Pass<"kiln-plan-memory", "ModuleOp"> {
  let summary = "Place every intermediate buffer of the entry function in one arena";
  let description = [{
    After bufferization and buffer-results-to-out-params. First, kernel
    temporaries leave the heap: each static `memref.alloc` in the entry block
    of a private, directly called function becomes a trailing argument
    (`kiln.scratch`) allocated by its callers; allocs inside loops get a
    `memref.dealloc` after their last use, or, up to `max-stack-bytes`,
    become `memref.alloca` under a `memref.alloca_scope` (only safe if no
    canonicalization runs before LLVM lowering: it inlines alloca_scopes in
    scf loops, and scf-to-cf does not restore the stack per iteration). An output
    computed into a temporary and then copied into its out-param is computed
    in place. Then each static `memref.alloc` in the entry function
    (attribute `kiln.entry`) becomes a `memref.view` into the arena argument
    at an offset chosen from buffer lifetimes (first to last use, following
    aliases through views, reshapes and calls; buffers whose lifetimes do not
    overlap share bytes; greedy by size, best fit, 64-byte aligned), and its
    `memref.dealloc` is removed. The arena size is recorded on the function
    as `kiln.arena_bytes`; the weights and arena arguments are added in front
    of the inputs if missing (runtime/ABI.md). A dynamic-shape alloc in the
    entry function is an error.
  }];
  let options = [
    Option<"maxStackBytes", "max-stack-bytes", "int64_t", /*default=*/"0",
           "Largest per-iteration kernel temporary moved to the stack (0: none)">,
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect"];
}

def KilnExternalizeWeights : Pass<"kiln-externalize-weights", "ModuleOp"> {
  let summary = "Move large constant buffers out of the code into the weights blob";
  let description = [{
    After bufferization: every `memref.global constant` above a size
    threshold that the entry function reads through `memref.get_global` is
    replaced by a `memref.view` into the weights argument; the global is
    erased when nothing else reads it. The layout (name, offset, size, value;
    64-byte aligned, module order) is recorded on the module as
    `kiln.weights`; `writeWeightsBlob` (passes/Memory/ExternalizeWeights.h)
    streams the blob from it. The weights and arena arguments are added in
    front of the inputs if missing (runtime/ABI.md).
  }];
  let options = [
    Option<"minBytes", "min-bytes", "int64_t", /*default=*/"256",
           "Constants smaller than this stay in the code">,
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect"];
}

def KilnGPUMapToLoops : Pass<"kiln-gpu-map-to-loops", "func::FuncOp"> {
  let summary = "Turn bufferized linalg into scf.parallel nests mapped to GPU blocks and threads";
  let description = [{
    After bufferization (memrefs, every buffer on the device). Rewrites
    `memref.copy` between buffers to `linalg.copy`, lowers every linalg op to
    an `scf.parallel` over its parallel dims (reductions stay `scf.for`
    inside), collapses each outermost `scf.parallel` to one dim and tiles it
    by `block-size` (guarded, no min/max bounds), so that
    `gpu-map-parallel-loops` maps the tile loop to blocks and the inner loop
    to threads. Memory accesses left outside any parallel loop (a linalg op
    with no parallel dim, a rank-0 fill) are wrapped in a one-iteration
    `scf.parallel`: host code never touches device memory; a constant
    global read in a loop is read there (`memref.get_global` cloned into the
    loop) so outlining copies it to the device. Naive (one
    output element per thread), correct first; shared-memory tiling and
    tensor cores come later.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block (the tile size of the collapsed loop)">,
  ];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect",
  ];
}

#endif // KILN_PASSES_TD
