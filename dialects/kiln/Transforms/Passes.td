//===- Passes.td - kiln dialect passes ---------------------*- tablegen -*-===//
//
// Graph-level passes that stay within the kiln dialect (plus the func ops
// that carry kernels once outlined).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TRANSFORMS_PASSES_TD
#define KILN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def KilnFormKernels : Pass<"kiln-form-kernels", "func::FuncOp"> {
  let summary = "Group kiln ops into kiln.kernel regions";
  let description = [{
    Every compute op ends up in exactly one `kiln.kernel`. An anchor (conv,
    gemm, matmul, pooling, reduction, softmax, batch norm, data movement)
    starts a kernel. An elementwise op (and a batch norm whose input is a
    convolution's result) joins the kernel of a producer when
      - every other user of the consumed value is already in that kernel
        (so nothing is computed twice or stored needlessly), or is an
        elementwise op that also reads the joining op's result (a diamond
        such as `mul(x, sigmoid(x))`, which closes when that user joins), and
      - each of its other operands is a function argument, a constant, a
        value of that kernel, or defined before the kernel's first op (so
        the kernel, placed at its first op, never uses a value before its
        definition).
    Of several such producers it joins the most recently started kernel.
    An elementwise op with no such producer starts a kernel of its own,
    which later elementwise ops may join.

    Kernel operands are the values used from outside, in order of first
    use; results are the kernel values used after it. Constants stay
    outside and enter as operands (hoisted above the kernel if needed),
    except small inline ones (at most 64 elements, not `dense_resource`),
    which are cloned into the body. `kiln.reshape` stays outside kernels:
    it is a metadata op on a kernel's result.

    Kernels are named `<mnemonics>_<n>`: the mnemonics of the kernel's ops
    in program order with repeats collapsed (at most four), then the
    kernel's index in the function, e.g. `conv_batch_norm_add_relu_3`.

    Precondition: the function body holds kiln ops (imported, not yet
    lowered) in one block; other ops and existing kernels are left alone.
    Callers steer grouping through `formKernels`' control function, which
    may veto each legal (producer, consumer) fusion.
  }];
  let dependentDialects = ["::mlir::kiln::KilnDialect"];
}

def KilnOutlineKernels : Pass<"kiln-outline-kernels", "ModuleOp"> {
  let summary = "Outline each kiln.kernel into a private function and call it";
  let description = [{
    Replaces every `kiln.kernel "name"(...)` with `func.call @name(...)` to a
    new private `func.func @name` whose body is the kernel's region, placed
    after the calling function in program order; a clashing name gets a
    `_<n>` suffix. The body is moved as is (kiln ops or linalg), its
    `kiln.yield` becoming `func.return`. Runs after the kernel bodies were lowered to linalg, so
    that each kernel is tiled and bufferized as one function.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def KilnDedupeKernels : Pass<"kiln-dedupe-kernels", "ModuleOp"> {
  let summary = "Merge identical kernel functions; calls point at the first";
  let description = [{
    Private functions that print the same (generic form, under one name,
    locations elided) are one kernel: every call to a later copy calls the
    first, and the copies are erased. Calls keep their locations, so the
    ONNX nodes each call computes stay known (profiles, --verbose). Run
    after outlining and the kernel-local cleanups, before tiling: repeated
    layers are then tiled and compiled once.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

#endif // KILN_TRANSFORMS_PASSES_TD
