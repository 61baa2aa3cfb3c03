//===- KilnOps.h - kiln ops --------------------------------------*- C++ -*-===//
//
// The kiln ops (generated from KilnOps.td) and the shape helpers that both
// type inference and lowerings use, so the two never disagree.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_KILN_IR_KILNOPS_H
#define KILN_DIALECTS_KILN_IR_KILNOPS_H

#include "dialects/kiln/IR/KilnDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/kiln/IR/KilnEnums.h.inc"

#define GET_OP_CLASSES
#include "dialects/kiln/IR/KilnOps.h.inc"

namespace mlir::kiln {

/// Numpy broadcast of two shapes (dynamic dims allowed); failure if they
/// cannot broadcast.
FailureOr<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> a,
                                                ArrayRef<int64_t> b);

/// Output extent of a sliding window (convolution or pooling) along one dim;
/// dynamic in → dynamic out.
int64_t slidingWindowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                                int64_t padBegin, int64_t padEnd,
                                int64_t dilation, bool ceilMode);

/// True for ops carrying the KilnElementwise trait.
bool isElementwise(Operation *op);

} // namespace mlir::kiln

#endif // KILN_DIALECTS_KILN_IR_KILNOPS_H
