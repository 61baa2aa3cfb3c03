//===- ProfileHooks.h - kernel names for profiles and listings ---*- C++ -*-===//
//
// What `OUT --profile` and `kiln compile --verbose` call a kernel: its
// function name and the ONNX nodes fused into it.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_CPU_PROFILEHOOKS_H
#define KILN_PASSES_CPU_PROFILEHOOKS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>

namespace mlir::kiln {

/// The ONNX node names (NameLocs) in `loc`, in first-seen order, once each.
SmallVector<std::string> onnxNodeNames(Location loc);

/// The called kernel's function name, then one line per ONNX node the call
/// computes.
std::string kernelProfileName(func::CallOp call);

} // namespace mlir::kiln

#endif // KILN_PASSES_CPU_PROFILEHOOKS_H
