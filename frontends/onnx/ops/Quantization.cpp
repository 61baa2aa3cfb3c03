//===- Quantization.cpp - ONNX (de)quantization ops → kiln ----------------===//
//
// QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, MatMulInteger,
// QLinearMatMul, ConvInteger and QLinearConv, decomposed into existing kiln
// ops with the arithmetic of the ONNX reference implementation, so that the
// results agree bit for bit: scales broadcast per tensor, per axis or per
// block (a gather repeats each block's scale); quantized values are rounded
// half to even, offset by the zero point and clamped in float, where every
// intermediate is exact, before the final cast. Integer matmuls accumulate in
// i32 (kiln.einsum on i32 operands, as numpy's int32 matmul); integer
// convolutions run in f64, exact for any realistic reduction (each product
// is below 2^16, so sums stay exact up to 2^37 terms).
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx;

static constexpr int64_t kDyn = ShapedType::kDynamic;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

static RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// `v` converted to element type `to` with kiln.cast (`v` if already `to`).
static FailureOr<Value> castTo(NodeImporter &n, Value v, Type to) {
  if (tensorType(v).getElementType() == to)
    return v;
  return n.createTyped<CastOp>(tensorType(v).clone(to), {v});
}

static FailureOr<Value> reshapeTo(NodeImporter &n, Value v,
                                  ArrayRef<int64_t> shape) {
  if (tensorType(v).getShape() == shape)
    return v;
  return n.createTyped<ReshapeOp>(tensorType(v).clone(shape), {v});
}

static Value scalarConstant(NodeImporter &n, Type elem, double value) {
  auto type = RankedTensorType::get({}, elem);
  Attribute attr = isa<FloatType>(elem)
                       ? Attribute(n.b.getFloatAttr(elem, value))
                       : Attribute(n.b.getIntegerAttr(elem, int64_t(value)));
  return ConstantOp::create(n.b, n.loc, DenseElementsAttr::get(type, attr));
}

template <typename OpT>
static FailureOr<Value> binary(NodeImporter &n, FailureOr<Value> l,
                               FailureOr<Value> r) {
  if (failed(l) || failed(r))
    return failure();
  return n.create<OpT>({*l, *r});
}

static FailureOr<Value> roundEven(NodeImporter &n, FailureOr<Value> x) {
  if (failed(x))
    return failure();
  return n.createTyped<UnaryOp>(
      x->getType(), {*x},
      {n.namedAttr("kind", UnaryKindAttr::get(n.ctx(), UnaryKind::Round))});
}

static FailureOr<Value> clip(NodeImporter &n, FailureOr<Value> x, double lo,
                             double hi) {
  if (failed(x))
    return failure();
  return n.createTyped<ClipOp>(x->getType(), {*x},
                               {n.namedAttr("min", n.b.getF64FloatAttr(lo)),
                                n.namedAttr("max", n.b.getF64FloatAttr(hi))});
}

/// Range of the integer types QuantizeLinear and QLinear* produce.
static std::optional<std::pair<double, double>> quantRange(int32_t dataType) {
  using T = ::onnx::TensorProto;
  switch (dataType) {
  case T::UINT8:
    return std::pair(0.0, 255.0);
  case T::INT8:
    return std::pair(-128.0, 127.0);
  case T::UINT16:
    return std::pair(0.0, 65535.0);
  case T::INT16:
    return std::pair(-32768.0, 32767.0);
  case dtype::UInt4:
    return std::pair(0.0, 15.0);
  case dtype::Int4:
    return std::pair(-8.0, 7.0);
  case dtype::UInt2:
    return std::pair(0.0, 3.0);
  case dtype::Int2:
    return std::pair(-2.0, 1.0);
  default:
    return std::nullopt;
  }
}

static bool isFloat8(int32_t dataType) {
  return dataType >= dtype::Float8E4M3FN && dataType <= dtype::Float8E5M2FNUZ;
}

/// A scale or zero point reshaped to broadcast against `x` as ONNX's
/// reshape_input does: a single value becomes a scalar; per-axis, a 1-D
/// tensor of x.shape[axis] values goes to dim `axis`; blocked
/// (`blockSize` > 0), a tensor of x's rank with ceil(x.shape[axis] /
/// blockSize) entries at `axis` has each entry repeated over its block.
static FailureOr<Value> broadcastParam(NodeImporter &n, Value param,
                                       RankedTensorType xType, int64_t axis,
                                       int64_t blockSize, StringRef what) {
  RankedTensorType type = tensorType(param);
  if (type.getRank() == 0)
    return param;
  if (type.hasStaticShape() && type.getNumElements() == 1)
    return reshapeTo(n, param, {});
  int64_t rank = xType.getRank();
  auto normalized = normalizeAxis(n, axis, rank, "axis");
  if (failed(normalized))
    return failure();
  axis = *normalized;
  int64_t dim = xType.getDimSize(axis);
  if (dim == kDyn || !type.hasStaticShape())
    return n.error() << what << " " << type << " needs static sizes along axis "
                     << axis << " of " << xType;
  if (blockSize <= 0) {
    if (type.getRank() != 1 || type.getDimSize(0) != dim)
      return n.error() << what << " " << type << " does not match dim " << axis
                       << " of " << xType << " (per-axis quantization)";
    SmallVector<int64_t> shape(rank, 1);
    shape[axis] = dim;
    return reshapeTo(n, param, shape);
  }
  int64_t blocks = (dim + blockSize - 1) / blockSize;
  bool matches = type.getRank() == rank;
  for (int64_t d = 0; matches && d < rank; ++d)
    matches = type.getDimSize(d) == (d == axis ? blocks : xType.getDimSize(d));
  if (!matches)
    return n.error() << what << " " << type << " does not match " << xType
                     << " blocked by " << blockSize << " along axis " << axis;
  SmallVector<int64_t> indices;
  for (int64_t i = 0; i < dim; ++i)
    indices.push_back(i / blockSize);
  auto indexType = RankedTensorType::get({dim}, n.b.getI64Type());
  Value index = ConstantOp::create(
      n.b, n.loc, DenseElementsAttr::get(indexType, ArrayRef(indices)));
  return n.create<GatherOp>({param, index},
                            {n.namedAttr("axis", n.b.getI64IntegerAttr(axis))});
}

/// A per-tensor (one value) or per-row (1-D, one per row of the matrix
/// operand `of`) quantization parameter, shaped to broadcast against `of`
/// (rows are its second-to-last dim); per-column ones (1-D over the last
/// dim) broadcast as they are.
static FailureOr<Value> matrixParam(NodeImporter &n, Value param, Value of,
                                    bool perRow) {
  RankedTensorType type = tensorType(param), ofType = tensorType(of);
  if (type.hasStaticShape() && type.getNumElements() == 1)
    return reshapeTo(n, param, {});
  if (!perRow || type.getRank() != 1 || ofType.getRank() < 2)
    return param;
  return reshapeTo(n, param, {type.getDimSize(0), 1});
}

//===----------------------------------------------------------------------===//
// QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear
//===----------------------------------------------------------------------===//

/// DequantizeLinear(x, scale, zp) → (cast(x) - cast(zp)) * scale, in f32
/// (f64 for int32 x or f64 scales), then cast to the output type.
static LogicalResult convertDequantizeLinear(NodeImporter &n) {
  if (failed(n.checkAttributes({"axis", "block_size", "output_dtype"})))
    return failure();
  auto x = n.input(0);
  auto scale = n.input(1);
  auto axis = n.intAttr("axis", 1);
  auto blockSize = n.intAttr("block_size", 0);
  auto outputDtype = n.intAttr("output_dtype", 0);
  if (failed(x) || failed(scale) || failed(axis) || failed(blockSize) ||
      failed(outputDtype))
    return failure();
  RankedTensorType xType = tensorType(*x);
  Type scaleElem = tensorType(*scale).getElementType();
  if (!isa<FloatType>(scaleElem))
    return n.error() << "x_scale must be a float tensor, got " << scaleElem;
  bool wide = xType.getElementType().isInteger(32) || scaleElem.isF64();
  Type compute = wide ? n.b.getF64Type() : n.b.getF32Type();

  FailureOr<Value> dx = castTo(n, *x, compute);
  // float8 and float4 inputs take no zero point (float8's must be 0).
  if (n.hasInput(2) && !isa<FloatType>(xType.getElementType())) {
    auto zp = n.input(2);
    if (failed(zp))
      return failure();
    if (tensorType(*zp).getElementType() != xType.getElementType())
      return n.error() << "x_zero_point type " << tensorType(*zp).getElementType()
                       << " differs from x's " << xType.getElementType();
    auto zpb = broadcastParam(n, *zp, xType, *axis, *blockSize, "x_zero_point");
    if (failed(zpb))
      return failure();
    dx = binary<SubOp>(n, dx, castTo(n, *zpb, compute));
  }
  auto sb = broadcastParam(n, *scale, xType, *axis, *blockSize, "x_scale");
  if (failed(sb))
    return failure();
  auto y = binary<MulOp>(n, dx, castTo(n, *sb, compute));
  if (failed(y))
    return failure();
  Type out = scaleElem;
  if (*outputDtype) {
    out = convertDataType(n.ctx(), *outputDtype);
    if (!out || !isa<FloatType>(out))
      return n.error() << "unsupported output_dtype "
                       << dataTypeName(*outputDtype);
  }
  auto result = castTo(n, *y, out);
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// The type QuantizeLinear divides in: `precision` if given, else numpy's
/// promotion of x and the scale.
static Type quantizeComputeType(NodeImporter &n, Type x, Type scale,
                                int64_t precision) {
  if (precision)
    return convertDataType(n.ctx(), precision);
  if (x == scale)
    return x;
  if (x.isF64() || scale.isF64())
    return n.b.getF64Type();
  return n.b.getF32Type();
}

/// QuantizeLinear(x, scale, zp) → cast(clip(round(x / scale) + zp, qmin,
/// qmax)) for integer outputs; float8: cast(x / scale) {saturate}; float4:
/// cast(x / scale + zp).
static LogicalResult convertQuantizeLinear(NodeImporter &n) {
  if (failed(n.checkAttributes(
          {"axis", "saturate", "block_size", "output_dtype", "precision"})))
    return failure();
  auto x = n.input(0);
  auto scale = n.input(1);
  auto axis = n.intAttr("axis", 1);
  auto saturate = n.intAttr("saturate", 1);
  auto blockSize = n.intAttr("block_size", 0);
  auto outputDtype = n.intAttr("output_dtype", 0);
  auto precision = n.intAttr("precision", 0);
  if (failed(x) || failed(scale) || failed(axis) || failed(saturate) ||
      failed(blockSize) || failed(outputDtype) || failed(precision))
    return failure();
  RankedTensorType xType = tensorType(*x);
  Type scaleElem = tensorType(*scale).getElementType();
  if (!isa<FloatType>(xType.getElementType()) || !isa<FloatType>(scaleElem))
    return n.error() << "x and y_scale must be float tensors, got "
                     << xType.getElementType() << " and " << scaleElem;
  int32_t outType = *outputDtype ? *outputDtype : ::onnx::TensorProto::UINT8;
  if (n.hasInput(2)) {
    int32_t zpType = n.inputDataType(2);
    if (*outputDtype && *outputDtype != zpType)
      return n.error() << "output_dtype " << dataTypeName(*outputDtype)
                       << " differs from y_zero_point's "
                       << dataTypeName(zpType);
    outType = zpType;
  }
  auto range = quantRange(outType);
  if (!range && !isFloat8(outType) && outType != dtype::Float4E2M1)
    return n.error() << "unsupported output type " << dataTypeName(outType);
  Type compute =
      quantizeComputeType(n, xType.getElementType(), scaleElem, *precision);
  if (!compute || !isa<FloatType>(compute))
    return n.error() << "unsupported precision " << dataTypeName(*precision);

  auto sb = broadcastParam(n, *scale, xType, *axis, *blockSize, "y_scale");
  if (failed(sb))
    return failure();
  FailureOr<Value> scaled =
      binary<DivOp>(n, castTo(n, *x, compute), castTo(n, *sb, compute));
  Value zp;
  if (n.hasInput(2) && !isFloat8(outType)) {
    auto zpIn = n.input(2);
    if (failed(zpIn))
      return failure();
    auto shaped =
        broadcastParam(n, *zpIn, xType, *axis, *blockSize, "y_zero_point");
    if (failed(shaped))
      return failure();
    zp = *shaped;
  }
  FailureOr<Value> result;
  if (range) {
    // Rounded values are integers, exact in f32 (f64 when dividing in f64);
    // the zero point is added and the sum clamped there.
    Type acc = compute.isF64() ? compute : n.b.getF32Type();
    FailureOr<Value> q = castTo(n, *roundEven(n, scaled), acc);
    if (zp)
      q = binary<AddOp>(n, q, castTo(n, zp, acc));
    q = clip(n, q, range->first, range->second);
    if (failed(q))
      return failure();
    result = castTo(n, *q, convertDataType(n.ctx(), outType));
  } else {
    if (zp) // float4 (and float6) add the zero point as a value
      scaled = binary<AddOp>(n, scaled, castTo(n, zp, compute));
    if (failed(scaled))
      return failure();
    result = createCast(n, *scaled, outType, *saturate != 0);
  }
  if (failed(result))
    return failure();
  n.setResult(*result);
  n.setResultDataType(outType);
  return success();
}

/// DynamicQuantizeLinear(x) → uint8 quantization with scale (max(x, 0) -
/// min(x, 0)) / 255 and zero point round(clip(-min / scale, 0, 255)).
static LogicalResult convertDynamicQuantizeLinear(NodeImporter &n) {
  if (failed(n.checkAttributes({})))
    return failure();
  auto x = n.floatInput(0);
  if (failed(x))
    return failure();
  Type f32 = n.b.getF32Type();
  int64_t rank = tensorType(*x).getRank();
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  auto reduce = [&](StringRef kind) -> FailureOr<Value> {
    if (rank == 0)
      return *x;
    return n.create<ReduceOp>(
        {*x}, {n.namedAttr("kind", n.b.getStringAttr(kind)),
               n.namedAttr("axes", n.b.getDenseI64ArrayAttr(axes)),
               n.namedAttr("keepdims", n.b.getBoolAttr(false))});
  };
  auto bin = [&](BinaryKind kind, FailureOr<Value> l,
                 FailureOr<Value> r) -> FailureOr<Value> {
    if (failed(l) || failed(r))
      return failure();
    return n.create<BinaryOp>(
        {*l, *r}, {n.namedAttr("kind", BinaryKindAttr::get(n.ctx(), kind))});
  };
  Value zero = scalarConstant(n, f32, 0), one = scalarConstant(n, f32, 1);
  auto maxx = bin(BinaryKind::Max, reduce("max"), zero);
  auto minx = bin(BinaryKind::Min, reduce("min"), zero);
  if (failed(maxx) || failed(minx))
    return failure();
  auto same = n.create<CompareOp>(
      {*maxx, *minx},
      {n.namedAttr("kind", CompareKindAttr::get(n.ctx(), CompareKind::Eq))});
  auto span = binary<SubOp>(n, maxx, minx);
  if (failed(same) || failed(span))
    return failure();
  auto width = n.create<WhereOp>({*same, one, *span});
  auto scale = binary<DivOp>(n, width, scalarConstant(n, f32, 255));
  auto zpFloat = roundEven(
      n, clip(n, binary<SubOp>(n, zero, binary<DivOp>(n, minx, scale)), 0,
              255));
  auto q = clip(n,
                binary<AddOp>(n, roundEven(n, binary<DivOp>(n, *x, scale)),
                              zpFloat),
                0, 255);
  if (failed(q) || failed(scale) || failed(zpFloat))
    return failure();
  Type u8 = n.b.getIntegerType(8, /*isSigned=*/false);
  auto y = castTo(n, *q, u8);
  auto zp = castTo(n, *zpFloat, u8);
  if (failed(y) || failed(zp))
    return failure();
  n.setResult(*y, 0);
  n.setResult(*scale, 1);
  n.setResult(*zp, 2);
  return success();
}

//===----------------------------------------------------------------------===//
// Integer matmul and convolution
//===----------------------------------------------------------------------===//

/// Input `i`, an 8-bit integer tensor, as i32 minus the optional zero point
/// input `zpIndex` (per tensor, or per row of a matrix when `perRow`).
static FailureOr<Value> centeredI32(NodeImporter &n, unsigned i,
                                    unsigned zpIndex, bool perRow) {
  auto v = n.input(i);
  if (failed(v))
    return failure();
  Type elem = tensorType(*v).getElementType();
  if (!elem.isInteger(8))
    return n.error() << "input '" << n.node.input(i)
                     << "' must be int8 or uint8, got " << elem;
  Type i32 = n.b.getI32Type();
  FailureOr<Value> result = castTo(n, *v, i32);
  if (!n.hasInput(zpIndex))
    return result;
  auto zp = n.input(zpIndex);
  if (failed(zp))
    return failure();
  if (tensorType(*zp).getElementType() != elem)
    return n.error() << "zero point '" << n.node.input(zpIndex) << "' type "
                     << tensorType(*zp).getElementType() << " differs from "
                     << elem;
  auto zpShaped = matrixParam(n, *zp, *v, perRow);
  if (failed(zpShaped))
    return failure();
  return binary<SubOp>(n, result, castTo(n, *zpShaped, i32));
}

/// numpy matmul of two i32 tensors as kiln.einsum (exact i32 accumulation).
/// Batch dims must agree where both operands have them.
static FailureOr<Value> integerMatmul(NodeImporter &n, Value a, Value b) {
  RankedTensorType at = tensorType(a), bt = tensorType(b);
  if (at.getRank() < 2 || bt.getRank() < 2)
    return n.error() << "operands must have rank >= 2, got " << at << " and "
                     << bt;
  if (!at.hasStaticShape() || !bt.hasStaticShape())
    return n.error() << "integer matmul needs static shapes, got " << at
                     << " and " << bt;
  int64_t batch = std::max(at.getRank(), bt.getRank()) - 2;
  if (batch > 20)
    return n.error() << "too many batch dims";
  std::string letters = "abcdefghijklmnopqrstuvwxyz";
  std::string batchLetters = letters.substr(0, batch);
  auto term = [&](RankedTensorType t, StringRef last2) {
    return batchLetters.substr(batch - (t.getRank() - 2)) + last2.str();
  };
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < batch; ++d) {
    int64_t ai = d - (batch - (at.getRank() - 2)),
            bi = d - (batch - (bt.getRank() - 2));
    int64_t as = ai >= 0 ? at.getDimSize(ai) : -1;
    int64_t bs = bi >= 0 ? bt.getDimSize(bi) : -1;
    if (as >= 0 && bs >= 0 && as != bs)
      return n.error() << "batch dims of " << at << " and " << bt
                       << " must agree (broadcasting them is not supported)";
    shape.push_back(std::max(as, bs));
  }
  shape.push_back(at.getDimSize(at.getRank() - 2));
  shape.push_back(bt.getDimSize(bt.getRank() - 1));
  std::string equation =
      term(at, "yz") + "," + term(bt, "zx") + "->" + batchLetters + "yx";
  return n.createTyped<EinsumOp>(
      RankedTensorType::get(shape, n.b.getI32Type()), {a, b},
      {n.namedAttr("equation", n.b.getStringAttr(equation))});
}

/// MatMulInteger(a, b, a_zp, b_zp) → einsum(i32(a) - a_zp, i32(b) - b_zp).
static LogicalResult convertMatMulInteger(NodeImporter &n) {
  if (failed(n.checkAttributes({})))
    return failure();
  auto a = centeredI32(n, 0, 2, /*perRow=*/true);
  auto b = centeredI32(n, 1, 3, /*perRow=*/false);
  if (failed(a) || failed(b))
    return failure();
  auto result = integerMatmul(n, *a, *b);
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// Requantizes the exact integer `acc` (f64) to the output type of zero
/// point input `yzpIndex` (else `fallback`'s): round(acc * factor + y_zp)
/// clamped, with `factor` (a_scale * b_scale / y_scale) computed in the
/// scales' type as the reference does.
static FailureOr<Value> requantize(NodeImporter &n, Value acc, Value factor,
                                   unsigned yzpIndex, Type fallback) {
  Type f64 = n.b.getF64Type();
  FailureOr<Value> d = binary<MulOp>(n, acc, castTo(n, factor, f64));
  Type out = fallback;
  if (n.hasInput(yzpIndex)) {
    auto yzp = n.input(yzpIndex);
    if (failed(yzp))
      return failure();
    out = tensorType(*yzp).getElementType();
    auto shaped = matrixParam(n, *yzp, acc, false);
    if (failed(shaped))
      return failure();
    d = binary<AddOp>(n, d, castTo(n, *shaped, f64));
  }
  auto range = quantRange(dataTypeOf(out));
  if (!range || !out.isInteger(8))
    return n.error() << "unsupported output type " << out
                     << " (int8 or uint8)";
  auto q = clip(n, roundEven(n, d), range->first, range->second);
  if (failed(q))
    return failure();
  return castTo(n, *q, out);
}

/// QLinearMatMul → requantize(einsum(a - a_zp, b - b_zp), a_scale * b_scale
/// / y_scale, y_zp).
static LogicalResult convertQLinearMatMul(NodeImporter &n) {
  if (failed(n.checkAttributes({})))
    return failure();
  auto a = centeredI32(n, 0, 2, /*perRow=*/true);
  auto b = centeredI32(n, 3, 5, /*perRow=*/false);
  auto aScale = n.input(1);
  auto bScale = n.input(4);
  auto yScale = n.input(6);
  if (failed(a) || failed(b) || failed(aScale) || failed(bScale) ||
      failed(yScale))
    return failure();
  auto acc = integerMatmul(n, *a, *b);
  if (failed(acc))
    return failure();
  auto factor = binary<DivOp>(
      n, binary<MulOp>(n, matrixParam(n, *aScale, *a, true),
                       matrixParam(n, *bScale, *b, false)),
      matrixParam(n, *yScale, *acc, false));
  auto accF = castTo(n, *acc, n.b.getF64Type());
  if (failed(factor) || failed(accF))
    return failure();
  auto aIn = n.input(0);
  auto result =
      requantize(n, *accF, *factor, 7, tensorType(*aIn).getElementType());
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// Input `i` (8-bit integers) as f64 minus the zero point input `zpIndex`:
/// per tensor, or (weights, `perChannel`) one per output channel.
static FailureOr<Value> centeredF64(NodeImporter &n, unsigned i,
                                    unsigned zpIndex, bool perChannel) {
  auto v = n.input(i);
  if (failed(v))
    return failure();
  RankedTensorType type = tensorType(*v);
  if (!type.getElementType().isInteger(8))
    return n.error() << "input '" << n.node.input(i)
                     << "' must be int8 or uint8, got " << type.getElementType();
  Type f64 = n.b.getF64Type();
  FailureOr<Value> result = castTo(n, *v, f64);
  if (!n.hasInput(zpIndex))
    return result;
  auto zp = n.input(zpIndex);
  if (failed(zp))
    return failure();
  RankedTensorType zpType = tensorType(*zp);
  FailureOr<Value> shaped = *zp;
  if (zpType.hasStaticShape() && zpType.getNumElements() == 1) {
    shaped = reshapeTo(n, *zp, {});
  } else if (perChannel && zpType.getRank() == 1) {
    SmallVector<int64_t> shape(type.getRank(), 1);
    shape[0] = zpType.getDimSize(0);
    shaped = reshapeTo(n, *zp, shape);
  } else {
    return n.error() << "zero point '" << n.node.input(zpIndex) << "' "
                     << zpType << " must be a scalar"
                     << (perChannel ? " or one per output channel" : "");
  }
  return binary<SubOp>(n, result, castTo(n, *shaped, f64));
}

static const SmallVector<StringRef> kConvAttributes = {
    "auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"};

/// ConvInteger(x, w, x_zp, w_zp) → i32(conv(f64(x) - x_zp, f64(w) - w_zp)).
static LogicalResult convertConvInteger(NodeImporter &n) {
  if (failed(n.checkAttributes(kConvAttributes)))
    return failure();
  auto x = centeredF64(n, 0, 2, false);
  auto w = centeredF64(n, 1, 3, true);
  if (failed(x) || failed(w))
    return failure();
  auto acc = createConv(n, {*x, *w});
  if (failed(acc))
    return failure();
  auto result = castTo(n, *acc, n.b.getI32Type());
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// One value per output channel of an N x M x ... conv result, shaped to
/// broadcast against it (per-tensor values become scalars).
static FailureOr<Value> channelParam(NodeImporter &n, Value param,
                                     int64_t rank) {
  RankedTensorType type = tensorType(param);
  if (type.hasStaticShape() && type.getNumElements() == 1)
    return reshapeTo(n, param, {});
  if (type.getRank() != 1)
    return n.error() << "expected a scalar or one value per output channel, "
                        "got "
                     << type;
  SmallVector<int64_t> shape(rank - 1, 1);
  shape[0] = type.getDimSize(0);
  return reshapeTo(n, param, shape);
}

/// QLinearConv → requantize(conv(x - x_zp, w - w_zp) + B, x_scale * w_scale
/// / y_scale, y_zp).
static LogicalResult convertQLinearConv(NodeImporter &n) {
  if (failed(n.checkAttributes(kConvAttributes)))
    return failure();
  auto x = centeredF64(n, 0, 2, false);
  auto w = centeredF64(n, 3, 5, true);
  auto xScale = n.input(1);
  auto wScale = n.input(4);
  auto yScale = n.input(6);
  if (failed(x) || failed(w) || failed(xScale) || failed(wScale) ||
      failed(yScale))
    return failure();
  auto acc = createConv(n, {*x, *w});
  if (failed(acc))
    return failure();
  int64_t rank = tensorType(*acc).getRank();
  if (n.hasInput(8)) {
    auto bias = n.input(8);
    if (failed(bias))
      return failure();
    if (!tensorType(*bias).getElementType().isInteger(32))
      return n.error() << "bias B must be int32";
    auto shaped = channelParam(n, *bias, rank);
    acc = binary<AddOp>(n, acc, castTo(n, *shaped, n.b.getF64Type()));
    if (failed(acc))
      return failure();
  }
  auto factor = binary<DivOp>(
      n,
      binary<MulOp>(n, channelParam(n, *xScale, rank),
                    channelParam(n, *wScale, rank)),
      channelParam(n, *yScale, rank));
  if (failed(factor))
    return failure();
  auto xIn = n.input(0);
  auto result =
      requantize(n, *acc, *factor, 7, tensorType(*xIn).getElementType());
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

void mlir::kiln::onnx::registerQuantizationOps(ConverterMap &map) {
  map["QuantizeLinear"] = convertQuantizeLinear;
  map["DequantizeLinear"] = convertDequantizeLinear;
  map["DynamicQuantizeLinear"] = convertDynamicQuantizeLinear;
  map["MatMulInteger"] = convertMatMulInteger;
  map["QLinearMatMul"] = convertQLinearMatMul;
  map["ConvInteger"] = convertConvInteger;
  map["QLinearConv"] = convertQLinearConv;
}
