//===- KilnDialect.cpp - kiln dialect registration ------------------------===//
//
// Registers the kiln ops with the dialect.
//
//===----------------------------------------------------------------------===//

#include "dialects/kiln/IR/KilnDialect.h"
#include "dialects/kiln/IR/KilnOps.h"

using namespace mlir;
using namespace mlir::kiln;

#include "dialects/kiln/IR/KilnOpsDialect.cpp.inc"

void KilnDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/kiln/IR/KilnOps.cpp.inc"
      >();
}
