//===- TransformerShapeInference.cpp - reduction/norm op types, verifiers -===//
//
// Result types and verifiers of the ops in KilnTransformerOps.td: reductions
// drop (or keep as 1) their axes, arg reductions give i64, normalize keeps
// its input type and checks that scale/bias broadcast to it.
//
//===----------------------------------------------------------------------===//

#include "dialects/kiln/IR/KilnOps.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::kiln;

/// The attribute from the properties, or (when inferring from a dictionary)
/// from the attribute dictionary.
template <typename AttrT, typename Adaptor>
static AttrT attrOf(Adaptor &adaptor, AttrT fromProperties, StringRef name) {
  if (fromProperties)
    return fromProperties;
  DictionaryAttr attrs = adaptor.getAttributes();
  return attrs ? dyn_cast_or_null<AttrT>(attrs.get(name)) : AttrT();
}

static LogicalResult checkAxes(std::optional<Location> loc,
                               ArrayRef<int64_t> axes, int64_t rank) {
  for (size_t i = 0; i < axes.size(); ++i)
    if (axes[i] < 0 || axes[i] >= rank || (i && axes[i] <= axes[i - 1]))
      return emitOptionalError(loc, "axes must be sorted, unique and in [0, ",
                               rank, ")");
  return success();
}

static SmallVector<int64_t> reducedShape(ArrayRef<int64_t> shape,
                                         ArrayRef<int64_t> axes,
                                         bool keepdims) {
  SmallVector<int64_t> out;
  for (int64_t d = 0; d < int64_t(shape.size()); ++d) {
    if (!llvm::is_contained(axes, d))
      out.push_back(shape[d]);
    else if (keepdims)
      out.push_back(1);
  }
  return out;
}

LogicalResult ReduceOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto axes = attrOf(adaptor, adaptor.getProperties().axes, "axes");
  auto keepdims = attrOf(adaptor, adaptor.getProperties().keepdims, "keepdims");
  if (!axes || !keepdims)
    return emitOptionalError(loc, "reduce needs 'axes' and 'keepdims'");
  if (failed(checkAxes(loc, axes.asArrayRef(), in.getRank())))
    return failure();
  types.push_back(RankedTensorType::get(
      reducedShape(in.getShape(), axes.asArrayRef(), keepdims.getValue()),
      in.getElementType()));
  return success();
}

/// A known reduction `kind` whose element type suits it (integers only for
/// the kinds that reduce exactly).
static LogicalResult verifyReductionKind(Operation *op, StringRef kind,
                                         Type elem) {
  static constexpr StringRef kinds[] = {
      "sum", "mean", "max", "min", "prod", "l1", "l2", "log_sum",
      "log_sum_exp", "sum_square"};
  if (!llvm::is_contained(kinds, kind))
    return op->emitOpError("unknown reduction kind '") << kind << "'";
  bool exactKind = llvm::is_contained(
      ArrayRef<StringRef>{"sum", "max", "min", "prod", "l1", "sum_square"},
      kind);
  if (!isa<FloatType>(elem) && !exactKind)
    return op->emitOpError("reduction '")
           << kind << "' needs a float element type, got " << elem;
  return success();
}

LogicalResult ReduceOp::verify() {
  return verifyReductionKind(*this, getKind(),
                             getInput().getType().getElementType());
}

/// The result shape of reducing `k` axes of `shape` chosen at run time: a
/// dim is static only where every choice gives the same size.
static SmallVector<int64_t> runtimeReducedShape(ArrayRef<int64_t> shape,
                                                int64_t k, bool keepdims) {
  int64_t rank = shape.size();
  SmallVector<int64_t> out;
  if (keepdims) {
    // Every dim may be reduced to 1 unless all are.
    for (int64_t size : shape)
      out.push_back(size == 1 || k == rank ? 1 : ShapedType::kDynamic);
    return out;
  }
  // Kept dim j is one of input dims j .. j + k.
  for (int64_t j = 0; j < rank - k; ++j) {
    ArrayRef<int64_t> candidates = shape.slice(j, k + 1);
    bool same = llvm::all_equal(candidates) &&
                !ShapedType::isDynamic(candidates.front());
    out.push_back(same ? candidates.front() : ShapedType::kDynamic);
  }
  return out;
}

LogicalResult ReduceDynamicAxesOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto axesType = cast<RankedTensorType>(adaptor.getAxes().getType());
  auto keepdims = attrOf(adaptor, adaptor.getProperties().keepdims, "keepdims");
  if (!keepdims)
    return emitOptionalError(loc, "reduce_dynamic_axes needs 'keepdims'");
  if (axesType.getRank() != 1 || axesType.isDynamicDim(0) ||
      !axesType.getElementType().isSignlessInteger() ||
      axesType.getElementType().isInteger(1))
    return emitOptionalError(
        loc, "axes must be a 1-D integer tensor of static size, got ",
        axesType);
  int64_t k = axesType.getDimSize(0);
  if (k < 1 || k > in.getRank())
    return emitOptionalError(loc, "the number of axes (", k,
                             ") must be in [1, ", in.getRank(), "]");
  types.push_back(RankedTensorType::get(
      runtimeReducedShape(in.getShape(), k, keepdims.getValue()),
      in.getElementType()));
  return success();
}

LogicalResult ReduceDynamicAxesOp::verify() {
  return verifyReductionKind(*this, getKind(),
                             getInput().getType().getElementType());
}

LogicalResult ArgReduceOp::inferReturnTypes(MLIRContext *ctx,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto axis = attrOf(adaptor, adaptor.getProperties().axis, "axis");
  auto keepdims = attrOf(adaptor, adaptor.getProperties().keepdims, "keepdims");
  if (!axis || !keepdims)
    return emitOptionalError(loc, "arg_reduce needs 'axis' and 'keepdims'");
  int64_t a = axis.getInt();
  if (a < 0 || a >= in.getRank())
    return emitOptionalError(loc, "axis ", a, " out of range for rank ",
                             in.getRank());
  types.push_back(RankedTensorType::get(
      reducedShape(in.getShape(), {a}, keepdims.getValue()),
      IntegerType::get(ctx, 64)));
  return success();
}

LogicalResult ArgReduceOp::verify() {
  if (getKind() != "max" && getKind() != "min")
    return emitOpError("kind must be 'max' or 'min', got '") << getKind()
                                                             << "'";
  return success();
}

template <typename OpT>
static LogicalResult verifySoftmaxLike(OpT op) {
  int64_t rank = op.getInput().getType().getRank();
  int64_t axis = op.getAxis();
  if (axis < 0 || axis >= rank)
    return op.emitOpError("axis ")
           << op.getAxis() << " out of range for rank " << rank;
  if (!isa<FloatType>(op.getInput().getType().getElementType()))
    return op.emitOpError("needs a float element type");
  return success();
}

LogicalResult LogSoftmaxOp::verify() { return verifySoftmaxLike(*this); }
LogicalResult HardmaxOp::verify() { return verifySoftmaxLike(*this); }

LogicalResult NormalizeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  for (Value param : {adaptor.getScale(), adaptor.getBias()}) {
    if (!param)
      continue;
    auto type = cast<RankedTensorType>(param.getType());
    auto shape = broadcastShapes(in.getShape(), type.getShape());
    if (failed(shape) || ArrayRef<int64_t>(*shape) != in.getShape())
      return emitOptionalError(loc, "normalize parameter ", type,
                               " does not broadcast to ", in);
  }
  types.push_back(in);
  return success();
}

LogicalResult NormalizeOp::verify() {
  RankedTensorType type = getInput().getType();
  if (!isa<FloatType>(type.getElementType()))
    return emitOpError("needs a float element type, got ")
           << type.getElementType();
  if (getAxes().empty())
    return emitOpError("needs at least one axis");
  if (failed(checkAxes(getLoc(), getAxes(), type.getRank())))
    return failure();
  for (Value param : {getScale(), getBias()})
    if (param && cast<RankedTensorType>(param.getType()).getElementType() !=
                     type.getElementType())
      return emitOpError("parameter element type differs from the input's");
  return success();
}

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto q = cast<RankedTensorType>(adaptor.getQ().getType());
  auto k = cast<RankedTensorType>(adaptor.getK().getType());
  auto v = cast<RankedTensorType>(adaptor.getV().getType());
  if (q.getRank() != 4 || k.getRank() != 4 || v.getRank() != 4)
    return emitOptionalError(loc, "attention operands must be 4-D");
  if (!q.hasStaticShape() || !k.hasStaticShape() || !v.hasStaticShape())
    return emitOptionalError(loc, "attention operands must be static");
  int64_t hq = q.getDimSize(1), hkv = k.getDimSize(1);
  if (k.getDimSize(0) != q.getDimSize(0) || v.getDimSize(0) != q.getDimSize(0))
    return emitOptionalError(loc, "attention batch sizes differ");
  if (k.getDimSize(3) != q.getDimSize(3))
    return emitOptionalError(loc, "attention q and k head sizes differ: ",
                             q.getDimSize(3), " vs ", k.getDimSize(3));
  if (v.getDimSize(1) != hkv || v.getDimSize(2) != k.getDimSize(2))
    return emitOptionalError(loc, "attention k and v disagree in heads or "
                                  "sequence length");
  if (hkv <= 0 || hq % hkv != 0)
    return emitOptionalError(loc, "attention: ", hq,
                             " query heads are not a multiple of ", hkv,
                             " kv heads");
  if (Value mask = adaptor.getMask()) {
    auto m = cast<RankedTensorType>(mask.getType());
    SmallVector<int64_t> scores = {q.getDimSize(0), hq, q.getDimSize(2),
                                   k.getDimSize(2)};
    auto shape = broadcastShapes(scores, m.getShape());
    if (m.getRank() != 4 || failed(shape) ||
        ArrayRef<int64_t>(*shape) != ArrayRef<int64_t>(scores))
      return emitOptionalError(loc, "attention mask ", m,
                               " is not 4-D or does not broadcast to the "
                               "scores");
  }
  if (Value lengths = adaptor.getKvSeqlen()) {
    auto l = cast<RankedTensorType>(lengths.getType());
    if (l.getRank() != 1 || l.getDimSize(0) != q.getDimSize(0) ||
        !l.getElementType().isInteger(64))
      return emitOptionalError(loc, "attention kv_seqlen ", l,
                               " is not i64 of the batch size");
  }
  types.push_back(RankedTensorType::get(
      {q.getDimSize(0), hq, q.getDimSize(2), v.getDimSize(3)},
      q.getElementType()));
  if (std::optional<int64_t> mode = adaptor.getQkMode()) {
    if (*mode < 0 || *mode > 3)
      return emitOptionalError(loc, "attention qk_mode ", *mode,
                               " is not in [0, 3]");
    types.push_back(RankedTensorType::get(
        {q.getDimSize(0), hq, q.getDimSize(2), k.getDimSize(2)},
        q.getElementType()));
  }
  return success();
}

LogicalResult RotaryEmbeddingOp::verify() {
  RankedTensorType x = getInput().getType();
  auto cos = cast<RankedTensorType>(getCos().getType());
  auto sin = cast<RankedTensorType>(getSin().getType());
  if (x.getRank() != 4 || !x.hasStaticShape())
    return emitOpError("input must be static 4-D, got ") << x;
  int64_t rd = getRotaryDim();
  if (rd <= 0 || rd % 2 != 0 || rd > x.getDimSize(3))
    return emitOpError("rotary_dim ")
           << rd << " must be even and within the head size "
           << x.getDimSize(3);
  if (cos != sin)
    return emitOpError("cos ") << cos << " and sin " << sin << " differ";
  if (cos.getElementType() != x.getElementType())
    return emitOpError("cos/sin element type differs from the input's");
  if (cos.getRank() == 0 || cos.getDimSize(cos.getRank() - 1) != rd / 2)
    return emitOpError("cos/sin last dim must be rotary_dim / 2 = ") << rd / 2;
  if (Value ids = getPositionIds()) {
    auto idsType = cast<RankedTensorType>(ids.getType());
    if (cos.getRank() != 2 || idsType.getRank() != 2 ||
        !idsType.getElementType().isInteger(64) ||
        idsType.getDimSize(0) != x.getDimSize(0) ||
        idsType.getDimSize(1) != x.getDimSize(2))
      return emitOpError("position_ids must be i64 B x S with 2-D caches");
    return success();
  }
  if (cos.getRank() != 3 || cos.getDimSize(0) != x.getDimSize(0) ||
      cos.getDimSize(1) != x.getDimSize(2))
    return emitOpError("without position_ids cos/sin must be B x S x ")
           << rd / 2;
  return success();
}

LogicalResult EinsumOp::verify() {
  StringRef eq = getEquation();
  if (!eq.contains("->"))
    return emitOpError("equation must be explicit (contain '->')");
  auto [lhs, out] = eq.split("->");
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if (terms.size() != getInputs().size())
    return emitOpError("equation has ")
           << terms.size() << " input terms for " << getInputs().size()
           << " inputs";
  llvm::DenseMap<char, int64_t> sizes;
  for (auto [term, input] : llvm::zip(terms, getInputs())) {
    auto type = cast<RankedTensorType>(input.getType());
    if (int64_t(term.size()) != type.getRank())
      return emitOpError("term '") << term << "' does not match " << type;
    for (auto [c, size] : llvm::zip(term, type.getShape())) {
      if (!llvm::isAlpha(c))
        return emitOpError("unexpected '") << c << "' in equation";
      auto [it, inserted] = sizes.try_emplace(c, size);
      if (!inserted && it->second != size)
        return emitOpError("index '") << c << "' has sizes " << it->second
                                      << " and " << size;
    }
  }
  auto result = cast<RankedTensorType>(getType());
  if (int64_t(out.size()) != result.getRank())
    return emitOpError("output term '") << out << "' does not match "
                                        << result;
  for (auto [c, size] : llvm::zip(out, result.getShape())) {
    auto it = sizes.find(c);
    if (it == sizes.end() || it->second != size)
      return emitOpError("output index '") << c << "' has no matching input dim";
  }
  return success();
}

LogicalResult NormStatsOp::verify() {
  RankedTensorType type = getInput().getType();
  if (!isa<FloatType>(type.getElementType()))
    return emitOpError("needs a float element type, got ")
           << type.getElementType();
  if (getAxes().empty())
    return emitOpError("needs at least one axis");
  if (failed(checkAxes(getLoc(), getAxes(), type.getRank())))
    return failure();
  SmallVector<int64_t> shape =
      reducedShape(type.getShape(), getAxes(), /*keepdims=*/true);
  for (Type result : getResultTypes()) {
    auto r = cast<RankedTensorType>(result);
    if (r.getShape() != ArrayRef<int64_t>(shape) ||
        !isa<FloatType>(r.getElementType()))
      return emitOpError("result ")
             << r << " must be float with the reduced axes kept as 1";
  }
  return success();
}
