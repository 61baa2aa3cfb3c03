//===- RuntimeAxes.h - axes and scalars read at run time ----------*- C++ -*-===//
//
// Helpers for kiln ops whose axis or diagonal is an operand read at run time
// (kiln.reduce_dynamic_axes, kiln.cumsum, kiln.trilu). Defined in
// RuntimeAxes.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_KILNTOLINALG_RUNTIMEAXES_H
#define KILN_PASSES_KILNTOLINALG_RUNTIMEAXES_H

#include "passes/KilnToLinalg/KilnToLinalg.h"

namespace mlir::kiln {

/// Element `i` of the integer tensor `values` (rank 0, or rank 1) as a
/// sign-extended index.
Value readScalarIndex(OpBuilder &b, Location loc, Value values, int64_t i = 0);

} // namespace mlir::kiln

#endif // KILN_PASSES_KILNTOLINALG_RUNTIMEAXES_H
