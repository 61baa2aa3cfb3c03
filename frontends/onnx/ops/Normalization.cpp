//===- Normalization.cpp - ONNX BatchNormalization, Softmax → kiln --------===//
//
// Inference-mode BatchNormalization (one output) and Softmax. Before opset
// 13, Softmax normalised over all dims from `axis` on (the input coerced to
// 2-D); kiln.softmax has the opset-13 single-axis meaning, so the old form is
// reshape → softmax(axis 1) → reshape.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx;

static constexpr int64_t kDyn = ShapedType::kDynamic;

/// BatchNormalization(x, scale, bias, mean, var) → kiln.batch_norm {epsilon}.
static LogicalResult convertBatchNorm(NodeImporter &n) {
  if (failed(n.checkAttributes(
          {"epsilon", "momentum", "spatial", "is_test", "training_mode"})) ||
      failed(n.expectOutputs(1, "training-mode statistics")))
    return failure();
  auto epsilon = n.floatAttr("epsilon", 1e-5f);
  auto spatial = n.intAttr("spatial", 1);
  auto training = n.intAttr("training_mode", 0);
  if (failed(epsilon) || failed(spatial) || failed(training))
    return failure();
  if (*spatial != 1)
    return n.error() << "unsupported spatial=" << *spatial;
  if (*training != 0)
    return n.error() << "unsupported training_mode=1 (kiln imports inference "
                        "graphs)";
  SmallVector<Value> operands;
  for (unsigned i = 0; i < 5; ++i) {
    auto v = n.floatInput(i);
    if (failed(v))
      return failure();
    operands.push_back(*v);
  }
  auto result = n.create<BatchNormOp>(
      operands, {n.namedAttr("epsilon", n.b.getF32FloatAttr(*epsilon))});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

static int64_t product(ArrayRef<int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims) {
    if (d == kDyn)
      return kDyn;
    p *= d;
  }
  return p;
}

/// Softmax(x) → kiln.softmax x {axis}; before opset 13 (when `axis` is not the
/// last dim) reshape → kiln.softmax {axis = 1} → reshape.
static LogicalResult convertSoftmax(NodeImporter &n) {
  if (failed(n.checkAttributes({"axis"})))
    return failure();
  auto x = n.floatInput(0);
  bool coerce2d = n.opset() < 13;
  auto axisAttr = n.intAttr("axis", coerce2d ? 1 : -1);
  if (failed(x) || failed(axisAttr))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  if (rank == 0)
    return n.error() << "input must have rank >= 1";
  auto axis = normalizeAxis(n, *axisAttr, rank, "axis");
  if (failed(axis))
    return failure();
  auto axisNamed = [&](int64_t a) {
    return n.namedAttr("axis", n.b.getI64IntegerAttr(a));
  };
  // Coercion changes nothing when only the last dim is normalised.
  if (!coerce2d || *axis == rank - 1) {
    auto result = n.createTyped<SoftmaxOp>(type, {*x}, {axisNamed(*axis)});
    if (failed(result))
      return failure();
    n.setResult(*result);
    return success();
  }
  ArrayRef<int64_t> shape = type.getShape();
  auto flatType = RankedTensorType::get(
      {product(shape.take_front(*axis)), product(shape.drop_front(*axis))},
      type.getElementType());
  auto flat = n.createTyped<ReshapeOp>(flatType, {*x});
  if (failed(flat))
    return failure();
  auto soft = n.createTyped<SoftmaxOp>(flatType, {*flat}, {axisNamed(1)});
  if (failed(soft))
    return failure();
  auto result = n.createTyped<ReshapeOp>(type, {*soft});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

void mlir::kiln::onnx::registerNormalizationOps(ConverterMap &map) {
  map["BatchNormalization"] = convertBatchNorm;
  map["Softmax"] = convertSoftmax;
}
