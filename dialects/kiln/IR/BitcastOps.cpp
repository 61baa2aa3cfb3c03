//===- BitcastOps.cpp - kiln.bitcast verifier -----------------------------===//
//
// kiln.bitcast keeps the shape and the element width (i1 standing for the
// one-byte ONNX bool).
//
//===----------------------------------------------------------------------===//

#include "dialects/kiln/IR/KilnOps.h"

using namespace mlir;
using namespace mlir::kiln;

/// Storage width in bits of an element type; i1 is stored as a byte.
static unsigned storageWidth(Type t) {
  return t.isInteger(1) ? 8 : t.getIntOrFloatBitWidth();
}

LogicalResult BitcastOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getResult().getType());
  if (in.getShape() != out.getShape())
    return emitOpError("shape changes from ") << in << " to " << out;
  Type from = in.getElementType(), to = out.getElementType();
  if (!from.isIntOrFloat() || !to.isIntOrFloat() ||
      storageWidth(from) != storageWidth(to))
    return emitOpError("element types ")
           << from << " and " << to << " differ in width";
  return success();
}
