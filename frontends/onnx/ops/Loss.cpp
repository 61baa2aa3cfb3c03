//===- Loss.cpp - ONNX NLL and softmax cross-entropy losses, Dropout -----===//
//
// Losses and inference-mode Dropout decompose into existing kiln ops. NLL
// gathers -x[n, target[n, d...], d...] with kiln.gather_elements along axis 1;
// ignored targets are clamped to class 0 for the gather and masked to 0 with
// kiln.where, and class weights come from kiln.gather over the weight vector.
// `mean` with weights or ignore_index divides by the sum of the per-element
// weights, as the ONNX reference. SoftmaxCrossEntropyLoss is kiln.log_softmax
// over axis 1 followed by the same NLL. Dropout is the identity (mask all
// true) unless training_mode is set with a non-zero ratio, which is random
// and rejected.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx;

/// A splat constant of `type` holding `value` (float or integer element).
static FailureOr<Value> splat(NodeImporter &n, RankedTensorType type,
                              double value) {
  Type elem = type.getElementType();
  Attribute scalar;
  if (auto ft = dyn_cast<FloatType>(elem))
    scalar = n.b.getFloatAttr(ft, value);
  else
    scalar = n.b.getIntegerAttr(elem, static_cast<int64_t>(value));
  return n.create<ConstantOp>(
      {}, {n.namedAttr("value", DenseElementsAttr::get(type, scalar))});
}

/// A rank-0 constant of element type `elem`.
static FailureOr<Value> scalarConstant(NodeImporter &n, Type elem,
                                       double value) {
  return splat(n, RankedTensorType::get({}, elem), value);
}

/// Input `i` that must be a float tensor (f16, bf16, f32 or f64).
static FailureOr<Value> lossFloatInput(NodeImporter &n, unsigned i) {
  auto value = n.input(i);
  if (failed(value))
    return failure();
  Type elem = cast<RankedTensorType>(value->getType()).getElementType();
  if (!isa<Float16Type, BFloat16Type, Float32Type, Float64Type>(elem))
    return n.error() << "unsupported dtype " << elem << " for input '"
                     << n.node.input(i) << "'";
  return value;
}

/// The reduced loss: `none` keeps `loss`, `sum` sums everything, `mean`
/// divides the sum by the sum of `weights` (or the element count without).
static FailureOr<Value> reduceLoss(NodeImporter &n, Value loss, Value weights,
                                   StringRef reduction) {
  if (reduction == "none")
    return loss;
  auto type = cast<RankedTensorType>(loss.getType());
  auto all = llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()));
  auto reduce = [&](Value v, StringRef kind) {
    return n.create<ReduceOp>(
        {v}, {n.namedAttr("kind", n.b.getStringAttr(kind)),
              n.namedAttr("axes", n.b.getDenseI64ArrayAttr(all)),
              n.namedAttr("keepdims", n.b.getBoolAttr(false))});
  };
  if (reduction == "sum" || (reduction == "mean" && !weights))
    return reduce(loss, reduction);
  auto total = reduce(loss, "sum");
  auto count = reduce(weights, "sum");
  if (failed(total) || failed(count))
    return failure();
  return n.create<DivOp>({*total, *count});
}

/// Zeroes `loss` where `mask` (ignored targets; even where x is -inf), scales
/// it by weight[target] when `weight` is given and reduces it; the `mean`
/// divisor is the sum of those weights (0 where ignored).
static FailureOr<Value> weightAndReduce(NodeImporter &n, Value lossValue,
                                        Value mask, Value weight,
                                        Value safeTarget, StringRef reduction) {
  FailureOr<Value> loss = lossValue;
  Type elem = cast<RankedTensorType>(lossValue.getType()).getElementType();
  Value zero;
  if (mask) {
    auto z = scalarConstant(n, elem, 0.0);
    if (failed(z))
      return failure();
    zero = *z;
    loss = n.create<WhereOp>({mask, zero, *loss});
    if (failed(loss))
      return failure();
  }
  Value weights;
  if (weight) {
    auto gathered = n.create<GatherOp>(
        {weight, safeTarget}, {n.namedAttr("axis", n.b.getI64IntegerAttr(0))});
    if (failed(gathered))
      return failure();
    weights = *gathered;
    if (mask) {
      auto masked = n.create<WhereOp>({mask, zero, weights});
      if (failed(masked))
        return failure();
      weights = *masked;
    }
    loss = n.create<MulOp>({*loss, weights});
    if (failed(loss))
      return failure();
  } else if (mask && reduction == "mean") {
    auto one = scalarConstant(n, elem, 1.0);
    if (failed(one))
      return failure();
    auto counted = n.create<WhereOp>({mask, zero, *one});
    if (failed(counted))
      return failure();
    weights = *counted;
  }
  return reduceLoss(n, *loss, weights, reduction);
}

/// -x[n, target[n, d...], d...] with class weights and ignore_index, reduced.
/// `x` is [N, C, d...] float, `target` [N, d...] int, `weight` [C] or null.
static FailureOr<Value> buildNll(NodeImporter &n, Value x, Value target,
                                 Value weight) {
  auto reduction = n.stringAttr("reduction", "mean");
  if (failed(reduction))
    return failure();
  if (*reduction != "none" && *reduction != "sum" && *reduction != "mean")
    return n.error() << "unsupported reduction '" << *reduction << "'";
  auto xType = cast<RankedTensorType>(x.getType());
  auto tType = cast<RankedTensorType>(target.getType());
  Type elem = xType.getElementType();
  Type indexElem = tType.getElementType();
  if (!indexElem.isSignlessInteger(32) && !indexElem.isSignlessInteger(64))
    return n.error() << "target must be int32 or int64, got " << indexElem;
  int64_t rank = xType.getRank();
  if (rank < 2 || tType.getRank() != rank - 1)
    return n.error() << "input must be [N, C, d...] and target [N, d...], got "
                        "ranks "
                     << rank << " and " << tType.getRank();
  if (weight) {
    auto wType = cast<RankedTensorType>(weight.getType());
    if (wType.getRank() != 1 || wType.getElementType() != elem)
      return n.error() << "weight must be a 1-D tensor of the input's type";
  }

  // Ignored targets are clamped to class 0 so the gathers stay in range.
  Value mask, safeTarget = target;
  if (n.attr("ignore_index")) {
    auto ignoreIndex = n.intAttr("ignore_index", 0);
    if (failed(ignoreIndex))
      return failure();
    auto ignore = scalarConstant(n, indexElem, double(*ignoreIndex));
    auto zero = scalarConstant(n, indexElem, 0);
    if (failed(ignore) || failed(zero))
      return failure();
    auto eq = n.create<CompareOp>(
        {target, *ignore},
        {n.namedAttr("kind", CompareKindAttr::get(n.ctx(), CompareKind::Eq))});
    if (failed(eq))
      return failure();
    mask = *eq;
    auto safe = n.create<WhereOp>({mask, *zero, target});
    if (failed(safe))
      return failure();
    safeTarget = *safe;
  }

  // gather_elements(x, unsqueeze(target, 1), axis = 1) → [N, 1, d...].
  SmallVector<int64_t> idxShape(tType.getShape());
  idxShape.insert(idxShape.begin() + 1, 1);
  auto idx = n.createTyped<ReshapeOp>(
      RankedTensorType::get(idxShape, indexElem), {safeTarget});
  if (failed(idx))
    return failure();
  auto picked = n.create<GatherElementsOp>(
      {x, *idx}, {n.namedAttr("axis", n.b.getI64IntegerAttr(1))});
  if (failed(picked))
    return failure();
  auto lossType = tType.clone(elem);
  auto flat = n.createTyped<ReshapeOp>(lossType, {*picked});
  if (failed(flat))
    return failure();
  auto loss = n.create<UnaryOp>(
      {*flat},
      {n.namedAttr("kind", UnaryKindAttr::get(n.ctx(), UnaryKind::Neg))});
  if (failed(loss))
    return failure();

  return weightAndReduce(n, *loss, mask, weight, safeTarget, *reduction);
}

/// NegativeLogLikelihoodLoss(x, target, weight?) → gather_elements, neg,
/// where/mul by the weights, reduce.
static LogicalResult convertNll(NodeImporter &n) {
  if (failed(n.checkAttributes({"reduction", "ignore_index"})) ||
      failed(n.expectOutputs(1, "extra")))
    return failure();
  auto x = lossFloatInput(n, 0);
  auto target = n.input(1);
  if (failed(x) || failed(target))
    return failure();
  Value weight;
  if (n.hasInput(2)) {
    auto w = n.input(2);
    if (failed(w))
      return failure();
    weight = *w;
  }
  auto loss = buildNll(n, *x, *target, weight);
  if (failed(loss))
    return failure();
  n.setResult(*loss);
  return success();
}

/// SoftmaxCrossEntropyLoss(x, target, weight?) → log_softmax(x, axis 1), then
/// as NegativeLogLikelihoodLoss; the optional second output is the
/// log-probabilities.
static LogicalResult convertSoftmaxCrossEntropy(NodeImporter &n) {
  if (failed(n.checkAttributes({"reduction", "ignore_index"})) ||
      failed(n.expectOutputs(2, "extra")))
    return failure();
  auto x = lossFloatInput(n, 0);
  auto target = n.input(1);
  if (failed(x) || failed(target))
    return failure();
  auto xType = cast<RankedTensorType>(x->getType());
  if (xType.getRank() < 2)
    return n.error() << "input must have rank >= 2";
  Value weight;
  if (n.hasInput(2)) {
    auto w = n.input(2);
    if (failed(w))
      return failure();
    weight = *w;
  }
  auto logProb = n.createTyped<LogSoftmaxOp>(
      xType, {*x}, {n.namedAttr("axis", n.b.getI64IntegerAttr(1))});
  if (failed(logProb))
    return failure();
  auto loss = buildNll(n, *logProb, *target, weight);
  if (failed(loss))
    return failure();
  n.setResult(*loss, 0);
  n.setResult(*logProb, 1);
  return success();
}

/// The value of input `i` if it is a one-element constant (a bool or integer
/// reads as 0 or 1); nullopt otherwise.
static std::optional<double> constantScalar(NodeImporter &n, unsigned i) {
  auto value = n.input(i);
  if (failed(value))
    return std::nullopt;
  auto constant = value->getDefiningOp<ConstantOp>();
  if (!constant)
    return std::nullopt;
  auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
  if (!dense || dense.getNumElements() != 1)
    return std::nullopt;
  Type elem = dense.getElementType();
  if (isa<FloatType>(elem))
    return (*dense.getValues<APFloat>().begin()).convertToDouble();
  return double((*dense.getValues<APInt>().begin()).getSExtValue() != 0);
}

/// Dropout(x, ratio?, training_mode?) in inference → x, mask = all true.
static LogicalResult convertDropout(NodeImporter &n) {
  if (failed(n.checkAttributes({"ratio", "seed", "is_test"})) ||
      failed(n.expectOutputs(2, "extra")))
    return failure();
  auto x = n.input(0);
  if (failed(x))
    return failure();
  auto xType = cast<RankedTensorType>(x->getType());
  bool training = false;
  if (n.opset() < 7) {
    auto isTest = n.intAttr("is_test", 0);
    if (failed(isTest))
      return failure();
    training = *isTest == 0;
  }
  if (n.hasInput(2)) {
    std::optional<double> mode = constantScalar(n, 2);
    if (!mode)
      return n.error() << "training_mode (input '" << n.node.input(2)
                       << "') must be a constant: training-mode dropout is "
                          "random and not supported";
    training = *mode != 0;
  }
  if (training) {
    std::optional<double> ratio;
    if (n.opset() >= 12) {
      ratio = n.hasInput(1) ? constantScalar(n, 1) : std::optional<double>(0.5);
    } else {
      auto r = n.floatAttr("ratio", 0.5f);
      if (failed(r))
        return failure();
      ratio = *r;
    }
    if (!ratio || *ratio != 0)
      return n.error() << "training-mode dropout with a non-zero ratio is "
                          "random and not supported";
  }
  n.setResult(*x, 0);
  if (n.node.output_size() > 1 && !n.node.output(1).empty()) {
    // Before opset 10 the mask has the input's type.
    Type maskElem = n.opset() >= 10 ? Type(n.b.getI1Type())
                                    : xType.getElementType();
    if (xType.getElementType().isInteger(1))
      maskElem = n.b.getI1Type();
    if (!xType.hasStaticShape())
      return n.error() << "the mask output needs a static input shape";
    auto mask = splat(n, xType.clone(maskElem), 1.0);
    if (failed(mask))
      return failure();
    n.setResult(*mask, 1);
  }
  return success();
}

void mlir::kiln::onnx::registerLossOps(ConverterMap &map) {
  map["NegativeLogLikelihoodLoss"] = convertNll;
  map["SoftmaxCrossEntropyLoss"] = convertSoftmaxCrossEntropy;
  map["Dropout"] = convertDropout;
}
