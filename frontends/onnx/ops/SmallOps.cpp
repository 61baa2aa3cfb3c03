//===- SmallOps.cpp - ONNX BitCast, Det, CumProd, TensorScatter → kiln ----===//
//
// A tail of small ops. BitCast maps to kiln.bitcast. The others decompose
// into existing kiln ops over static shapes: Det by cofactor expansion of
// slices (small matrices), CumProd as a running product over slices of the
// (constant) axis, TensorScatter as a where over the cache positions with
// the update gathered at each position's offset from the write index.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/ops/Unroll.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx;

/// BitCast(x) <to> → kiln.bitcast.
static LogicalResult convertBitcast(NodeImporter &n) {
  if (failed(n.checkAttributes({"to"})))
    return failure();
  auto x = n.input(0);
  auto to = n.intAttr("to", -1);
  if (failed(x) || failed(to))
    return failure();
  Type elem = convertDataType(n.ctx(), *to);
  if (!elem)
    return n.error() << "unsupported target dtype " << dataTypeName(*to);
  auto type = cast<RankedTensorType>(x->getType());
  auto result = n.createTyped<BitcastOp>(
      RankedTensorType::get(type.getShape(), elem), {*x});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

//===----------------------------------------------------------------------===//
// Det
//===----------------------------------------------------------------------===//

/// Determinants above this size are refused: the expansion is O(n·2ⁿ) ops.
static constexpr int64_t kMaxDetSize = 6;

namespace {
/// Cofactor expansion along the first remaining row, memoised by the set of
/// remaining columns (the rows left are always the last ones).
struct DetBuilder {
  NodeImporter &n;
  int64_t size;
  SmallVector<SmallVector<Value>> entries; // [row][col], each of batch shape
  llvm::DenseMap<unsigned, Value> memo;

  FailureOr<Value> det(unsigned columns) {
    if (auto it = memo.find(columns); it != memo.end())
      return it->second;
    int64_t row = size - llvm::popcount(columns);
    Value sum;
    int sign = 1;
    for (int64_t col = 0; col < size; ++col) {
      if (!(columns & (1u << col)))
        continue;
      Value term = entries[row][col];
      unsigned rest = columns & ~(1u << col);
      if (rest) {
        auto minor = det(rest);
        if (failed(minor))
          return failure();
        auto product = n.create<MulOp>({term, *minor});
        if (failed(product))
          return failure();
        term = *product;
      }
      if (!sum) {
        sum = term;
      } else {
        auto next = sign > 0 ? n.create<AddOp>({sum, term})
                             : n.create<SubOp>({sum, term});
        if (failed(next))
          return failure();
        sum = *next;
      }
      sign = -sign;
    }
    memo[columns] = sum;
    return sum;
  }
};
} // namespace

/// Det(x [*, n, n]) → cofactor expansion over entries x[..., i, j].
static LogicalResult convertDet(NodeImporter &n) {
  if (failed(n.checkAttributes({})))
    return failure();
  auto x = n.input(0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  if (rank < 2 || !isa<FloatType>(type.getElementType()))
    return n.error() << "input must be a float tensor [*, n, n], got " << type;
  auto size = staticDim(n, *x, rank - 1, "the matrix size");
  if (failed(size))
    return failure();
  if (type.getDimSize(rank - 2) != *size)
    return n.error() << "input " << type << " is not square";
  if (*size < 1 || *size > kMaxDetSize)
    return n.error() << "matrix size " << *size << " is not supported (1.."
                     << kMaxDetSize << ")";
  DetBuilder builder{n, *size, {}, llvm::DenseMap<unsigned, Value>()};
  for (int64_t i = 0; i < *size; ++i) {
    auto row = takeAt(n, *x, rank - 2, i);
    if (failed(row))
      return failure();
    builder.entries.emplace_back();
    for (int64_t j = 0; j < *size; ++j) {
      auto entry = takeAt(n, *row, rank - 2, j);
      if (failed(entry))
        return failure();
      builder.entries.back().push_back(*entry);
    }
  }
  auto result = builder.det((1u << *size) - 1);
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

//===----------------------------------------------------------------------===//
// CumProd
//===----------------------------------------------------------------------===//

/// Running products longer than this are refused (one op per position).
static constexpr int64_t kMaxCumProdLength = 1024;

/// CumProd(x, axis) with a constant axis → running product of unit slices,
/// concatenated.
static LogicalResult convertCumProd(NodeImporter &n) {
  if (failed(n.checkAttributes({"exclusive", "reverse"})))
    return failure();
  auto x = numericInput(n, 0);
  auto axisValue = n.input(1);
  auto exclusive = n.intAttr("exclusive", 0);
  auto reverse = n.intAttr("reverse", 0);
  if (failed(x) || failed(axisValue) || failed(exclusive) || failed(reverse))
    return failure();
  if (!axisValue->getDefiningOp<ConstantOp>())
    return n.error() << "axis (input '" << n.node.input(1)
                     << "') must be a constant";
  auto axisInts = n.constantInts(1, "axis");
  if (failed(axisInts))
    return failure();
  if (axisInts->size() != 1)
    return n.error() << "axis must be a scalar";
  auto type = cast<RankedTensorType>(x->getType());
  if (type.getElementType().isInteger(1))
    return n.error() << "unsupported dtype " << type.getElementType();
  auto axis = normalizeAxis(n, axisInts->front(), type.getRank(), "axis");
  if (failed(axis))
    return failure();
  auto length = staticDim(n, *x, *axis, "the CumProd axis");
  if (failed(length))
    return failure();
  if (*length > kMaxCumProdLength)
    return n.error() << "axis length " << *length << " exceeds "
                     << kMaxCumProdLength;
  if (*length == 0) {
    n.setResult(*x);
    return success();
  }
  SmallVector<Value> parts(*length);
  Value running;
  for (int64_t step = 0; step < *length; ++step) {
    int64_t i = *reverse ? *length - 1 - step : step;
    auto slice = sliceAxis(n, *x, *axis, i, 1);
    if (failed(slice))
      return failure();
    if (*exclusive) {
      if (!running) {
        SmallVector<int64_t> shape(type.getShape());
        shape[*axis] = 1;
        running = splatConstant(
            n, RankedTensorType::get(shape, type.getElementType()), 1);
      }
      parts[i] = running;
      auto next = n.create<MulOp>({running, *slice});
      if (failed(next))
        return failure();
      running = *next;
      continue;
    }
    if (running) {
      auto next = n.create<MulOp>({running, *slice});
      if (failed(next))
        return failure();
      running = *next;
    } else {
      running = *slice;
    }
    parts[i] = running;
  }
  if (parts.size() == 1) {
    n.setResult(parts.front());
    return success();
  }
  auto result = n.create<ConcatOp>(
      parts, {n.namedAttr("axis", n.b.getI64IntegerAttr(*axis))});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

//===----------------------------------------------------------------------===//
// TensorScatter
//===----------------------------------------------------------------------===//

/// TensorScatter(past, update, write_indices) → at each cache position s of
/// batch b, offset = s - write_indices[b] (mod max_seq if circular); where
/// 0 ≤ offset < update_len the result is update at that offset
/// (gather_elements), else past.
static LogicalResult convertTensorScatter(NodeImporter &n) {
  if (failed(n.checkAttributes({"axis", "mode"})))
    return failure();
  auto past = n.input(0);
  auto update = n.input(1);
  auto axisAttr = n.intAttr("axis", -2);
  auto mode = n.stringAttr("mode", "linear");
  if (failed(past) || failed(update) || failed(axisAttr) || failed(mode))
    return failure();
  if (*mode != "linear" && *mode != "circular")
    return n.error() << "unknown mode '" << *mode << "'";
  auto type = cast<RankedTensorType>(past->getType());
  auto updateType = cast<RankedTensorType>(update->getType());
  int64_t rank = type.getRank();
  if (!type.hasStaticShape() || !updateType.hasStaticShape() ||
      updateType.getRank() != rank)
    return n.error() << "past_cache " << type << " and update " << updateType
                     << " must be static and of one rank";
  auto axis = normalizeAxis(n, *axisAttr, rank, "axis");
  if (failed(axis))
    return failure();
  if (*axis == 0)
    return n.error() << "axis must not be the batch dim";
  int64_t maxSeq = type.getDimSize(*axis), seq = updateType.getDimSize(*axis);
  Type i64 = n.b.getI64Type();
  // Positions along the axis, shaped to broadcast: [1, .., maxSeq, .., 1].
  SmallVector<int64_t> posShape(rank, 1);
  posShape[*axis] = maxSeq;
  SmallVector<APInt> positions;
  for (int64_t s = 0; s < maxSeq; ++s)
    positions.push_back(APInt(64, s));
  Value offset = ConstantOp::create(
                     n.b, n.loc,
                     DenseElementsAttr::get(RankedTensorType::get(posShape, i64),
                                            positions))
                     .getResult();
  if (n.hasInput(2)) {
    auto writes = n.input(2);
    if (failed(writes))
      return failure();
    auto writesType = cast<RankedTensorType>(writes->getType());
    SmallVector<int64_t> column(rank, 1);
    column[0] = type.getDimSize(0);
    Value w = *writes;
    if (writesType.getElementType() != i64) {
      auto wide = n.createTyped<CastOp>(
          RankedTensorType::get(writesType.getShape(), i64), {w});
      if (failed(wide))
        return failure();
      w = *wide;
    }
    auto shaped = n.createTyped<ReshapeOp>(RankedTensorType::get(column, i64),
                                           {w});
    if (failed(shaped))
      return failure();
    auto diff = n.create<SubOp>({offset, *shaped});
    if (failed(diff))
      return failure();
    offset = *diff;
  }
  auto binary = [&](BinaryKind kind, Value a, Value b) {
    return n.create<BinaryOp>(
        {a, b}, {n.namedAttr("kind", BinaryKindAttr::get(n.ctx(), kind))});
  };
  auto compare = [&](CompareKind kind, Value a, Value b) {
    return n.create<CompareOp>(
        {a, b}, {n.namedAttr("kind", CompareKindAttr::get(n.ctx(), kind))});
  };
  if (*mode == "circular") {
    auto wrapped = binary(BinaryKind::Mod, offset, scalarConstant(n, i64, maxSeq));
    if (failed(wrapped))
      return failure();
    offset = *wrapped;
  }
  auto notBefore = compare(CompareKind::Ge, offset, scalarConstant(n, i64, 0));
  auto notAfter = compare(CompareKind::Lt, offset, scalarConstant(n, i64, seq));
  if (failed(notBefore) || failed(notAfter))
    return failure();
  auto valid = binary(BinaryKind::And, *notBefore, *notAfter);
  if (failed(valid))
    return failure();
  auto safe = n.create<WhereOp>({*valid, offset, scalarConstant(n, i64, 0)});
  if (failed(safe))
    return failure();
  auto indices = n.createTyped<ExpandOp>(
      RankedTensorType::get(type.getShape(), i64), {*safe});
  if (failed(indices))
    return failure();
  auto gathered = n.create<GatherElementsOp>(
      {*update, *indices}, {n.namedAttr("axis", n.b.getI64IntegerAttr(*axis))});
  if (failed(gathered))
    return failure();
  auto result = n.create<WhereOp>({*valid, *gathered, *past});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

void mlir::kiln::onnx::registerSmallOps(ConverterMap &map) {
  map["BitCast"] = convertBitcast;
  map["Det"] = convertDet;
  map["CumProd"] = convertCumProd;
  map["TensorScatter"] = convertTensorScatter;
}
