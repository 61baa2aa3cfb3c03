//===- ElementwiseShapeInference.cpp - elementwise families: types --------===//
//
// Result type inference (numpy broadcasting of two or three operands) and the
// element-type rules of the enum-parameterised elementwise ops: which kinds
// take floats, integers or i1. The enum definitions are generated here too.
//
//===----------------------------------------------------------------------===//

#include "dialects/kiln/IR/KilnOps.h"

#include "llvm/ADT/StringSwitch.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"

using namespace mlir;
using namespace mlir::kiln;

#include "dialects/kiln/IR/KilnEnums.cpp.inc"

/// Broadcast shape of `types`, or an error naming them.
static FailureOr<SmallVector<int64_t>> broadcastAll(std::optional<Location> loc,
                                                    ArrayRef<Type> types) {
  SmallVector<int64_t> shape;
  for (Type t : types) {
    auto ranked = cast<RankedTensorType>(t);
    auto next = broadcastShapes(shape, ranked.getShape());
    if (failed(next)) {
      (void)emitOptionalError(loc, "operands of types ", types,
                              " do not broadcast");
      return failure();
    }
    shape = *next;
  }
  return shape;
}

LogicalResult BinaryOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  Type lhs = adaptor.getLhs().getType(), rhs = adaptor.getRhs().getType();
  auto shape = broadcastAll(loc, {lhs, rhs});
  if (failed(shape))
    return failure();
  types.push_back(RankedTensorType::get(
      *shape, cast<RankedTensorType>(lhs).getElementType()));
  return success();
}

LogicalResult CompareOp::inferReturnTypes(MLIRContext *ctx,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  auto shape = broadcastAll(
      loc, {adaptor.getLhs().getType(), adaptor.getRhs().getType()});
  if (failed(shape))
    return failure();
  types.push_back(RankedTensorType::get(*shape, IntegerType::get(ctx, 1)));
  return success();
}

LogicalResult ClassifyOp::inferReturnTypes(MLIRContext *ctx,
                                           std::optional<Location>,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  types.push_back(input.clone(IntegerType::get(ctx, 1)));
  return success();
}

LogicalResult WhereOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  Type lhs = adaptor.getLhs().getType();
  auto shape = broadcastAll(
      loc, {adaptor.getCondition().getType(), lhs, adaptor.getRhs().getType()});
  if (failed(shape))
    return failure();
  types.push_back(RankedTensorType::get(
      *shape, cast<RankedTensorType>(lhs).getElementType()));
  return success();
}

/// Integers of any signedness (unsigned ones are ONNX's uint types), i1 too.
static bool isSignlessIntOrBool(Type t) { return isa<IntegerType>(t); }
static bool isNumeric(Type t) {
  return isa<FloatType>(t) || (isa<IntegerType>(t) && !t.isInteger(1));
}

LogicalResult UnaryOp::verify() {
  Type elem = getInput().getType().getElementType();
  switch (getKind()) {
  case UnaryKind::Neg:
  case UnaryKind::Abs:
  case UnaryKind::Sign:
    if (!isNumeric(elem))
      return emitOpError("'") << stringifyUnaryKind(getKind())
                              << "' needs a float or integer element type, "
                                 "got "
                              << elem;
    return success();
  case UnaryKind::Not:
    if (!isSignlessIntOrBool(elem))
      return emitOpError("'not' needs an integer or i1 element type, got ")
             << elem;
    return success();
  default:
    if (!isa<FloatType>(elem))
      return emitOpError("'") << stringifyUnaryKind(getKind())
                              << "' needs a float element type, got " << elem;
    return success();
  }
}

LogicalResult BinaryOp::verify() {
  Type elem = getLhs().getType().getElementType();
  switch (getKind()) {
  case BinaryKind::And:
  case BinaryKind::Or:
  case BinaryKind::Xor:
    if (!isSignlessIntOrBool(elem))
      return emitOpError("'")
             << stringifyBinaryKind(getKind())
             << "' needs an integer or i1 element type, got " << elem;
    return success();
  case BinaryKind::ShiftLeft:
  case BinaryKind::ShiftRight:
    if (!isa<IntegerType>(elem) || elem.isInteger(1))
      return emitOpError("'")
             << stringifyBinaryKind(getKind())
             << "' needs an integer element type, got " << elem;
    return success();
  default:
    if (!isNumeric(elem))
      return emitOpError("'") << stringifyBinaryKind(getKind())
                              << "' needs a float or integer element type, "
                                 "got "
                              << elem;
    return success();
  }
}

LogicalResult CastOp::verify() {
  auto in = getInput().getType();
  auto out = cast<RankedTensorType>(getResult().getType());
  if (failed(verifyCompatibleShape(in.getShape(), out.getShape())))
    return emitOpError("shape changes from ") << in << " to " << out;
  for (Type t : {in.getElementType(), out.getElementType()})
    if (!isa<FloatType, IntegerType>(t))
      return emitOpError("cannot convert ")
             << t << " (floats and integers only)";
  Type to = out.getElementType();
  if (auto mode = getRoundMode()) {
    if (!isa<Float8E8M0FNUType>(to))
      return emitOpError("round_mode applies to f8E8M0FNU results only");
    if (*mode != "up" && *mode != "down" && *mode != "nearest")
      return emitOpError("round_mode must be up, down or nearest, got '")
             << *mode << "'";
  }
  if (auto narrow = getNarrow()) {
    bool ok = llvm::StringSwitch<bool>(*narrow)
                  .Cases({"int4", "int2"}, to.isSignlessInteger(8))
                  .Cases({"uint4", "uint2"}, to.isUnsignedInteger(8))
                  .Case("float4e2m1", isa<Float8E4M3FNType>(to))
                  .Default(false);
    if (!ok)
      return emitOpError("cannot hold narrow type '")
             << *narrow << "' in " << to;
  }
  return success();
}
