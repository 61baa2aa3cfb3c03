//===- KilnOps.cpp - kiln op verifiers and folders ------------------------===//
//
// What the ODS traits cannot say: attribute ranges, reshape element counts,
// kernel signatures. Type inference lives in ShapeInference.cpp.
//
//===----------------------------------------------------------------------===//

#include "dialects/kiln/IR/KilnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::kiln;

bool mlir::kiln::isElementwise(Operation *op) {
  return op->hasTrait<KilnElementwise>();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

LogicalResult ClipOp::verify() {
  if (getMin().convertToDouble() > getMax().convertToDouble())
    return emitOpError("min ") << getMin().convertToDouble()
                               << " is greater than max "
                               << getMax().convertToDouble();
  return success();
}

LogicalResult SoftmaxOp::verify() {
  int64_t rank = getInput().getType().getRank();
  if (getAxis() < 0 || getAxis() >= rank)
    return emitOpError("axis ") << getAxis() << " out of range for rank "
                                << rank;
  return success();
}

LogicalResult ReshapeOp::verify() {
  RankedTensorType in = getInput().getType();
  auto out = cast<RankedTensorType>(getResult().getType());
  if (in.getElementType() != out.getElementType())
    return emitOpError("element type changes from ")
           << in.getElementType() << " to " << out.getElementType();
  if (in.hasStaticShape() && out.hasStaticShape() &&
      in.getNumElements() != out.getNumElements())
    return emitOpError("cannot reshape ")
           << in.getNumElements() << " elements into " << out.getNumElements();
  if (!getSizes().empty() &&
      int64_t(getSizes().size()) != out.getNumDynamicDims())
    return emitOpError("has ") << getSizes().size() << " sizes for "
                               << out.getNumDynamicDims() << " dynamic dims";
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  auto type = cast<RankedTensorType>(getType());
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput()))
    if (type.hasStaticShape())
      return dense.reshape(type);
  // reshape(reshape(x)) → reshape(x): only the final shape matters.
  if (auto producer = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(producer.getInput());
    return getResult();
  }
  return {};
}

LogicalResult KernelOp::verify() {
  Block &body = getBody().front();
  if (body.getNumArguments() != getInputs().size())
    return emitOpError("body has ")
           << body.getNumArguments() << " arguments for "
           << getInputs().size() << " inputs";
  for (auto [arg, input] : llvm::zip(body.getArguments(), getInputs()))
    if (arg.getType() != input.getType())
      return emitOpError("body argument type ")
             << arg.getType() << " does not match input type "
             << input.getType();
  auto yield = cast<YieldOp>(body.getTerminator());
  if (TypeRange(yield.getValues()) != TypeRange(getResultTypes()))
    return emitOpError("yields ")
           << yield.getValues().getTypes().size()
           << " values whose types do not match the kernel's results";
  return success();
}

#define GET_OP_CLASSES
#include "dialects/kiln/IR/KilnOps.cpp.inc"
