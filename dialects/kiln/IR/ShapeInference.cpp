//===- ShapeInference.cpp - kiln result type inference --------------------===//
//
// inferReturnTypes for every kiln op whose result ONNX defines from operand
// shapes and attributes. Dynamic (symbolic) dims propagate as dynamic.
// Errors here surface as verifier failures naming the op.
//
//===----------------------------------------------------------------------===//

#include "dialects/kiln/IR/KilnOps.h"

#include "mlir/IR/Diagnostics.h"

using namespace mlir;
using namespace mlir::kiln;

static constexpr int64_t kDyn = ShapedType::kDynamic;

FailureOr<SmallVector<int64_t>>
mlir::kiln::broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == 1)
      out[i] = db;
    else if (db == 1)
      out[i] = da;
    else if (da == kDyn)
      out[i] = db;
    else if (db == kDyn || da == db)
      out[i] = da;
    else
      return failure();
  }
  return out;
}

int64_t mlir::kiln::slidingWindowOutputSize(int64_t in, int64_t kernel,
                                            int64_t stride, int64_t padBegin,
                                            int64_t padEnd, int64_t dilation,
                                            bool ceilMode) {
  if (in == kDyn)
    return kDyn;
  int64_t span = in + padBegin + padEnd - dilation * (kernel - 1) - 1;
  if (span < 0)
    return 0;
  int64_t out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
  // With ceil_mode, a last window that would start inside the end padding is
  // dropped (ONNX and PyTorch agree on this).
  if (ceilMode && (out - 1) * stride >= in + padBegin)
    --out;
  return out;
}

static LogicalResult emitInferError(std::optional<Location> loc,
                                    const Twine &msg) {
  return emitOptionalError(loc, msg);
}

/// While a custom-format op is parsed, its result type is inferred before
/// the op exists, and its inherent attributes are still in the attribute
/// dictionary (properties are filled in when the op is created). Reads an
/// inherent attribute from whichever holds it; null if absent.
template <typename AttrT, typename Adaptor>
static AttrT inherentAttr(Adaptor &adaptor, AttrT fromProperties,
                          StringRef name) {
  if (fromProperties)
    return fromProperties;
  DictionaryAttr attrs = adaptor.getAttributes();
  return attrs ? dyn_cast_or_null<AttrT>(attrs.get(name)) : AttrT();
}

template <typename Adaptor>
static LogicalResult inferBinary(std::optional<Location> loc, Adaptor adaptor,
                                 SmallVectorImpl<Type> &types) {
  auto lhs = cast<RankedTensorType>(adaptor.getLhs().getType());
  auto rhs = cast<RankedTensorType>(adaptor.getRhs().getType());
  auto shape = broadcastShapes(lhs.getShape(), rhs.getShape());
  if (failed(shape))
    return emitOptionalError(loc, "operands of types ", lhs, " and ", rhs,
                             " do not broadcast");
  types.push_back(RankedTensorType::get(*shape, lhs.getElementType()));
  return success();
}

#define KILN_BINARY_INFER(OP)                                                  \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location> loc, \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &types) {           \
    return inferBinary(loc, adaptor, types);                                   \
  }
KILN_BINARY_INFER(AddOp)
KILN_BINARY_INFER(SubOp)
KILN_BINARY_INFER(MulOp)
KILN_BINARY_INFER(DivOp)
#undef KILN_BINARY_INFER

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  auto type = dyn_cast<RankedTensorType>(adaptor.getValue().getType());
  if (!type)
    return emitInferError(loc, "constant value must be a ranked tensor");
  types.push_back(type);
  return success();
}

/// Checks that a window op's attributes fit `spatialRank` dims.
static LogicalResult verifyWindowAttrs(std::optional<Location> loc,
                                       int64_t spatialRank,
                                       ArrayRef<int64_t> kernel,
                                       ArrayRef<int64_t> strides,
                                       ArrayRef<int64_t> pads,
                                       ArrayRef<int64_t> dilations) {
  if ((int64_t)kernel.size() != spatialRank ||
      (int64_t)strides.size() != spatialRank ||
      (int64_t)dilations.size() != spatialRank ||
      (int64_t)pads.size() != 2 * spatialRank)
    return emitOptionalError(
        loc, "expected ", spatialRank, " kernel dims, strides and dilations and ",
        2 * spatialRank, " pads; got ", kernel.size(), ", ", strides.size(),
        ", ", dilations.size(), " and ", pads.size());
  for (int64_t i = 0; i < spatialRank; ++i) {
    if (strides[i] < 1 || dilations[i] < 1 || kernel[i] < 1)
      return emitOptionalError(loc, "kernel sizes, strides and dilations must "
                                    "be positive");
    if (pads[i] < 0 || pads[i + spatialRank] < 0)
      return emitOptionalError(loc, "pads must be non-negative");
  }
  return success();
}

static SmallVector<int64_t>
windowOutputShape(ArrayRef<int64_t> inShape, int64_t channels,
                  ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                  ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations,
                  bool ceilMode) {
  int64_t n = kernel.size();
  SmallVector<int64_t> out = {inShape[0], channels};
  for (int64_t i = 0; i < n; ++i)
    out.push_back(slidingWindowOutputSize(inShape[i + 2], kernel[i],
                                          strides[i], pads[i], pads[i + n],
                                          dilations[i], ceilMode));
  return out;
}

LogicalResult ConvOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto w = cast<RankedTensorType>(adaptor.getWeight().getType());
  if (in.getRank() < 3 || w.getRank() != in.getRank())
    return emitInferError(loc, "conv input and weight must have the same rank "
                               "(>= 3)");
  int64_t spatial = in.getRank() - 2;
  ArrayRef<int64_t> kernel = w.getShape().drop_front(2);
  if (llvm::is_contained(kernel, kDyn))
    return emitInferError(loc, "conv weight must have static spatial dims");
  if (failed(verifyWindowAttrs(loc, spatial, kernel, adaptor.getStrides(),
                               adaptor.getPads(), adaptor.getDilations())))
    return failure();
  int64_t group = adaptor.getGroup();
  int64_t c = in.getDimSize(1), m = w.getDimSize(0);
  if (group < 1)
    return emitInferError(loc, "group must be positive");
  if (c != kDyn && w.getDimSize(1) != kDyn && c != w.getDimSize(1) * group)
    return emitOptionalError(loc, "input has ", c, " channels but weight expects ",
                             w.getDimSize(1), " x group ", group);
  if (m != kDyn && m % group)
    return emitOptionalError(loc, "output channels ", m,
                             " not divisible by group ", group);
  if (adaptor.getBias()) {
    auto b = cast<RankedTensorType>(adaptor.getBias().getType());
    if (b.getRank() != 1 || (b.getDimSize(0) != kDyn && m != kDyn &&
                             b.getDimSize(0) != m))
      return emitOptionalError(loc, "bias must be 1-D of size ", m);
  }
  types.push_back(RankedTensorType::get(
      windowOutputShape(in.getShape(), m, kernel, adaptor.getStrides(),
                        adaptor.getPads(), adaptor.getDilations(), false),
      in.getElementType()));
  return success();
}

LogicalResult GemmOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  auto a = cast<RankedTensorType>(adaptor.getA().getType());
  auto b = cast<RankedTensorType>(adaptor.getB().getType());
  if (a.getRank() != 2 || b.getRank() != 2)
    return emitInferError(loc, "gemm operands must be 2-D");
  int64_t m = a.getDimSize(adaptor.getTransA() ? 1 : 0);
  int64_t ka = a.getDimSize(adaptor.getTransA() ? 0 : 1);
  int64_t kb = b.getDimSize(adaptor.getTransB() ? 1 : 0);
  int64_t n = b.getDimSize(adaptor.getTransB() ? 0 : 1);
  if (ka != kDyn && kb != kDyn && ka != kb)
    return emitOptionalError(loc, "gemm inner dims differ: ", ka, " vs ", kb);
  if (adaptor.getC()) {
    auto c = cast<RankedTensorType>(adaptor.getC().getType());
    auto bc = broadcastShapes({m, n}, c.getShape());
    if (c.getRank() > 2 || failed(bc) || (*bc)[0] != m || (*bc)[1] != n)
      return emitOptionalError(loc, "gemm C of type ", c,
                               " does not broadcast to ", m, "x", n);
  }
  types.push_back(RankedTensorType::get({m, n}, a.getElementType()));
  return success();
}

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto lhsType = cast<RankedTensorType>(adaptor.getLhs().getType());
  auto rhsType = cast<RankedTensorType>(adaptor.getRhs().getType());
  if (lhsType.getRank() < 1 || rhsType.getRank() < 1)
    return emitInferError(loc, "matmul operands must have rank >= 1");
  SmallVector<int64_t> lhs(lhsType.getShape()), rhs(rhsType.getShape());
  bool lhsVec = lhs.size() == 1, rhsVec = rhs.size() == 1;
  if (lhsVec)
    lhs.insert(lhs.begin(), 1);
  if (rhsVec)
    rhs.push_back(1);
  int64_t k1 = lhs.back(), k2 = rhs[rhs.size() - 2];
  if (k1 != kDyn && k2 != kDyn && k1 != k2)
    return emitOptionalError(loc, "matmul inner dims differ: ", k1, " vs ", k2);
  auto batch = broadcastShapes(ArrayRef(lhs).drop_back(2),
                               ArrayRef(rhs).drop_back(2));
  if (failed(batch))
    return emitInferError(loc, "matmul batch dims do not broadcast");
  SmallVector<int64_t> out = *batch;
  if (!lhsVec)
    out.push_back(lhs[lhs.size() - 2]);
  if (!rhsVec)
    out.push_back(rhs.back());
  types.push_back(RankedTensorType::get(out, lhsType.getElementType()));
  return success();
}

template <typename Adaptor>
static LogicalResult inferPool(std::optional<Location> loc, Adaptor adaptor,
                               SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  if (in.getRank() < 3)
    return emitInferError(loc, "pooling input must have rank >= 3");
  if (failed(verifyWindowAttrs(loc, in.getRank() - 2, adaptor.getKernelShape(),
                               adaptor.getStrides(), adaptor.getPads(),
                               adaptor.getDilations())))
    return failure();
  types.push_back(RankedTensorType::get(
      windowOutputShape(in.getShape(), in.getDimSize(1),
                        adaptor.getKernelShape(), adaptor.getStrides(),
                        adaptor.getPads(), adaptor.getDilations(),
                        adaptor.getCeilMode()),
      in.getElementType()));
  return success();
}

LogicalResult MaxPoolOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  return inferPool(loc, adaptor, types);
}

LogicalResult AvgPoolOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  return inferPool(loc, adaptor, types);
}

LogicalResult GlobalAvgPoolOp::inferReturnTypes(MLIRContext *,
                                                std::optional<Location> loc,
                                                Adaptor adaptor,
                                                SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  if (in.getRank() < 3)
    return emitInferError(loc, "global_avg_pool input must have rank >= 3");
  SmallVector<int64_t> out(in.getShape().take_front(2));
  out.append(in.getRank() - 2, 1);
  types.push_back(RankedTensorType::get(out, in.getElementType()));
  return success();
}

LogicalResult ReduceMeanOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto axesAttr = inherentAttr(adaptor, adaptor.getProperties().axes, "axes");
  auto keepdims =
      inherentAttr(adaptor, adaptor.getProperties().keepdims, "keepdims");
  if (!axesAttr || !keepdims)
    return emitInferError(loc, "reduce_mean needs 'axes' and 'keepdims'");
  ArrayRef<int64_t> axes = axesAttr.asArrayRef();
  for (size_t i = 0; i < axes.size(); ++i)
    if (axes[i] < 0 || axes[i] >= in.getRank() || (i && axes[i] <= axes[i - 1]))
      return emitInferError(loc, "reduce axes must be sorted, unique and in "
                                 "[0, rank)");
  SmallVector<int64_t> out;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    if (!llvm::is_contained(axes, d))
      out.push_back(in.getDimSize(d));
    else if (keepdims.getValue())
      out.push_back(1);
  }
  types.push_back(RankedTensorType::get(out, in.getElementType()));
  return success();
}

LogicalResult BatchNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  if (in.getRank() < 2)
    return emitInferError(loc, "batch_norm input must have rank >= 2");
  int64_t c = in.getDimSize(1);
  for (Value v : {adaptor.getScale(), adaptor.getBias(), adaptor.getMean(),
                  adaptor.getVariance()}) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() != 1 || (c != kDyn && t.getDimSize(0) != kDyn &&
                             t.getDimSize(0) != c))
      return emitOptionalError(loc, "batch_norm parameters must be 1-D of size ",
                               c, ", got ", t);
  }
  types.push_back(in);
  return success();
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto permAttr = inherentAttr(adaptor, adaptor.getProperties().perm, "perm");
  if (!permAttr)
    return emitInferError(loc, "transpose needs 'perm'");
  ArrayRef<int64_t> perm = permAttr.asArrayRef();
  if ((int64_t)perm.size() != in.getRank())
    return emitOptionalError(loc, "perm has ", perm.size(),
                             " entries for rank ", in.getRank());
  SmallVector<bool> seen(perm.size(), false);
  SmallVector<int64_t> out;
  for (int64_t p : perm) {
    if (p < 0 || p >= in.getRank() || seen[p])
      return emitInferError(loc, "perm is not a permutation");
    seen[p] = true;
    out.push_back(in.getDimSize(p));
  }
  types.push_back(RankedTensorType::get(out, in.getElementType()));
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  if (adaptor.getInputs().empty())
    return emitInferError(loc, "concat needs at least one input");
  auto first = cast<RankedTensorType>(adaptor.getInputs()[0].getType());
  auto axisAttr = inherentAttr(adaptor, adaptor.getProperties().axis, "axis");
  if (!axisAttr)
    return emitInferError(loc, "concat needs 'axis'");
  int64_t axis = axisAttr.getInt();
  if (axis < 0 || axis >= first.getRank())
    return emitOptionalError(loc, "concat axis ", axis, " out of range");
  SmallVector<int64_t> out(first.getShape());
  out[axis] = 0;
  for (Value v : adaptor.getInputs()) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() != first.getRank() ||
        t.getElementType() != first.getElementType())
      return emitInferError(loc, "concat inputs differ in rank or element type");
    for (int64_t d = 0; d < t.getRank(); ++d) {
      if (d == axis) {
        out[d] = (out[d] == kDyn || t.getDimSize(d) == kDyn)
                     ? kDyn
                     : out[d] + t.getDimSize(d);
      } else if (t.getDimSize(d) != kDyn && out[d] != kDyn &&
                 t.getDimSize(d) != out[d]) {
        return emitOptionalError(loc, "concat inputs differ in dim ", d);
      }
    }
  }
  types.push_back(RankedTensorType::get(out, first.getElementType()));
  return success();
}
