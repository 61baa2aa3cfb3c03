//===- DataMovementOps.cpp - kiln indexing ops: types, verifiers, folds ---===//
//
// Result type inference and verifiers of the data movement ops, and their
// constant folders. Folding is what turns shape subgraphs into constants at
// import: every folder copies elements by index (bytes for most dtypes, so it
// is dtype-agnostic) and gives up above kMaxFoldElements so that weights are
// never duplicated into the IR.
//
//===----------------------------------------------------------------------===//

#include "dialects/kiln/IR/KilnOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::kiln;

static constexpr int64_t kDyn = ShapedType::kDynamic;

/// Folders do not produce constants larger than this (elements).
static constexpr int64_t kMaxFoldElements = 1 << 16;

template <typename AttrT, typename Adaptor>
static AttrT inherentAttr(Adaptor &adaptor, AttrT fromProperties,
                          StringRef name) {
  if (fromProperties)
    return fromProperties;
  DictionaryAttr attrs = adaptor.getAttributes();
  return attrs ? dyn_cast_or_null<AttrT>(attrs.get(name)) : AttrT();
}

static bool isIndexType(Type t) {
  return t.isSignlessInteger(32) || t.isSignlessInteger(64);
}

/// `statics` with each kDynamic entry replaced by the next of `dynamic`.
static SmallVector<OpFoldResult> mixedValues(ArrayRef<int64_t> statics,
                                             ValueRange dynamic,
                                             MLIRContext *ctx) {
  Builder b(ctx);
  SmallVector<OpFoldResult> mixed;
  unsigned next = 0;
  for (int64_t v : statics)
    mixed.push_back(v == kDyn ? OpFoldResult(dynamic[next++])
                              : OpFoldResult(b.getIndexAttr(v)));
  return mixed;
}

/// Number of kDynamic entries.
static int64_t countDynamic(ArrayRef<int64_t> values) {
  return llvm::count(values, kDyn);
}

//===----------------------------------------------------------------------===//
// Constant folding by index mapping
//===----------------------------------------------------------------------===//

/// Row-major strides of `shape`.
static SmallVector<int64_t> rowMajorStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = int64_t(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/// Which source (operand number) and which element of it result element
/// `index` (a multi-index) reads; a negative source means "out of range".
using SourceFn =
    function_ref<std::pair<int, int64_t>(ArrayRef<int64_t> index)>;

/// Builds a constant of `type` whose elements are picked from `sources` by
/// `pick`; null if a source is not a dense constant, the result is too big,
/// or an index is out of range.
static Attribute foldByIndex(RankedTensorType type,
                             ArrayRef<Attribute> sources, SourceFn pick) {
  if (!type.hasStaticShape() || type.getNumElements() > kMaxFoldElements)
    return {};
  SmallVector<DenseElementsAttr> dense;
  for (Attribute a : sources) {
    auto d = dyn_cast_or_null<DenseElementsAttr>(a);
    if (!d)
      return {};
    dense.push_back(d);
  }
  // One splat source: the result is the same splat.
  if (dense.size() == 1 && dense[0].isSplat())
    return DenseElementsAttr::get(type, dense[0].getSplatValue<Attribute>());
  ArrayRef<int64_t> shape = type.getShape();
  int64_t n = type.getNumElements();
  Type elementType = type.getElementType();
  bool isBool = elementType.isInteger(1);
  unsigned bytes = (elementType.getIntOrFloatBitWidth() + 7) / 8;
  SmallVector<char> raw(isBool ? 0 : n * bytes);
  SmallVector<bool> bools;
  SmallVector<int64_t> index(shape.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    auto [src, elem] = pick(index);
    if (src < 0 || elem < 0 || elem >= dense[src].getNumElements())
      return {};
    DenseElementsAttr s = dense[src];
    int64_t at = s.isSplat() ? 0 : elem;
    if (isBool)
      bools.push_back(*(s.getValues<bool>().begin() + at));
    else
      std::memcpy(raw.data() + i * bytes, s.getRawData().data() + at * bytes,
                  bytes);
    for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
  if (isBool)
    return DenseElementsAttr::get(type, ArrayRef<bool>(bools));
  return DenseElementsAttr::getFromRawBuffer(type, raw);
}

/// Integer values of a dense constant (nullopt if not one).
static std::optional<SmallVector<int64_t>> intValues(Attribute attr) {
  auto dense = dyn_cast_or_null<DenseIntElementsAttr>(attr);
  if (!dense || dense.getNumElements() > kMaxFoldElements)
    return std::nullopt;
  SmallVector<int64_t> values;
  for (const APInt &v : dense.getValues<APInt>())
    values.push_back(v.getSExtValue());
  return values;
}

//===----------------------------------------------------------------------===//
// transpose, concat
//===----------------------------------------------------------------------===//

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  auto type = cast<RankedTensorType>(getType());
  ArrayRef<int64_t> perm = getPerm();
  if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
    return getInput();
  SmallVector<int64_t> inStrides =
      rowMajorStrides(getInput().getType().getShape());
  return foldByIndex(type, {adaptor.getInput()}, [&](ArrayRef<int64_t> idx) {
    int64_t at = 0;
    for (auto [d, p] : llvm::enumerate(perm))
      at += idx[d] * inStrides[p];
    return std::make_pair(0, at);
  });
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1 && getInputs()[0].getType() == getType())
    return getInputs()[0];
  int64_t axis = getAxis();
  SmallVector<int64_t> starts;
  SmallVector<SmallVector<int64_t>> strides;
  int64_t start = 0;
  for (Value v : getInputs()) {
    auto t = cast<RankedTensorType>(v.getType());
    if (!t.hasStaticShape())
      return {};
    starts.push_back(start);
    start += t.getDimSize(axis);
    strides.push_back(rowMajorStrides(t.getShape()));
  }
  return foldByIndex(cast<RankedTensorType>(getType()), adaptor.getInputs(),
                     [&](ArrayRef<int64_t> idx) {
                       int src = starts.size() - 1;
                       while (src > 0 && starts[src] > idx[axis])
                         --src;
                       int64_t at = 0;
                       for (size_t d = 0; d < idx.size(); ++d)
                         at += (d == size_t(axis) ? idx[d] - starts[src]
                                                  : idx[d]) *
                               strides[src][d];
                       return std::make_pair(src, at);
                     });
}

//===----------------------------------------------------------------------===//
// gather
//===----------------------------------------------------------------------===//

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto data = cast<RankedTensorType>(adaptor.getData().getType());
  auto indices = cast<RankedTensorType>(adaptor.getIndices().getType());
  auto axisAttr = inherentAttr(adaptor, adaptor.getProperties().axis, "axis");
  if (!axisAttr)
    return emitOptionalError(loc, "gather needs 'axis'");
  int64_t axis = axisAttr.getInt();
  if (axis < 0 || axis >= data.getRank())
    return emitOptionalError(loc, "gather axis ", axis,
                             " out of range for rank ", data.getRank());
  if (!isIndexType(indices.getElementType()))
    return emitOptionalError(loc, "gather indices must be i32 or i64, got ",
                             indices.getElementType());
  SmallVector<int64_t> shape(data.getShape().take_front(axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, data.getShape().drop_front(axis + 1));
  types.push_back(RankedTensorType::get(shape, data.getElementType()));
  return success();
}

OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  auto indices = intValues(adaptor.getIndices());
  RankedTensorType dataType = getData().getType();
  if (!indices || !dataType.hasStaticShape())
    return {};
  int64_t axis = getAxis();
  int64_t extent = dataType.getDimSize(axis);
  SmallVector<int64_t> dataStrides = rowMajorStrides(dataType.getShape());
  SmallVector<int64_t> idxStrides =
      rowMajorStrides(getIndices().getType().getShape());
  int64_t idxRank = getIndices().getType().getRank();
  return foldByIndex(cast<RankedTensorType>(getType()), {adaptor.getData()},
                     [&](ArrayRef<int64_t> idx) {
                       int64_t flat = 0;
                       for (int64_t d = 0; d < idxRank; ++d)
                         flat += idx[axis + d] * idxStrides[d];
                       int64_t i = (*indices)[flat];
                       if (i < 0)
                         i += extent;
                       if (i < 0 || i >= extent)
                         return std::make_pair(-1, int64_t(0));
                       int64_t at = i * dataStrides[axis];
                       for (int64_t d = 0; d < axis; ++d)
                         at += idx[d] * dataStrides[d];
                       for (int64_t d = axis + 1; d < dataType.getRank(); ++d)
                         at += idx[d - 1 + idxRank] * dataStrides[d];
                       return std::make_pair(0, at);
                     });
}

LogicalResult GatherElementsOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  auto data = cast<RankedTensorType>(adaptor.getData().getType());
  auto indices = cast<RankedTensorType>(adaptor.getIndices().getType());
  auto axisAttr = inherentAttr(adaptor, adaptor.getProperties().axis, "axis");
  if (!axisAttr)
    return emitOptionalError(loc, "gather_elements needs 'axis'");
  int64_t axis = axisAttr.getInt();
  if (axis < 0 || axis >= data.getRank() || indices.getRank() != data.getRank())
    return emitOptionalError(loc, "gather_elements needs indices of the data's "
                                  "rank and an axis in range");
  if (!isIndexType(indices.getElementType()))
    return emitOptionalError(loc, "gather_elements indices must be i32 or i64");
  types.push_back(
      RankedTensorType::get(indices.getShape(), data.getElementType()));
  return success();
}

LogicalResult GatherNDOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  auto data = cast<RankedTensorType>(adaptor.getData().getType());
  auto indices = cast<RankedTensorType>(adaptor.getIndices().getType());
  auto batchAttr = inherentAttr(adaptor, adaptor.getProperties().batch_dims,
                                "batch_dims");
  if (!batchAttr)
    return emitOptionalError(loc, "gather_nd needs 'batch_dims'");
  int64_t b = batchAttr.getInt();
  if (!isIndexType(indices.getElementType()))
    return emitOptionalError(loc, "gather_nd indices must be i32 or i64");
  if (indices.getRank() < 1 || indices.isDynamicDim(indices.getRank() - 1))
    return emitOptionalError(loc, "gather_nd needs a static last indices dim");
  int64_t k = indices.getShape().back();
  if (b < 0 || b >= indices.getRank() || b + k > data.getRank())
    return emitOptionalError(loc, "gather_nd batch_dims ", b, " and tuple size ",
                             k, " do not fit data rank ", data.getRank());
  SmallVector<int64_t> shape(indices.getShape().drop_back());
  llvm::append_range(shape, data.getShape().drop_front(b + k));
  types.push_back(RankedTensorType::get(shape, data.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// slice
//===----------------------------------------------------------------------===//

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto sizes = inherentAttr(adaptor, adaptor.getProperties().sizes, "sizes");
  if (!sizes)
    return emitOptionalError(loc, "slice needs 'sizes'");
  if (int64_t(sizes.size()) != in.getRank())
    return emitOptionalError(loc, "slice has ", sizes.size(),
                             " sizes for rank ", in.getRank());
  types.push_back(RankedTensorType::get(sizes.asArrayRef(),
                                        in.getElementType()));
  return success();
}

SmallVector<OpFoldResult> SliceOp::getMixedOffsets() {
  return mixedValues(getOffsets(),
                     getDynamicBounds().take_front(countDynamic(getOffsets())),
                     getContext());
}

SmallVector<OpFoldResult> SliceOp::getMixedSizes() {
  return mixedValues(getSizes(),
                     getDynamicBounds()
                         .drop_front(countDynamic(getOffsets()))
                         .take_front(countDynamic(getSizes())),
                     getContext());
}

SmallVector<OpFoldResult> SliceOp::getMixedStrides() {
  return mixedValues(getStrides(),
                     getDynamicBounds().take_back(countDynamic(getStrides())),
                     getContext());
}

LogicalResult SliceOp::verify() {
  RankedTensorType in = getInput().getType();
  ArrayRef<int64_t> offsets = getOffsets(), sizes = getSizes(),
                    strides = getStrides();
  if (int64_t(offsets.size()) != in.getRank() ||
      int64_t(strides.size()) != in.getRank())
    return emitOpError("needs one offset, size and stride per dim");
  int64_t dynamic =
      countDynamic(offsets) + countDynamic(sizes) + countDynamic(strides);
  if (int64_t(getDynamicBounds().size()) != dynamic)
    return emitOpError("has ") << getDynamicBounds().size()
                               << " dynamic bounds for " << dynamic
                               << " dynamic offsets, sizes and strides";
  for (int64_t d = 0; d < in.getRank(); ++d) {
    int64_t dim = in.getDimSize(d);
    if (strides[d] == 0)
      return emitOpError("stride of dim ") << d << " is zero";
    if (sizes[d] != kDyn && sizes[d] < 0)
      return emitOpError("negative size of dim ") << d;
    if (offsets[d] == kDyn || sizes[d] == kDyn || strides[d] == kDyn ||
        sizes[d] == 0 || dim == kDyn)
      continue;
    int64_t last = offsets[d] + (sizes[d] - 1) * strides[d];
    if (offsets[d] < 0 || offsets[d] >= dim || last < 0 || last >= dim)
      return emitOpError("dim ") << d << " reads [" << offsets[d] << ", "
                                 << last << "] outside [0, " << dim << ")";
  }
  return success();
}

/// Whether `size` is `tensor.dim` of `source` at `dim` (the name keeps the
/// IR dialect free of a tensor dialect dependency).
static bool isDimOf(Value size, Value source, int64_t dim) {
  Operation *def = size.getDefiningOp();
  if (!def || def->getName().getStringRef() != "tensor.dim" ||
      def->getOperand(0) != source)
    return false;
  Attribute index;
  if (!matchPattern(def->getOperand(1), m_Constant(&index)))
    return false;
  auto intAttr = dyn_cast<IntegerAttr>(index);
  return intAttr && intAttr.getInt() == dim;
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  RankedTensorType in = getInput().getType();
  bool whole = in == getType() &&
               llvm::all_of(getOffsets(), [](int64_t o) { return o == 0; }) &&
               llvm::all_of(getStrides(), [](int64_t s) { return s == 1; });
  if (whole) {
    for (auto [d, size] : llvm::enumerate(getMixedSizes()))
      if (auto v = dyn_cast<Value>(size); v && !isDimOf(v, getInput(), d))
        whole = false;
    if (whole)
      return getInput();
  }
  if (!in.hasStaticShape() || !getDynamicBounds().empty())
    return {};
  SmallVector<int64_t> inStrides = rowMajorStrides(in.getShape());
  ArrayRef<int64_t> offsets = getOffsets(), strides = getStrides();
  return foldByIndex(cast<RankedTensorType>(getType()), {adaptor.getInput()},
                     [&](ArrayRef<int64_t> idx) {
                       int64_t at = 0;
                       for (size_t d = 0; d < idx.size(); ++d)
                         at += (offsets[d] + idx[d] * strides[d]) * inStrides[d];
                       return std::make_pair(0, at);
                     });
}

//===----------------------------------------------------------------------===//
// expand
//===----------------------------------------------------------------------===//

LogicalResult ExpandOp::verify() {
  RankedTensorType in = getInput().getType();
  auto out = cast<RankedTensorType>(getType());
  if (in.getElementType() != out.getElementType())
    return emitOpError("element type changes from ")
           << in.getElementType() << " to " << out.getElementType();
  auto shape = broadcastShapes(in.getShape(), out.getShape());
  if (!getSizes().empty()) {
    // Run-time sizes: only the rank and the static dims are checked.
    if (int64_t(getSizes().size()) != out.getNumDynamicDims())
      return emitOpError("has ") << getSizes().size() << " sizes for "
                                 << out.getNumDynamicDims() << " dynamic dims";
    int64_t lead = out.getRank() - in.getRank();
    for (int64_t d = 0; d < in.getRank() && lead >= 0; ++d) {
      int64_t i = in.getDimSize(d), o = out.getDimSize(d + lead);
      if (i != kDyn && o != kDyn && i != 1 && i != o)
        return emitOpError("cannot broadcast ") << in << " to " << out;
    }
    if (lead < 0)
      return emitOpError("cannot broadcast ") << in << " to " << out;
    return success();
  }
  if (in.getRank() > out.getRank() || failed(shape) ||
      !llvm::equal(*shape, out.getShape()))
    return emitOpError("cannot broadcast ") << in << " to " << out;
  return success();
}

OpFoldResult ExpandOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType()) {
    int64_t d = 0;
    auto type = cast<RankedTensorType>(getType());
    for (Value size : getSizes()) {
      while (!type.isDynamicDim(d))
        ++d;
      if (!isDimOf(size, getInput(), d++))
        return {};
    }
    return getInput();
  }
  RankedTensorType in = getInput().getType();
  if (!in.hasStaticShape())
    return {};
  SmallVector<int64_t> inStrides = rowMajorStrides(in.getShape());
  int64_t lead = cast<RankedTensorType>(getType()).getRank() - in.getRank();
  return foldByIndex(cast<RankedTensorType>(getType()), {adaptor.getInput()},
                     [&](ArrayRef<int64_t> idx) {
                       int64_t at = 0;
                       for (int64_t d = 0; d < in.getRank(); ++d)
                         if (in.getDimSize(d) != 1)
                           at += idx[d + lead] * inStrides[d];
                       return std::make_pair(0, at);
                     });
}

//===----------------------------------------------------------------------===//
// pad, one_hot
//===----------------------------------------------------------------------===//

LogicalResult PadOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto value = cast<RankedTensorType>(adaptor.getValue().getType());
  auto pads = inherentAttr(adaptor, adaptor.getProperties().pads, "pads");
  auto mode = inherentAttr(adaptor, adaptor.getProperties().mode, "mode");
  if (!pads || !mode)
    return emitOptionalError(loc, "pad needs 'pads' and 'mode'");
  if (!llvm::is_contained({"constant", "reflect", "edge", "wrap"},
                          mode.getValue()))
    return emitOptionalError(loc, "unknown pad mode '", mode.getValue(), "'");
  if (value.getRank() != 0 || value.getElementType() != in.getElementType())
    return emitOptionalError(loc, "pad value must be a 0-d tensor of ",
                             in.getElementType());
  int64_t rank = in.getRank();
  if (int64_t(pads.size()) != 2 * rank)
    return emitOptionalError(loc, "pad has ", pads.size(), " pads for rank ",
                             rank);
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t lo = pads[d], hi = pads[d + rank], dim = in.getDimSize(d);
    if ((lo < 0 && lo != kDyn) || (hi < 0 && hi != kDyn))
      return emitOptionalError(loc, "pad amounts must be non-negative");
    if (lo == kDyn || hi == kDyn || dim == kDyn) {
      shape.push_back(kDyn);
      continue;
    }
    if (mode.getValue() == "reflect" && (lo >= dim || hi >= dim) && (lo || hi))
      return emitOptionalError(loc, "reflect pad of dim ", d,
                               " must be smaller than its size ", dim);
    shape.push_back(dim + lo + hi);
  }
  types.push_back(RankedTensorType::get(shape, in.getElementType()));
  return success();
}

SmallVector<OpFoldResult> PadOp::getMixedPads() {
  return mixedValues(getPads(), getDynamicPads(), getContext());
}

LogicalResult PadOp::verify() {
  if (int64_t(getDynamicPads().size()) != countDynamic(getPads()))
    return emitOpError("has ") << getDynamicPads().size()
                               << " dynamic pads for "
                               << countDynamic(getPads()) << " dynamic entries";
  return success();
}

LogicalResult OneHotOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto indices = cast<RankedTensorType>(adaptor.getIndices().getType());
  auto values = cast<RankedTensorType>(adaptor.getValues().getType());
  auto axis = inherentAttr(adaptor, adaptor.getProperties().axis, "axis");
  auto depth = inherentAttr(adaptor, adaptor.getProperties().depth, "depth");
  if (!axis || !depth)
    return emitOptionalError(loc, "one_hot needs 'axis' and 'depth'");
  if (axis.getInt() < 0 || axis.getInt() > indices.getRank())
    return emitOptionalError(loc, "one_hot axis ", axis.getInt(),
                             " out of range");
  if (depth.getInt() < 1 && depth.getInt() != kDyn)
    return emitOptionalError(loc, "one_hot depth must be positive");
  if ((depth.getInt() == kDyn) != bool(adaptor.getDynamicDepth()))
    return emitOptionalError(loc, "one_hot needs a dynamic_depth operand "
                                  "exactly when depth is dynamic");
  if (values.getRank() != 1 || values.getDimSize(0) != 2)
    return emitOptionalError(loc, "one_hot values must be a 2-element tensor");
  if (!indices.getElementType().isIntOrFloat())
    return emitOptionalError(loc, "one_hot indices must be numbers");
  SmallVector<int64_t> shape(indices.getShape());
  shape.insert(shape.begin() + axis.getInt(), depth.getInt());
  types.push_back(RankedTensorType::get(shape, values.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// scatter_elements, scatter_nd, topk
//===----------------------------------------------------------------------===//

static LogicalResult verifyReduction(Operation *op, StringRef reduction) {
  if (!llvm::is_contained({"none", "add", "mul", "max", "min"}, reduction))
    return op->emitOpError("unknown reduction '") << reduction << "'";
  return success();
}

LogicalResult ScatterElementsOp::verify() {
  RankedTensorType data = getData().getType();
  RankedTensorType indices = getIndices().getType();
  RankedTensorType updates = getUpdates().getType();
  if (!isIndexType(indices.getElementType()))
    return emitOpError("indices must be i32 or i64");
  if (indices.getShape() != updates.getShape() ||
      indices.getRank() != data.getRank())
    return emitOpError("indices and updates must have one shape of the "
                       "data's rank");
  if (updates.getElementType() != data.getElementType())
    return emitOpError("updates must have the data's element type");
  if (getAxis() < 0 || getAxis() >= data.getRank())
    return emitOpError("axis ") << getAxis() << " out of range";
  return verifyReduction(*this, getReduction());
}

LogicalResult ScatterNDOp::verify() {
  RankedTensorType data = getData().getType();
  RankedTensorType indices = getIndices().getType();
  RankedTensorType updates = getUpdates().getType();
  if (!isIndexType(indices.getElementType()))
    return emitOpError("indices must be i32 or i64");
  if (indices.getRank() < 1 || indices.isDynamicDim(indices.getRank() - 1))
    return emitOpError("needs a static last indices dim");
  int64_t k = indices.getShape().back();
  if (k > data.getRank())
    return emitOpError("index tuples of ") << k << " exceed the data's rank";
  SmallVector<int64_t> expected(indices.getShape().drop_back());
  llvm::append_range(expected, data.getShape().drop_front(k));
  if (updates.getRank() != int64_t(expected.size()) ||
      failed(verifyCompatibleShape(updates.getShape(), expected)) ||
      updates.getElementType() != data.getElementType())
    return emitOpError("updates must be ")
           << RankedTensorType::get(expected, data.getElementType());
  return verifyReduction(*this, getReduction());
}

LogicalResult TopKOp::inferReturnTypes(MLIRContext *ctx,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto axis = inherentAttr(adaptor, adaptor.getProperties().axis, "axis");
  auto k = inherentAttr(adaptor, adaptor.getProperties().k, "k");
  if (!axis || !k)
    return emitOptionalError(loc, "topk needs 'axis' and 'k'");
  if (axis.getInt() < 0 || axis.getInt() >= in.getRank())
    return emitOptionalError(loc, "topk axis ", axis.getInt(), " out of range");
  int64_t dim = in.getDimSize(axis.getInt());
  if ((k.getInt() == kDyn) != bool(adaptor.getDynamicK()))
    return emitOptionalError(loc, "topk needs a dynamic_k operand exactly "
                                  "when k is dynamic");
  if (k.getInt() != kDyn &&
      (k.getInt() < 0 || (dim != kDyn && k.getInt() > dim)))
    return emitOptionalError(loc, "topk k ", k.getInt(), " exceeds dim ", dim);
  SmallVector<int64_t> shape(in.getShape());
  shape[axis.getInt()] = k.getInt();
  types.push_back(RankedTensorType::get(shape, in.getElementType()));
  types.push_back(RankedTensorType::get(shape, IntegerType::get(ctx, 64)));
  return success();
}

//===----------------------------------------------------------------------===//
// range
//===----------------------------------------------------------------------===//

LogicalResult RangeOp::verify() {
  auto out = cast<RankedTensorType>(getType());
  for (Value v : {getStart(), getDelta()}) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() != 0 || t.getElementType() != out.getElementType())
      return emitOpError("start and delta must be 0-d tensors of ")
             << out.getElementType();
  }
  if (out.getRank() != 1)
    return emitOpError("result must be 1-D");
  if (int64_t(getSize().size()) != out.getNumDynamicDims())
    return emitOpError("needs a size operand exactly when the length is "
                       "dynamic");
  return success();
}
