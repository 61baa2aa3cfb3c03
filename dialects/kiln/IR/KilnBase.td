//===- KilnBase.td - kiln dialect definition ---------------*- tablegen -*-===//
//
// The kiln dialect: one op per ONNX op family, on ranked tensors, with ONNX's
// attributes normalised (explicit pads, non-negative axes) so later passes
// never re-derive importer conventions.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_BASE_TD
#define KILN_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Kiln_Dialect : Dialect {
  let name = "kiln";
  let summary = "Tensor-level model graph of the kiln compiler";
  let description = [{
    kiln's graph dialect. Ops mirror ONNX op families on ranked tensors, but
    with attributes in one canonical form: explicit begin/end pads instead of
    `auto_pad`, sorted non-negative axes, inference-mode batch normalisation.
    `kiln.kernel` groups ops into the unit that a backend lowers and
    schedules as a whole.
  }];
  let cppNamespace = "::mlir::kiln";
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

/// Marks ops computed independently per output element (with numpy
/// broadcasting of their operands); fusion absorbs them into producers.
def Kiln_ElementwiseTrait : NativeOpTrait<"KilnElementwise"> {
  let cppNamespace = "::mlir::kiln";
}

/// Every kiln op has no side effects; this base appends dialect-wide traits.
class Kiln_Op<string mnemonic, list<Trait> traits = []>
    : Op<Kiln_Dialect, mnemonic, !listconcat(traits, [Pure])>;

#endif // KILN_BASE_TD
