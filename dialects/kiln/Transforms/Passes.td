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
    starts a kernel; elementwise consumers join their producer's kernel while
    the value they consume has no other user (so nothing is computed twice).
    Elementwise ops left over form kernels of their own, merging with
    elementwise producers. Constants stay outside and enter as operands.

    Precondition: the function body holds kiln ops (imported, not yet lowered)
    in one block. Callers steer grouping through `FormKernelsOptions`'s
    control function.
  }];
  let dependentDialects = ["::mlir::kiln::KilnDialect"];
}

def KilnOutlineKernels : Pass<"kiln-outline-kernels", "ModuleOp"> {
  let summary = "Outline each kiln.kernel into a private function and call it";
  let description = [{
    Replaces every `kiln.kernel "name"(...)` with `func.call @name(...)` to a
    new private `func.func @name` whose body is the kernel's region (names
    are made unique). Runs after the kernel bodies were lowered to linalg, so
    that each kernel is tiled and bufferized as one function.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

#endif // KILN_TRANSFORMS_PASSES_TD
