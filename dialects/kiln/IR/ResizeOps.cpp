//===- ResizeOps.cpp - kiln.resize verifier -------------------------------===//
//
// kiln.resize carries ONNX's mode strings as attributes; the verifier checks
// them, the per-dim scales and roi against the rank, and the static shapes
// the lowering's precomputed tap tables need.
//
//===----------------------------------------------------------------------===//

#include "dialects/kiln/IR/KilnOps.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::kiln;

static bool isOneOf(StringRef value, ArrayRef<StringRef> allowed) {
  return llvm::is_contained(allowed, value);
}

LogicalResult ResizeOp::verify() {
  RankedTensorType in = getInput().getType();
  auto out = cast<RankedTensorType>(getResult().getType());
  if (in.getElementType() != out.getElementType())
    return emitOpError("element type changes from ")
           << in.getElementType() << " to " << out.getElementType();
  if (in.getRank() != out.getRank())
    return emitOpError("result rank ")
           << out.getRank() << " differs from input rank " << in.getRank();
  if (!in.hasStaticShape() || !out.hasStaticShape())
    return emitOpError("needs static input and result shapes");
  if (!isOneOf(getMode(), {"nearest", "linear", "cubic"}))
    return emitOpError("unknown mode '") << getMode() << "'";
  StringRef coords = getCoordinateTransformationMode();
  if (!isOneOf(coords, {"half_pixel", "half_pixel_symmetric",
                        "pytorch_half_pixel", "align_corners", "asymmetric",
                        "tf_crop_and_resize"}))
    return emitOpError("unknown coordinate_transformation_mode '")
           << coords << "'";
  if (!isOneOf(getNearestMode(),
               {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}))
    return emitOpError("unknown nearest_mode '") << getNearestMode() << "'";
  if (getMode() != "nearest" && !isa<FloatType>(in.getElementType()))
    return emitOpError("mode '")
           << getMode() << "' needs a float element type, got "
           << in.getElementType();
  if (getAntialias() && (getMode() == "nearest" || getScalesInput()))
    return emitOpError("antialias needs mode linear or cubic and static scales");
  if (static_cast<int64_t>(getScales().size()) != in.getRank())
    return emitOpError("expected ")
           << in.getRank() << " scales, got " << getScales().size();
  for (double s : getScales())
    if (!(s > 0))
      return emitOpError("scales must be positive, got ") << s;
  if (std::optional<ArrayRef<double>> roi = getRoi()) {
    if (static_cast<int64_t>(roi->size()) != 2 * in.getRank())
      return emitOpError("expected ")
             << 2 * in.getRank() << " roi values, got " << roi->size();
  } else if (coords == "tf_crop_and_resize" && !getRoiInput()) {
    return emitOpError("tf_crop_and_resize needs a roi");
  }
  for (auto [operand, count, what] :
       {std::tuple(getScalesInput(), in.getRank(), "scales"),
        std::tuple(getRoiInput(), 2 * in.getRank(), "roi")}) {
    if (!operand)
      continue;
    auto type = cast<RankedTensorType>(operand.getType());
    if (!isa<FloatType>(type.getElementType()) || type.getRank() != 1 ||
        type.getDimSize(0) != count)
      return emitOpError("runtime ")
             << what << " must be a " << count << "-element float tensor, got "
             << type;
  }
  return success();
}
