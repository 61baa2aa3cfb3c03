//===- SpatialShapeInference.cpp - kiln spatial op result types -----------===//
//
// inferReturnTypes for the ops of KilnSpatialOps.td. Their pads are already
// explicit (the importer resolves ONNX's auto_pad, output_shape and
// output_padding), so the result extents follow from operands and
// attributes; dynamic dims propagate as dynamic.
//
//===----------------------------------------------------------------------===//

#include "dialects/kiln/IR/KilnOps.h"

#include "mlir/IR/Diagnostics.h"

using namespace mlir;
using namespace mlir::kiln;

static constexpr int64_t kDyn = ShapedType::kDynamic;

LogicalResult ConvTransposeOp::inferReturnTypes(MLIRContext *,
                                                std::optional<Location> loc,
                                                Adaptor adaptor,
                                                SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto w = cast<RankedTensorType>(adaptor.getWeight().getType());
  if (in.getRank() < 3 || w.getRank() != in.getRank())
    return emitOptionalError(loc, "conv_transpose input and weight must have "
                                  "the same rank (>= 3)");
  int64_t spatial = in.getRank() - 2;
  ArrayRef<int64_t> kernel = w.getShape().drop_front(2);
  ArrayRef<int64_t> strides = adaptor.getStrides(), pads = adaptor.getPads();
  ArrayRef<int64_t> dilations = adaptor.getDilations();
  if (llvm::is_contained(kernel, kDyn))
    return emitOptionalError(loc, "conv_transpose weight must have static "
                                  "spatial dims");
  if (int64_t(strides.size()) != spatial ||
      int64_t(dilations.size()) != spatial ||
      int64_t(pads.size()) != 2 * spatial)
    return emitOptionalError(loc, "expected ", spatial,
                             " strides and dilations and ", 2 * spatial,
                             " pads");
  int64_t group = adaptor.getGroup();
  if (group < 1)
    return emitOptionalError(loc, "group must be positive");
  int64_t c = in.getDimSize(1);
  if (c != kDyn && w.getDimSize(0) != kDyn && c != w.getDimSize(0))
    return emitOptionalError(loc, "input has ", c,
                             " channels but weight expects ", w.getDimSize(0));
  if (c != kDyn && c % group)
    return emitOptionalError(loc, "input channels ", c,
                             " not divisible by group ", group);
  int64_t m = w.getDimSize(1) == kDyn ? kDyn : w.getDimSize(1) * group;
  if (adaptor.getBias()) {
    auto b = cast<RankedTensorType>(adaptor.getBias().getType());
    if (b.getRank() != 1 ||
        (b.getDimSize(0) != kDyn && m != kDyn && b.getDimSize(0) != m))
      return emitOptionalError(loc, "bias must be 1-D of size ", m);
  }
  SmallVector<int64_t> out = {in.getDimSize(0), m};
  for (int64_t i = 0; i < spatial; ++i) {
    if (strides[i] < 1 || dilations[i] < 1)
      return emitOptionalError(loc, "strides and dilations must be positive");
    int64_t d = in.getDimSize(i + 2);
    if (d == kDyn) {
      out.push_back(kDyn);
      continue;
    }
    int64_t size = (d - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 -
                   pads[i] - pads[i + spatial];
    if (size < 1)
      return emitOptionalError(loc, "pads leave no output along spatial dim ",
                               i);
    out.push_back(size);
  }
  types.push_back(RankedTensorType::get(out, in.getElementType()));
  return success();
}

LogicalResult GridSampleOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto grid = cast<RankedTensorType>(adaptor.getGrid().getType());
  int64_t spatial = in.getRank() - 2;
  if (spatial < 1 || grid.getRank() != in.getRank() ||
      (grid.getDimSize(spatial + 1) != kDyn &&
       grid.getDimSize(spatial + 1) != spatial))
    return emitOptionalError(loc, "grid_sample of a ", in,
                             " input needs an N x O1 ... O", spatial, " x ",
                             spatial, " grid, got ", grid);
  int64_t n = in.getDimSize(0) == kDyn ? grid.getDimSize(0) : in.getDimSize(0);
  SmallVector<int64_t> out = {n, in.getDimSize(1)};
  llvm::append_range(out, grid.getShape().slice(1, spatial));
  types.push_back(RankedTensorType::get(out, in.getElementType()));
  return success();
}

LogicalResult GridSampleOp::verify() {
  StringRef mode = getMode(), padding = getPaddingMode();
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    return emitOpError("unknown mode '") << mode << "'";
  if (padding != "zeros" && padding != "border" && padding != "reflection")
    return emitOpError("unknown padding_mode '") << padding << "'";
  return success();
}
