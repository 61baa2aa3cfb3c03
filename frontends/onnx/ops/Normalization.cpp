//===- Normalization.cpp - ONNX normalisations and softmaxes → kiln -------===//
//
// BatchNormalization (inference; training mode as batch statistics plus the
// running-statistics update); LayerNormalization,
// RMSNormalization, InstanceNormalization, GroupNormalization (on a
// [N, G, C/G, ...] reshape) and MeanVarianceNormalization as kiln.normalize;
// LpNormalization as reduce + div; Softmax, LogSoftmax, Hardmax. Before opset
// 13, Softmax normalised over all dims from `axis` on (the input coerced to
// 2-D); kiln.softmax has the opset-13 single-axis meaning, so the old form is
// reshape → softmax(axis 1) → reshape.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx;

static constexpr int64_t kDyn = ShapedType::kDynamic;

/// A rank-0 float constant of element type `elem`.
static FailureOr<Value> floatScalar(NodeImporter &n, Type elem, double value) {
  auto type = RankedTensorType::get({}, elem);
  return n.create<ConstantOp>(
      {}, {n.namedAttr("value", DenseElementsAttr::get(
                                    type, n.b.getFloatAttr(elem, value)))});
}

/// Training-mode BatchNormalization (opset 14+): the batch statistics
/// (mean and population variance over every dim but 1) normalise `x`
/// through kiln.batch_norm, and the running statistics come out as
/// `running * momentum + batch * (1 - momentum)`, as ONNX's reference.
static LogicalResult convertBatchNormTraining(NodeImporter &n,
                                              ArrayRef<Value> operands,
                                              float epsilon) {
  auto momentum = n.floatAttr("momentum", 0.9f);
  if (failed(momentum) || failed(n.expectOutputs(3, "extra")))
    return failure();
  Value x = operands[0];
  auto type = cast<RankedTensorType>(x.getType());
  Type elem = type.getElementType();
  SmallVector<int64_t> axes = {0};
  for (int64_t d = 2; d < type.getRank(); ++d)
    axes.push_back(d);
  auto mean = [&](Value v) {
    return n.create<ReduceOp>(
        {v}, {n.namedAttr("kind", n.b.getStringAttr("mean")),
              n.namedAttr("axes", n.b.getDenseI64ArrayAttr(axes)),
              n.namedAttr("keepdims", n.b.getBoolAttr(false))});
  };
  auto batchMean = mean(x);
  if (failed(batchMean))
    return failure();
  // [C] → [C, 1, ...] to broadcast against x.
  SmallVector<int64_t> perChannel = {type.getDimSize(1)};
  perChannel.append(type.getRank() - 2, 1);
  auto meanView = n.createTyped<ReshapeOp>(
      RankedTensorType::get(perChannel, elem), {*batchMean});
  if (failed(meanView))
    return failure();
  auto centered = n.create<SubOp>({x, *meanView});
  if (failed(centered))
    return failure();
  auto squared = n.create<MulOp>({*centered, *centered});
  if (failed(squared))
    return failure();
  auto batchVar = mean(*squared);
  if (failed(batchVar))
    return failure();
  auto y = n.create<BatchNormOp>(
      {x, operands[1], operands[2], *batchMean, *batchVar},
      {n.namedAttr("epsilon", n.b.getF32FloatAttr(epsilon))});
  if (failed(y))
    return failure();
  auto keep = floatScalar(n, elem, *momentum);
  auto take = floatScalar(n, elem, 1.0 - double(*momentum));
  if (failed(keep) || failed(take))
    return failure();
  auto blend = [&](Value running, Value batch) -> FailureOr<Value> {
    auto a = n.create<MulOp>({running, *keep});
    auto b = n.create<MulOp>({batch, *take});
    if (failed(a) || failed(b))
      return failure();
    return n.create<AddOp>({*a, *b});
  };
  auto runningMean = blend(operands[3], *batchMean);
  auto runningVar = blend(operands[4], *batchVar);
  if (failed(runningMean) || failed(runningVar))
    return failure();
  n.setResult(*y, 0);
  n.setResult(*runningMean, 1);
  n.setResult(*runningVar, 2);
  return success();
}

/// BatchNormalization(x, scale, bias, mean, var) → kiln.batch_norm {epsilon};
/// training_mode = 1 normalises with the batch statistics (see above).
static LogicalResult convertBatchNorm(NodeImporter &n) {
  if (failed(n.checkAttributes(
          {"epsilon", "momentum", "spatial", "is_test", "training_mode"})))
    return failure();
  auto epsilon = n.floatAttr("epsilon", 1e-5f);
  auto spatial = n.intAttr("spatial", 1);
  auto training = n.intAttr("training_mode", 0);
  if (failed(epsilon) || failed(spatial) || failed(training))
    return failure();
  if (*spatial != 1)
    return n.error() << "unsupported spatial=" << *spatial;
  if (*training == 0 && failed(n.expectOutputs(1, "training-mode statistics")))
    return failure();
  SmallVector<Value> operands;
  for (unsigned i = 0; i < 5; ++i) {
    auto v = n.floatInput(i);
    if (failed(v))
      return failure();
    operands.push_back(*v);
  }
  if (*training != 0)
    return convertBatchNormTraining(n, operands, *epsilon);
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

/// Input `i` that must be a float tensor (f16, bf16, f32 or f64).
static FailureOr<Value> anyFloatInput(NodeImporter &n, unsigned i) {
  auto value = n.input(i);
  if (failed(value))
    return failure();
  Type elem = cast<RankedTensorType>(value->getType()).getElementType();
  if (!isa<Float16Type, BFloat16Type, Float32Type, Float64Type>(elem))
    return n.error() << "unsupported dtype " << elem << " for input '"
                     << n.node.input(i) << "'";
  return value;
}

/// Softmax/LogSoftmax/Hardmax(x) → kiln.<op> x {axis}; before opset 13 (when
/// `axis` is not the last dim) reshape → kiln.<op> {axis = 1} → reshape.
template <typename OpT>
static LogicalResult convertSoftmax(NodeImporter &n) {
  if (failed(n.checkAttributes({"axis"})))
    return failure();
  auto x = anyFloatInput(n, 0);
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
    auto result = n.createTyped<OpT>(type, {*x}, {axisNamed(*axis)});
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
  auto soft = n.createTyped<OpT>(flatType, {*flat}, {axisNamed(1)});
  if (failed(soft))
    return failure();
  auto result = n.createTyped<ReshapeOp>(type, {*soft});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// kiln.normalize of `x` over `axes` with optional `scale`/`bias`.
static FailureOr<Value> createNormalize(NodeImporter &n, Value x, Value scale,
                                        Value bias, ArrayRef<int64_t> axes,
                                        double epsilon, bool rms) {
  SmallVector<Value> operands = {x};
  if (scale)
    operands.push_back(scale);
  if (bias)
    operands.push_back(bias);
  return n.create<NormalizeOp>(
      operands,
      {n.namedAttr("axes", n.b.getDenseI64ArrayAttr(axes)),
       n.namedAttr("epsilon", n.b.getF64FloatAttr(epsilon)),
       n.namedAttr("rms", n.b.getBoolAttr(rms)),
       n.namedAttr("operandSegmentSizes",
                   n.b.getDenseI32ArrayAttr(
                       {1, scale ? 1 : 0, bias ? 1 : 0}))});
}

/// Optional input `i` as a float tensor, or a null Value when absent.
static FailureOr<Value> optionalFloatInput(NodeImporter &n, unsigned i) {
  if (!n.hasInput(i))
    return Value();
  return anyFloatInput(n, i);
}

/// LayerNormalization's Mean and InvStdDev outputs (f32, the normalised
/// axes kept as 1) → kiln.norm_stats, when the model uses them.
static LogicalResult setLayerNormStats(NodeImporter &n, Value x,
                                       ArrayRef<int64_t> axes,
                                       double epsilon) {
  bool wanted = false;
  for (int i = 1; i < std::min(3, n.node.output_size()); ++i)
    wanted |= !n.node.output(i).empty();
  if (!wanted)
    return success();
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape(type.getShape());
  for (int64_t a : axes)
    shape[a] = 1;
  auto statType = RankedTensorType::get(shape, n.b.getF32Type());
  OperationState state(n.loc, NormStatsOp::getOperationName(), {x},
                       {statType, statType},
                       {n.namedAttr("axes", n.b.getDenseI64ArrayAttr(axes)),
                        n.namedAttr("epsilon", n.b.getF64FloatAttr(epsilon))});
  Operation *op = n.b.create(state);
  if (failed(mlir::verify(op))) {
    op->erase();
    return n.error() << "cannot compute Mean/InvStdDev for " << type;
  }
  n.setResult(op->getResult(0), 1);
  n.setResult(op->getResult(1), 2);
  return success();
}

/// LayerNormalization / RMSNormalization(x, scale, bias) → kiln.normalize
/// over dims [axis, rank) (and kiln.norm_stats for LayerNorm's statistics).
static LogicalResult convertLayerNorm(NodeImporter &n) {
  bool rms = n.opType() == "RMSNormalization";
  if (failed(n.checkAttributes({"axis", "epsilon", "stash_type"})) ||
      failed(n.expectOutputs(rms ? 1 : 3, "extra")))
    return failure();
  auto x = anyFloatInput(n, 0);
  auto scale = anyFloatInput(n, 1);
  auto bias = rms ? FailureOr<Value>(Value()) : optionalFloatInput(n, 2);
  auto axisAttr = n.intAttr("axis", -1);
  auto epsilon = n.floatAttr("epsilon", 1e-5f);
  auto stash = n.intAttr("stash_type", 1);
  if (failed(x) || failed(scale) || failed(bias) || failed(axisAttr) ||
      failed(epsilon) || failed(stash))
    return failure();
  // kiln keeps statistics in f32 (or f64 for f64 inputs) whatever stash_type
  // asks for; only the default (float) is accepted so results do not differ.
  if (*stash != 1)
    return n.error() << "unsupported stash_type=" << *stash;
  int64_t rank = cast<RankedTensorType>(x->getType()).getRank();
  auto axis = normalizeAxis(n, *axisAttr, rank, "axis");
  if (failed(axis))
    return failure();
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq(*axis, rank));
  auto result = createNormalize(n, *x, *scale, *bias, axes, *epsilon, rms);
  if (failed(result) || failed(setLayerNormStats(n, *x, axes, *epsilon)))
    return failure();
  n.setResult(*result);
  return success();
}

/// A channel parameter of shape [C] reshaped to [C, 1, ..., 1] (`ones`
/// trailing 1s) so it broadcasts over the dims after the channel.
static FailureOr<Value> channelParam(NodeImporter &n, Value param,
                                     ArrayRef<int64_t> lead, int64_t ones) {
  auto type = cast<RankedTensorType>(param.getType());
  SmallVector<int64_t> shape(lead);
  shape.append(ones, 1);
  auto target = RankedTensorType::get(shape, type.getElementType());
  if (type.hasStaticShape() && target.getNumElements() != type.getNumElements())
    return n.error() << "parameter " << type << " does not match " << target;
  return n.createTyped<ReshapeOp>(target, {param});
}

/// InstanceNormalization(x, scale, bias) → kiln.normalize over dims [2, rank)
/// with scale/bias reshaped to [C, 1, ...].
static LogicalResult convertInstanceNorm(NodeImporter &n) {
  if (failed(n.checkAttributes({"epsilon"})))
    return failure();
  auto x = anyFloatInput(n, 0);
  auto scale = anyFloatInput(n, 1);
  auto bias = anyFloatInput(n, 2);
  auto epsilon = n.floatAttr("epsilon", 1e-5f);
  if (failed(x) || failed(scale) || failed(bias) || failed(epsilon))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  if (rank < 3)
    return n.error() << "input must have rank >= 3, got " << type;
  auto s = channelParam(n, *scale, {type.getDimSize(1)}, rank - 2);
  auto b = channelParam(n, *bias, {type.getDimSize(1)}, rank - 2);
  if (failed(s) || failed(b))
    return failure();
  auto result = createNormalize(n, *x, *s, *b,
                                llvm::to_vector(llvm::seq<int64_t>(2, rank)),
                                *epsilon, false);
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// GroupNormalization(x, scale, bias) → reshape x to [N, G, C/G, ...],
/// kiln.normalize over dims [2, rank + 1), reshape back. Scale and bias are
/// per group before opset 21 and per channel since.
static LogicalResult convertGroupNorm(NodeImporter &n) {
  if (failed(n.checkAttributes({"epsilon", "num_groups", "stash_type"})))
    return failure();
  auto x = anyFloatInput(n, 0);
  auto scale = anyFloatInput(n, 1);
  auto bias = anyFloatInput(n, 2);
  auto epsilon = n.floatAttr("epsilon", 1e-5f);
  auto groups = n.intAttr("num_groups", 0);
  auto stash = n.intAttr("stash_type", 1);
  if (failed(x) || failed(scale) || failed(bias) || failed(epsilon) ||
      failed(groups) || failed(stash))
    return failure();
  if (*stash != 1)
    return n.error() << "unsupported stash_type=" << *stash;
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  if (rank < 3 || !type.hasStaticShape())
    return n.error() << "input must be static with rank >= 3, got " << type;
  int64_t c = type.getDimSize(1), g = *groups;
  if (g <= 0 || c % g != 0)
    return n.error() << "num_groups=" << g << " does not divide " << c
                     << " channels";
  SmallVector<int64_t> grouped = {type.getDimSize(0), g, c / g};
  llvm::append_range(grouped, type.getShape().drop_front(2));
  auto groupedX = n.createTyped<ReshapeOp>(
      RankedTensorType::get(grouped, type.getElementType()), {*x});
  SmallVector<int64_t> lead = {g, n.opset() < 21 ? 1 : c / g};
  auto s = channelParam(n, *scale, lead, rank - 2);
  auto b = channelParam(n, *bias, lead, rank - 2);
  if (failed(groupedX) || failed(s) || failed(b))
    return failure();
  auto normalized = createNormalize(
      n, *groupedX, *s, *b, llvm::to_vector(llvm::seq<int64_t>(2, rank + 1)),
      *epsilon, false);
  if (failed(normalized))
    return failure();
  auto result = n.createTyped<ReshapeOp>(type, {*normalized});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// MeanVarianceNormalization(x) {axes} → kiln.normalize over axes. ONNX adds
/// 1e-9 to the standard deviation; kiln adds its square to the variance.
static LogicalResult convertMeanVarianceNorm(NodeImporter &n) {
  if (failed(n.checkAttributes({"axes"})))
    return failure();
  auto x = anyFloatInput(n, 0);
  auto axes = n.intsAttr("axes", SmallVector<int64_t>{0, 2, 3});
  if (failed(x) || failed(axes))
    return failure();
  int64_t rank = cast<RankedTensorType>(x->getType()).getRank();
  for (int64_t &axis : *axes) {
    auto normalized = normalizeAxis(n, axis, rank, "axis");
    if (failed(normalized))
      return failure();
    axis = *normalized;
  }
  llvm::sort(*axes);
  if (std::adjacent_find(axes->begin(), axes->end()) != axes->end())
    return n.error() << "axes repeat an axis";
  auto result = createNormalize(n, *x, Value(), Value(), *axes, 1e-18, false);
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// LpNormalization(x) {axis, p} → x / clip(kiln.reduce {l1|l2, keepdims} x).
static LogicalResult convertLpNorm(NodeImporter &n) {
  if (failed(n.checkAttributes({"axis", "p"})))
    return failure();
  auto x = anyFloatInput(n, 0);
  auto axisAttr = n.intAttr("axis", -1);
  auto p = n.intAttr("p", 2);
  if (failed(x) || failed(axisAttr) || failed(p))
    return failure();
  if (*p != 1 && *p != 2)
    return n.error() << "p must be 1 or 2, got " << *p;
  int64_t rank = cast<RankedTensorType>(x->getType()).getRank();
  auto axis = normalizeAxis(n, *axisAttr, rank, "axis");
  if (failed(axis))
    return failure();
  auto norm = n.create<ReduceOp>(
      {*x}, {n.namedAttr("kind", n.b.getStringAttr(*p == 1 ? "l1" : "l2")),
             n.namedAttr("axes", n.b.getDenseI64ArrayAttr({*axis})),
             n.namedAttr("keepdims", n.b.getBoolAttr(true))});
  if (failed(norm))
    return failure();
  // An all-zero slice has norm 0 and must stay 0 (ONNX), not 0/0: clamp the
  // norm to the smallest normal number, which changes no other quotient.
  auto elem = cast<FloatType>(
      cast<RankedTensorType>(x->getType()).getElementType());
  double tiny =
      APFloat::getSmallestNormalized(elem.getFloatSemantics()).convertToDouble();
  norm = n.createTyped<ClipOp>(
      norm->getType(), {*norm},
      {n.namedAttr("min", n.b.getF64FloatAttr(tiny)),
       n.namedAttr("max", n.b.getF64FloatAttr(INFINITY))});
  if (failed(norm))
    return failure();
  auto result = n.create<DivOp>({*x, *norm});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

void mlir::kiln::onnx::registerNormalizationOps(ConverterMap &map) {
  map["BatchNormalization"] = convertBatchNorm;
  map["Softmax"] = convertSoftmax<SoftmaxOp>;
  map["LogSoftmax"] = convertSoftmax<LogSoftmaxOp>;
  map["Hardmax"] = convertSoftmax<HardmaxOp>;
  map["LayerNormalization"] = convertLayerNorm;
  map["RMSNormalization"] = convertLayerNorm;
  map["InstanceNormalization"] = convertInstanceNorm;
  map["GroupNormalization"] = convertGroupNorm;
  map["MeanVarianceNormalization"] = convertMeanVarianceNorm;
  map["LpNormalization"] = convertLpNorm;
}
