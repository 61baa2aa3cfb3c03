//===- SequenceModel.cpp - Swish, SwiGLU, CausalConvWithState, LinearAttention //
//
// The recent ONNX ops of LLM and state-space blocks. Swish and SwiGLU are
// elementwise (x * sigmoid(alpha * x), times B for SwiGLU) and become kiln
// mul/sigmoid. CausalConvWithState is a depthwise 1-D convolution over the
// carried state concatenated in front of the input: kiln.concat, a grouped
// kiln.conv (in f32 for narrower floats), the optional SiLU, and a slice of
// the last k - 1 positions as the new state. LinearAttention's recurrence is
// kiln.linear_attention on 4-D heads, with the 3-D packing undone around it.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx;

/// A splat constant of `type` holding `value`.
static FailureOr<Value> splat(NodeImporter &n, RankedTensorType type,
                              double value) {
  auto ft = cast<FloatType>(type.getElementType());
  return n.create<ConstantOp>(
      {}, {n.namedAttr("value", DenseElementsAttr::get(
                                    type, n.b.getFloatAttr(ft, value)))});
}

/// Input `i` that must be a float tensor (f16, bf16, f32 or f64).
static FailureOr<Value> anyFloatInput(NodeImporter &n, unsigned i) {
  auto value = n.input(i);
  if (failed(value))
    return failure();
  Type elem = getElementTypeOrSelf(value->getType());
  if (!isa<Float16Type, BFloat16Type, Float32Type, Float64Type>(elem))
    return n.error() << "unsupported dtype " << elem << " for input '"
                     << n.node.input(i) << "'";
  return value;
}

/// x * sigmoid(alpha * x).
static FailureOr<Value> swish(NodeImporter &n, Value x, double alpha) {
  Value arg = x;
  if (alpha != 1.0) {
    auto type = cast<RankedTensorType>(x.getType());
    auto a = splat(n, RankedTensorType::get({}, type.getElementType()), alpha);
    if (failed(a))
      return failure();
    auto scaled = n.create<MulOp>({x, *a});
    if (failed(scaled))
      return failure();
    arg = *scaled;
  }
  auto gate = n.createTyped<SigmoidOp>(x.getType(), {arg});
  if (failed(gate))
    return failure();
  return n.create<MulOp>({x, *gate});
}

/// Swish(x){alpha} → kiln.mul(x, kiln.sigmoid(alpha * x))
static LogicalResult convertSwish(NodeImporter &n) {
  if (failed(n.checkAttributes({"alpha"})))
    return failure();
  auto x = anyFloatInput(n, 0);
  auto alpha = n.floatAttr("alpha", 1.0f);
  if (failed(x) || failed(alpha))
    return failure();
  auto y = swish(n, *x, *alpha);
  if (failed(y))
    return failure();
  n.setResult(*y);
  return success();
}

/// SwiGLU(a, b){alpha} → kiln.mul(swish(a), b)
static LogicalResult convertSwiGLU(NodeImporter &n) {
  if (failed(n.checkAttributes({"alpha"})))
    return failure();
  auto a = anyFloatInput(n, 0), b = anyFloatInput(n, 1);
  auto alpha = n.floatAttr("alpha", 1.0f);
  if (failed(a) || failed(b) || failed(alpha))
    return failure();
  if (a->getType() != b->getType())
    return n.error() << "A " << a->getType() << " and B " << b->getType()
                     << " must have the same type (SwiGLU does not broadcast)";
  auto gate = swish(n, *a, *alpha);
  if (failed(gate))
    return failure();
  auto y = n.create<MulOp>({*gate, *b});
  if (failed(y))
    return failure();
  n.setResult(*y);
  return success();
}

/// `x` converted to element type `elem` (itself when it already is).
static FailureOr<Value> castTo(NodeImporter &n, Value x, Type elem) {
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getElementType() == elem)
    return x;
  return n.createTyped<CastOp>(type.clone(elem), {x});
}

/// CausalConvWithState(x, w, bias?, past?){activation} →
///   padded = concat(past or 0, x); y = conv(padded, w, bias){group = C};
///   silu(y); present = padded[..., L:]
static LogicalResult convertCausalConvWithState(NodeImporter &n) {
  if (failed(n.checkAttributes({"activation"})) ||
      failed(n.expectOutputs(2, "")))
    return failure();
  auto x = anyFloatInput(n, 0), w = anyFloatInput(n, 1);
  auto activation = n.stringAttr("activation", "none");
  if (failed(x) || failed(w) || failed(activation))
    return failure();
  if (*activation != "none" && *activation != "silu" && *activation != "swish")
    return n.error() << "unsupported activation '" << *activation
                     << "' (expected none, silu or swish)";
  auto xType = cast<RankedTensorType>(x->getType());
  auto wType = cast<RankedTensorType>(w->getType());
  Type elem = xType.getElementType();
  if (xType.getRank() != 3 || !xType.hasStaticShape())
    return n.error() << "input must be static 3-D (batch, channels, length), "
                        "got "
                     << xType;
  int64_t batch = xType.getDimSize(0), channels = xType.getDimSize(1),
          length = xType.getDimSize(2);
  if (wType.getRank() != 3 || wType.getDimSize(0) != channels ||
      wType.getDimSize(1) != 1 || wType.getDimSize(2) < 1 ||
      wType.getElementType() != elem)
    return n.error() << "weight must be (" << channels << ", 1, k) of " << elem
                     << ", got " << wType;
  int64_t k = wType.getDimSize(2);
  auto stateType = RankedTensorType::get({batch, channels, k - 1}, elem);

  Value padded = *x;
  if (k > 1) {
    FailureOr<Value> past;
    if (n.hasInput(3)) {
      past = n.input(3);
      if (succeeded(past) && past->getType() != stateType)
        return n.error() << "past_state must be " << stateType << ", got "
                         << past->getType();
    } else {
      past = splat(n, stateType, 0.0);
    }
    if (failed(past))
      return failure();
    auto joined = n.create<ConcatOp>(
        {*past, *x}, {n.namedAttr("axis", n.b.getI64IntegerAttr(2))});
    if (failed(joined))
      return failure();
    padded = *joined;
  }

  // kiln.conv computes in f32: narrower floats convert around it.
  Type f32 = n.b.getF32Type();
  Type convElem = isa<Float64Type>(elem) ? elem : f32;
  SmallVector<Value> operands;
  for (Value v : {padded, *w}) {
    auto converted = castTo(n, v, convElem);
    if (failed(converted))
      return failure();
    operands.push_back(*converted);
  }
  if (n.hasInput(2)) {
    auto bias = n.input(2);
    if (failed(bias))
      return failure();
    auto biasType = cast<RankedTensorType>(bias->getType());
    if (biasType.getRank() != 1 || biasType.getDimSize(0) != channels ||
        biasType.getElementType() != elem)
      return n.error() << "bias must be (" << channels << ") of " << elem
                       << ", got " << biasType;
    auto converted = castTo(n, *bias, convElem);
    if (failed(converted))
      return failure();
    operands.push_back(*converted);
  }
  auto conv = n.create<ConvOp>(
      operands, {n.namedAttr("strides", n.b.getDenseI64ArrayAttr({1})),
                 n.namedAttr("pads", n.b.getDenseI64ArrayAttr({0, 0})),
                 n.namedAttr("dilations", n.b.getDenseI64ArrayAttr({1})),
                 n.namedAttr("group", n.b.getI64IntegerAttr(channels))});
  if (failed(conv))
    return failure();
  auto y = castTo(n, *conv, elem);
  if (failed(y))
    return failure();
  if (*activation != "none") {
    y = swish(n, *y, 1.0);
    if (failed(y))
      return failure();
  }
  n.setResult(*y, 0);

  if (n.node.output_size() > 1 && !n.node.output(1).empty()) {
    auto present = n.create<SliceOp>(
        {padded},
        {n.namedAttr("offsets", n.b.getDenseI64ArrayAttr({0, 0, length})),
         n.namedAttr("sizes",
                     n.b.getDenseI64ArrayAttr({batch, channels, k - 1})),
         n.namedAttr("strides", n.b.getDenseI64ArrayAttr({1, 1, 1}))});
    if (failed(present))
      return failure();
    n.setResult(*present, 1);
  }
  return success();
}

void mlir::kiln::onnx::registerSequenceModelOps(ConverterMap &map) {
  map["Swish"] = convertSwish;
  map["SwiGLU"] = convertSwiGLU;
  map["CausalConvWithState"] = convertCausalConvWithState;
}
