//===- KilnDialect.h - kiln dialect ------------------------------*- C++ -*-===//
//
// Declares the kiln dialect class (generated from KilnBase.td) and the
// KilnElementwise op trait that fusion uses to recognise elementwise ops.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_KILN_IR_KILNDIALECT_H
#define KILN_DIALECTS_KILN_IR_KILNDIALECT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"

#include "dialects/kiln/IR/KilnOpsDialect.h.inc"

namespace mlir::kiln {
/// Ops that compute each result element from the (broadcast) operand
/// elements at the same position only.
template <typename ConcreteType>
class KilnElementwise : public OpTrait::TraitBase<ConcreteType, KilnElementwise> {};
} // namespace mlir::kiln

#endif // KILN_DIALECTS_KILN_IR_KILNDIALECT_H
