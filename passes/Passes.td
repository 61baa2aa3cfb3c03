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
    "::mlir::scf::SCFDialect",
    "::mlir::cf::ControlFlowDialect",
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
    Option<"registerRows", "register-rows", "int64_t", /*default=*/"8",
           "Rows of a matmul's register tile of 2 vectors per row (8 with 32 "
           "vector registers, 4 with 16)">,
    Option<"targetTiles", "target-tiles", "int64_t", /*default=*/"32",
           "Parallel tiles (tasks) the root op is split into, at least">,
    Option<"microkernels", "microkernels", "bool", /*default=*/"false",
           "Leave the ops that runtime microkernels compute (Microkernels.h) "
           "untiled below the distribution level, for "
           "kiln-cpu-microkernel-calls">,
  ];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect", "::mlir::affine::AffineDialect",
  ];
}

def KilnCPUMicrokernelCalls : Pass<"kiln-cpu-microkernel-calls", "ModuleOp"> {
  let summary = "Replace bufferized matmuls and NCHW convolutions by runtime microkernel calls";
  let description = [{
    Each linalg op on memrefs that passes/CPU/Microkernels.h matches (matmul,
    batch_matmul, conv_2d_nchw_fchw; f32, f16 or bf16 operands, f32
    accumulator) becomes a call to the runtime's packed GEMM for `isa`:
    `kiln_uk_<op>_<type>_<isa>` with fully dynamic strided memrefs (transposed
    operands as memref.transpose views). The accumulator keeps its initial
    value; the call adds the product. An empty `isa` leaves the module as is.
  }];
  let options = [
    Option<"isa", "isa", "std::string", /*default=*/"\"\"",
           "Microkernel ISA level: sse, avx2 or avx512 (empty: none)">,
  ];
  let dependentDialects = [
    "::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect",
    "::mlir::arith::ArithDialect",
  ];
}

def KilnCPUProfileHooks : Pass<"kiln-cpu-profile-hooks", "ModuleOp"> {
  let summary = "Bracket the entry function's kernel calls with profiling hooks";
  let description = [{
    Before and after each call from the entry function (`kiln.entry`) to a
    kernel, calls `kiln_profile_begin` / `kiln_profile_end` with a constant
    memref<?xi8> holding the kernel's name and the ONNX nodes it computes,
    one per line. The runtime records them only under `--profile`.
  }];
  let dependentDialects = [
    "::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect",
  ];
}

def KilnCPUZeroFills : Pass<"kiln-cpu-zero-fills", "ModuleOp"> {
  let summary = "Zero fills of whole buffers outside parallel loops become memsets";
  let description = [{
    A `linalg.fill` of zero, or a `linalg.map` without inputs yielding zero,
    on a statically shaped memref with the identity layout (4096 elements or
    more) and outside any scf.forall/scf.parallel, becomes
    `kiln_zero_fill(aligned pointer, bytes)`: the runtime's memset instead of
    a scalar loop on one thread (a bufferized tensor.pad starts with one).
  }];
  let dependentDialects = [
    "::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect",
    "::mlir::arith::ArithDialect",
  ];
}

def KilnCPUVectorMath : Pass<"kiln-cpu-vector-math", "func::FuncOp"> {
  let summary = "Polynomial approximations for exp/erf/tanh/log on vectors";
  let description = [{
    math.exp, expm1, log, log1p, log2, tanh and erf whose result is a vector
    become upstream's polynomial approximations (f16/bf16 through f32), so
    they vectorize instead of calling libm once per lane. Scalar ops are
    left to libm.
  }];
  let dependentDialects = [
    "::mlir::math::MathDialect", "::mlir::arith::ArithDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def KilnFuseElementwise : Pass<"kiln-fuse-elementwise", "func::FuncOp"> {
  let summary = "Fuse elementwise linalg ops; propagate reshapes only through them";
  let description = [{
    The patterns of upstream `linalg-fuse-elementwise-ops` (elementwise
    producer/consumer fusion, reshape folding by expansion, expand_shape
    bubbling, constant folding), except that reshapes are folded only into
    all-parallel linalg ops: propagated through a contraction they turn a
    named `linalg.matmul` over collapsed batch dims back into an N-D generic
    that the CPU tiler cannot register-block.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::affine::AffineDialect"];
}

def KilnCollapseParallelLoops
    : Pass<"kiln-collapse-parallel-loops", "func::FuncOp"> {
  let summary = "Collapse every multi-dimensional scf.parallel into one dimension";
  let description = [{
    Rewrites each `scf.parallel` with several induction variables into one
    over the product of their trip counts (`scf::collapseParallelLoops`),
    recovering the original indices with div/rem.

    Why: upstream `async-parallel-for` has a bug on multi-dimensional loops.
    When the block size reaches the innermost trip count it rounds the block
    size up to a multiple of it ("aligned loops") but keeps the block count
    computed from the unrounded size; the surplus block's start index wraps
    around and that task recomputes the whole iteration space, concurrently
    with the others. Loops that accumulate into their output then produce
    doubled values under threads. With one dimension the aligned path only
    runs for a single block, which is correct. Run it right before
    `async-parallel-for`.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::arith::ArithDialect"];
}

def KilnResultsToOutParams : Pass<"kiln-results-to-out-params", "ModuleOp"> {
  let summary = "Turn statically shaped function results into out-params";
  let description = [{
    buffer-results-to-out-params (hoisting static allocs, public functions
    included) applied only to functions whose memref results all have a
    static shape. A function returning a dynamically shaped memref keeps all
    its results: the callee allocates them (heap) and the caller owns them;
    for the entry function this is the "returned outputs" form of
    runtime/ABI.md.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
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
    of the inputs if missing (runtime/ABI.md).

    Dynamically shaped buffers cannot have a fixed place: they stay
    `memref.alloc` (malloc at run time, sized from the input dims) and get a
    `memref.dealloc` after their last use, in the entry function and at the
    top level of kernels alike. A dynamically shaped kernel result is owned by
    the caller (it is freed after its last use there). When the entry function
    returns values (it has a dynamically shaped output, see
    kiln-results-to-out-params), each returned value is made a fresh heap
    buffer (copied if it is anything else, e.g. an input or an arena buffer)
    whose ownership passes to the runtime.
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

def KilnGPUTileContractions
    : Pass<"kiln-gpu-tile-contractions", "func::FuncOp"> {
  let summary = "Shared-memory tiled GPU kernels for two-operand contractions";
  let description = [{
    After bufferization, before `kiln-gpu-map-to-loops`. Each linalg op with
    two inputs, one init and reduction loops (matmul, batch_matmul,
    convolutions as implicit GEMMs, einsum contractions) with static shapes
    and at least 8 rows and columns becomes one `gpu.launch`: 64x64 (or
    32x32 when that gives too few blocks) output tiles per block, 16-deep k
    tiles copied to shared memory with coalesced loads (vector loads of up
    to 16 bytes when the operand is unit-stride along the copy and its
    strides, offset and extent allow aligned vectors), 4x4 (2x2) outputs
    per thread accumulated in registers with the op's own body, read from
    shared memory as vectors. A
    float16/bfloat16 multiply-adds use tensor cores (`nvgpu.mma.sync`
    m16n8k16, f32 accumulators, four warps of 32x32 per 64x64 block). A
    `linalg.fill` of the output right before it becomes the accumulators'
    start value, and the elementwise ops right after it that rewrite the
    output in place run on each result before it is stored.

    With `host-emulation`, the same phases are emitted as loops inside an
    `scf.parallel` over blocks (threads run one after another per phase), so
    `--target cuda:host` checks the tiling numerically on the CPU.
  }];
  let options = [
    Option<"hostEmulation", "host-emulation", "bool", /*default=*/"false",
           "Emit sequential loops that emulate the kernel on the host">,
  ];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
    "::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect",
    "::mlir::affine::AffineDialect", "::mlir::nvgpu::NVGPUDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def KilnGPUTileReductions
    : Pass<"kiln-gpu-tile-reductions", "func::FuncOp"> {
  let summary = "Reductions shared by a warp or a block of GPU threads";
  let description = [{
    After `kiln-gpu-tile-contractions`, before `kiln-gpu-map-to-loops`. Each
    bufferized linalg op whose body is `combine(f(inputs), out)` with an
    associative, commutative combiner (add, mul, max, min, and, or; 32-bit
    results), static shapes, at least 32 reduced elements per output and an
    input read contiguously along the innermost reduction dim becomes one
    `gpu.launch`: a warp per output (8 per 256-thread block) when there are
    enough outputs to fill the GPU, else a block per output; lanes fold f
    over a strided share of the reduction from the combiner's identity,
    `gpu.shuffle xor` combines a warp, shared memory the warps of a block,
    and one thread stores combine(total, C).

    With `host-emulation`, the same partials and combine steps run as
    sequential loops per output inside an `scf.parallel`.
  }];
  let options = [
    Option<"hostEmulation", "host-emulation", "bool", /*default=*/"false",
           "Emit sequential loops that emulate the kernel on the host">,
  ];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
    "::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect",
    "::mlir::affine::AffineDialect",
  ];
}

def KilnGPUAlignWorkgroupBuffers
    : Pass<"kiln-gpu-align-workgroup-buffers", "gpu::GPUModuleOp"> {
  let summary = "Align every kernel's shared-memory buffers to 16 bytes";
  let description = [{
    After `gpu-kernel-outlining`. Sets `llvm.align` on each workgroup
    attribution of each `gpu.func` to at least 16, so that the 16-, 8- and
    4-byte vector accesses of the tiled kernels (whose row paddings keep
    them aligned relative to the buffer) assemble to `ld.shared.v4` and
    friends. Without it the buffers are only element-aligned and the
    backend splits every vector access into scalars.
  }];
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
    output element per thread): contractions are tiled before it, by
    `kiln-gpu-tile-contractions`, whose `gpu.launch` kernels count as
    kernel code for the host-access check.
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
