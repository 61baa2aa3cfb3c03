//===- Unroll.cpp - tensor building blocks for unrolled loops -------------===//
//
// Slices, stacks and constants shared by the recurrent and control-flow
// converters (see Unroll.h). Stacking is a unit-dim reshape of each part and
// one kiln.concat, which the kernel former turns into in-place writes.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/ops/Unroll.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx;

static constexpr int64_t kDyn = ShapedType::kDynamic;

Value mlir::kiln::onnx::splatConstant(NodeImporter &n, RankedTensorType type,
                                      double value) {
  Type elem = type.getElementType();
  Attribute scalar;
  if (auto floatType = dyn_cast<FloatType>(elem))
    scalar = FloatAttr::get(floatType, value);
  else
    scalar = IntegerAttr::get(elem, APInt(elem.getIntOrFloatBitWidth(),
                                          int64_t(value), /*isSigned=*/true));
  return ConstantOp::create(n.b, n.loc, DenseElementsAttr::get(type, scalar))
      .getResult();
}

Value mlir::kiln::onnx::scalarConstant(NodeImporter &n, Type elem,
                                       double value) {
  return splatConstant(n, RankedTensorType::get({}, elem), value);
}

FailureOr<Value> mlir::kiln::onnx::sliceAxis(NodeImporter &n, Value x,
                                             int64_t axis, int64_t offset,
                                             int64_t size) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> offsets(type.getRank(), 0), sizes(type.getShape()),
      strides(type.getRank(), 1);
  offsets[axis] = offset;
  sizes[axis] = size;
  return n.create<SliceOp>(
      {x}, {n.namedAttr("offsets", n.b.getDenseI64ArrayAttr(offsets)),
            n.namedAttr("sizes", n.b.getDenseI64ArrayAttr(sizes)),
            n.namedAttr("strides", n.b.getDenseI64ArrayAttr(strides))});
}

FailureOr<Value> mlir::kiln::onnx::takeAt(NodeImporter &n, Value x,
                                          int64_t axis, int64_t index) {
  auto slice = sliceAxis(n, x, axis, index, 1);
  if (failed(slice))
    return failure();
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape.erase(shape.begin() + axis);
  return n.createTyped<ReshapeOp>(
      RankedTensorType::get(shape, type.getElementType()), {*slice});
}

FailureOr<Value> mlir::kiln::onnx::insertUnitDim(NodeImporter &n, Value x,
                                                 int64_t axis) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape.insert(shape.begin() + axis, 1);
  return n.createTyped<ReshapeOp>(
      RankedTensorType::get(shape, type.getElementType()), {x});
}

FailureOr<Value> mlir::kiln::onnx::stack(NodeImporter &n, ArrayRef<Value> xs,
                                         int64_t axis) {
  SmallVector<Value> parts;
  for (Value x : xs) {
    if (x.getType() != xs.front().getType())
      return n.error() << "cannot stack values of types " << xs.front().getType()
                       << " and " << x.getType();
    auto part = insertUnitDim(n, x, axis);
    if (failed(part))
      return failure();
    parts.push_back(*part);
  }
  if (parts.size() == 1)
    return parts.front();
  return n.create<ConcatOp>(parts,
                            {n.namedAttr("axis", n.b.getI64IntegerAttr(axis))});
}

FailureOr<Value> mlir::kiln::onnx::swapDims(NodeImporter &n, Value x, int64_t a,
                                            int64_t b) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()));
  std::swap(perm[a], perm[b]);
  return n.create<TransposeOp>(
      {x}, {n.namedAttr("perm", n.b.getDenseI64ArrayAttr(perm))});
}

FailureOr<int64_t> mlir::kiln::onnx::staticDim(NodeImporter &n, Value x,
                                               int64_t axis, StringRef what) {
  int64_t dim = cast<RankedTensorType>(x.getType()).getDimSize(axis);
  if (dim == kDyn)
    return n.error() << what << " (dim " << axis << " of "
                     << x.getType()
                     << ") must be static (bind it with --input-shape)";
  return dim;
}
