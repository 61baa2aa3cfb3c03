//===- ConstantFolding.cpp - fold kiln ops on constants during import -----===//
//
// Real exporters compute Reshape targets, Slice bounds and masks with small
// subgraphs (Shape → Gather → Unsqueeze → Concat → Reshape). The importer
// folds each op whose operands are all small dense constants as soon as it is
// created, through the op's `fold` hook, so later converters read those values
// with `constantInput`. Large constants (weights, dense_resource blobs) never
// take part: only inline DenseElementsAttr operands are offered to folders,
// and the folders themselves refuse big results.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx;

/// Elements above which integer arithmetic on constants is not evaluated.
static constexpr int64_t kMaxEvalElements = 1 << 16;

/// Integer Add/Sub/Mul/Div with numpy broadcasting on dense constants, the
/// arithmetic of shape subgraphs; the elementwise ops have no folders of
/// their own for it.
static Attribute evalIntegerBinary(Operation *op, ArrayRef<Attribute> operands) {
  if (!isa<AddOp, SubOp, MulOp, DivOp>(op) || operands.size() != 2)
    return {};
  auto lhs = dyn_cast_or_null<DenseIntElementsAttr>(operands[0]);
  auto rhs = dyn_cast_or_null<DenseIntElementsAttr>(operands[1]);
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  if (!lhs || !rhs || !type.hasStaticShape() ||
      type.getNumElements() > kMaxEvalElements ||
      !type.getElementType().isSignlessInteger() ||
      type.getElementType().isInteger(1))
    return {};
  unsigned width = type.getElementType().getIntOrFloatBitWidth();
  auto values = [](DenseIntElementsAttr a) {
    SmallVector<APInt> v(a.getValues<APInt>());
    return v;
  };
  SmallVector<APInt> a = values(lhs), b = values(rhs), out;
  ArrayRef<int64_t> shape = type.getShape();
  auto at = [&](ArrayRef<APInt> v, ShapedType t, ArrayRef<int64_t> idx) {
    int64_t flat = 0, lead = shape.size() - t.getRank();
    for (int64_t d = 0; d < t.getRank(); ++d)
      flat = flat * t.getDimSize(d) +
             (t.getDimSize(d) == 1 ? 0 : idx[d + lead]);
    return v[flat];
  };
  SmallVector<int64_t> idx(shape.size(), 0);
  for (int64_t i = 0; i < type.getNumElements(); ++i) {
    APInt x = at(a, lhs.getType(), idx), y = at(b, rhs.getType(), idx);
    if (isa<AddOp>(op))
      out.push_back(x + y);
    else if (isa<SubOp>(op))
      out.push_back(x - y);
    else if (isa<MulOp>(op))
      out.push_back(x * y);
    else if (y.isZero())
      return {};
    else
      out.push_back(x.sdiv(y)); // ONNX integer Div truncates like C.
    for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d])
        break;
      idx[d] = 0;
    }
  }
  (void)width;
  return DenseElementsAttr::get(type, out);
}

Value mlir::kiln::onnx::foldToConstant(OpBuilder &b, Operation *op) {
  if (op->getNumResults() != 1 || isa<ConstantOp>(op))
    return {};
  SmallVector<Attribute> operands;
  for (Value v : op->getOperands()) {
    Attribute attr;
    if (auto constant = v.getDefiningOp<ConstantOp>())
      attr = dyn_cast<DenseElementsAttr>(constant.getValue());
    operands.push_back(attr);
  }
  // An empty result needs no computation (and kernels of size 0 are not
  // worth generating).
  auto resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (resultType && resultType.hasStaticShape() &&
      resultType.getNumElements() == 0 && resultType.getElementType().isIntOrFloat()) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(op);
    Value empty = ConstantOp::create(
                      b, op->getLoc(),
                      DenseElementsAttr::get(resultType, ArrayRef<Attribute>{}))
                      .getResult();
    op->erase();
    return empty;
  }
  SmallVector<OpFoldResult> results;
  Attribute folded;
  if (succeeded(op->fold(operands, results)) && results.size() == 1) {
    if (auto value = dyn_cast<Value>(results[0])) {
      if (value == op->getResult(0))
        return {};
      op->erase();
      return value;
    }
    folded = cast<Attribute>(results[0]);
  } else {
    folded = evalIntegerBinary(op, operands);
  }
  auto dense = dyn_cast_or_null<DenseElementsAttr>(folded);
  if (!dense || dense.getType() != op->getResult(0).getType())
    return {};
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(op);
  Value constant = ConstantOp::create(b, op->getLoc(), dense).getResult();
  op->erase();
  return constant;
}
