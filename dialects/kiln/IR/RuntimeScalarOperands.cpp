//===- RuntimeScalarOperands.cpp - trilu/cumsum verifiers -----------------===//
//
// kiln.trilu's diagonal and kiln.cumsum's axis are an attribute when ONNX
// gives them as constants, or an operand read at run time: the verifiers
// check that exactly one is given and that the operand is one integer.
//
//===----------------------------------------------------------------------===//

#include "dialects/kiln/IR/KilnOps.h"

using namespace mlir;
using namespace mlir::kiln;

/// Exactly one of the attribute `name` and the operand `dynamic`; the
/// operand holds one signless integer (rank 0, or rank 1 of size 1).
static LogicalResult verifyScalarOrOperand(Operation *op, bool hasAttr,
                                           Value dynamic, StringRef name) {
  if (hasAttr == bool(dynamic))
    return op->emitOpError("needs exactly one of the attribute '")
           << name << "' and the operand 'dynamic_" << name << "'";
  if (!dynamic)
    return success();
  auto type = cast<RankedTensorType>(dynamic.getType());
  Type elem = type.getElementType();
  bool oneElement =
      type.getRank() == 0 || (type.getRank() == 1 && type.getDimSize(0) == 1);
  if (!oneElement || !elem.isSignlessInteger() || elem.isInteger(1))
    return op->emitOpError("operand 'dynamic_")
           << name << "' must hold one signless integer, got " << type;
  return success();
}

LogicalResult TriluOp::verify() {
  if (getInput().getType().getRank() < 2)
    return emitOpError("input must have rank >= 2");
  return verifyScalarOrOperand(*this, getK().has_value(), getDynamicK(), "k");
}

LogicalResult CumSumOp::verify() {
  int64_t rank = getInput().getType().getRank();
  if (std::optional<int64_t> axis = getAxis())
    if (*axis < 0 || *axis >= rank)
      return emitOpError("axis ") << *axis << " out of range for rank " << rank;
  return verifyScalarOrOperand(*this, getAxis().has_value(), getDynamicAxis(),
                               "axis");
}
