//===- Signal.cpp - ONNX DFT, STFT → kiln (DFT as a matmul) ---------------===//
//
// A DFT along one axis is a linear map of the (real, imaginary) pairs of the
// signal, so it becomes one kiln.matmul with a constant [N·C, K·2] matrix of
// cos/sin terms (O(n²), in f64 like the reference, and a GEMM the backend
// already tiles): the axis is moved next to the complex dim, the two are
// merged, multiplied and split again. dft_length pads or truncates by
// leaving rows out of the matrix; onesided, inverse and the inverse onesided
// (irfft, Hermitian extension) case only change the matrix. A runtime DFT
// axis (opset 20) is resolved by computing every candidate axis and
// selecting with kiln.where, which works when all candidates agree in type.
// STFT frames the signal with static slices (frame_step and frame_length
// must be constants), applies the window and reuses the same DFT.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/ops/Unroll.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx;

namespace {
/// One DFT: `inputLength` (N) entries of `inComponents` (1 real, 2 complex)
/// along the axis, transform length L, output length K with `outComponents`.
struct DftPlan {
  int64_t inputLength, inComponents, length;
  bool inverse, onesided;
  int64_t outputLength() const {
    if (inverse && onesided)
      return length;
    return onesided ? length / 2 + 1 : length;
  }
  int64_t outComponents() const { return inverse && onesided ? 1 : 2; }
};
} // namespace

/// The [N·C, K·outC] matrix of the DFT, row n·C + c, column k·outC + o.
static SmallVector<double> dftMatrix(const DftPlan &p) {
  int64_t rows = p.inputLength * p.inComponents;
  int64_t k = p.outputLength(), oc = p.outComponents();
  SmallVector<double> m(rows * k * oc, 0.0);
  auto at = [&](int64_t n, int64_t c, int64_t kk, int64_t o) -> double & {
    return m[(n * p.inComponents + c) * k * oc + kk * oc + o];
  };
  double l = double(p.length);
  if (p.inverse && p.onesided) {
    // irfft: bins 0..L/2 with their Hermitian mirror; the imaginary parts
    // of bin 0 (and L/2 for even L) drop out because their sin terms vanish.
    int64_t bins = std::min(p.inputLength, p.length / 2 + 1);
    for (int64_t bin = 0; bin < bins; ++bin) {
      double weight =
          (bin == 0 || (p.length % 2 == 0 && bin == p.length / 2)) ? 1 : 2;
      for (int64_t n = 0; n < k; ++n) {
        double theta = 2 * M_PI * double((bin * n) % p.length) / l;
        at(bin, 0, n, 0) = weight * std::cos(theta) / l;
        if (p.inComponents == 2)
          at(bin, 1, n, 0) = -weight * std::sin(theta) / l;
      }
    }
    return m;
  }
  int64_t used = std::min(p.inputLength, p.length);
  double sign = p.inverse ? 1 : -1, scale = p.inverse ? 1 / l : 1;
  for (int64_t n = 0; n < used; ++n) {
    for (int64_t kk = 0; kk < k; ++kk) {
      double theta = 2 * M_PI * double((kk * n) % p.length) / l;
      double c = std::cos(theta) * scale, s = sign * std::sin(theta) * scale;
      // (re + i·im)(c + i·s) = (re·c - im·s) + i(re·s + im·c)
      at(n, 0, kk, 0) = c;
      at(n, 0, kk, 1) = s;
      if (p.inComponents == 2) {
        at(n, 1, kk, 0) = -s;
        at(n, 1, kk, 1) = c;
      }
    }
  }
  return m;
}

/// DFT of `x` ([..., N, ..., C], C = 1 or 2) along `axis` (not the last).
static FailureOr<Value> dftAlongAxis(NodeImporter &n, Value x, int64_t axis,
                                     std::optional<int64_t> dftLength,
                                     bool inverse, bool onesided) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  Type elem = type.getElementType();
  auto inputLength = staticDim(n, x, axis, "the DFT axis");
  auto components = staticDim(n, x, rank - 1, "the complex dim");
  if (failed(inputLength) || failed(components))
    return failure();
  if (*components != 1 && *components != 2)
    return n.error() << "the last dim must be 1 (real) or 2 (complex), got "
                     << *components;
  DftPlan plan{*inputLength, *components, 0, inverse, onesided};
  plan.length = dftLength ? *dftLength
                          : (inverse && onesided ? 2 * (*inputLength - 1)
                                                 : *inputLength);
  if (plan.length < 1)
    return n.error() << "dft_length must be positive, got " << plan.length;
  // Move `axis` next to the complex dim and merge the two.
  SmallVector<int64_t> perm;
  for (int64_t d = 0; d < rank - 1; ++d)
    if (d != axis)
      perm.push_back(d);
  perm.append({axis, rank - 1});
  auto moved = n.create<TransposeOp>(
      {x}, {n.namedAttr("perm", n.b.getDenseI64ArrayAttr(perm))});
  if (failed(moved))
    return failure();
  SmallVector<int64_t> outer;
  for (int64_t d : ArrayRef(perm).drop_back(2))
    outer.push_back(type.getDimSize(d));
  SmallVector<int64_t> merged(outer);
  merged.push_back(plan.inputLength * plan.inComponents);
  auto flat = n.createTyped<ReshapeOp>(RankedTensorType::get(merged, elem),
                                       {*moved});
  if (failed(flat))
    return failure();
  int64_t k = plan.outputLength(), oc = plan.outComponents();
  if (!isa<FloatType>(elem))
    return n.error() << "unsupported dtype " << elem;
  // Computed in f64, as the reference does: in f32 the rounding of the
  // cos/sin terms leaves ~1e-6 where the exact result is 0 (e.g. the
  // imaginary part of an inverse transform of a real signal).
  Type f64 = n.b.getF64Type();
  auto wide = n.createTyped<CastOp>(RankedTensorType::get(merged, f64), {*flat});
  if (failed(wide))
    return failure();
  SmallVector<double> matrix = dftMatrix(plan);
  auto matrixType = RankedTensorType::get({merged.back(), k * oc}, f64);
  Value weights =
      ConstantOp::create(n.b, n.loc,
                         DenseElementsAttr::get(matrixType, ArrayRef(matrix)))
          .getResult();
  auto product = n.create<MatMulOp>({*wide, weights});
  if (failed(product))
    return failure();
  SmallVector<int64_t> productShape(outer);
  productShape.push_back(k * oc);
  auto narrow = n.createTyped<CastOp>(RankedTensorType::get(productShape, elem),
                                      {*product});
  if (failed(narrow))
    return failure();
  SmallVector<int64_t> split(outer);
  split.append({k, oc});
  auto unflat = n.createTyped<ReshapeOp>(RankedTensorType::get(split, elem),
                                         {*narrow});
  if (failed(unflat))
    return failure();
  SmallVector<int64_t> inversePerm(rank);
  for (int64_t i = 0; i < rank; ++i)
    inversePerm[perm[i]] = i;
  return n.create<TransposeOp>(
      {*unflat}, {n.namedAttr("perm", n.b.getDenseI64ArrayAttr(inversePerm))});
}

/// The optional constant scalar input `i` (e.g. dft_length).
static FailureOr<std::optional<int64_t>> optionalScalar(NodeImporter &n,
                                                        unsigned i,
                                                        StringRef what) {
  if (!n.hasInput(i))
    return std::optional<int64_t>();
  auto ints = n.constantInts(i, what);
  if (failed(ints))
    return failure();
  if (ints->size() != 1)
    return n.error() << what << " must be a scalar";
  return std::optional<int64_t>(ints->front());
}

/// DFT(x, dft_length, axis) → transpose, matmul with a cos/sin matrix.
static LogicalResult convertDft(NodeImporter &n) {
  bool axisIsInput = n.opset() >= 20;
  SmallVector<StringRef> known = {"inverse", "onesided"};
  if (!axisIsInput)
    known.push_back("axis");
  if (failed(n.checkAttributes(known)))
    return failure();
  auto x = n.input(0);
  auto inverse = n.intAttr("inverse", 0);
  auto onesided = n.intAttr("onesided", 0);
  auto length = optionalScalar(n, 1, "dft_length");
  if (failed(x) || failed(inverse) || failed(onesided) || failed(length))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  if (rank < 2)
    return n.error() << "input must have rank >= 2, got " << type;
  auto transform = [&](int64_t axis) {
    return dftAlongAxis(n, *x, axis, *length, *inverse != 0, *onesided != 0);
  };
  auto finish = [&](FailureOr<Value> result) {
    if (failed(result))
      return failure();
    n.setResult(*result);
    return success();
  };
  if (!axisIsInput) {
    auto axis = n.intAttr("axis", 1);
    if (failed(axis))
      return failure();
    auto normalized = normalizeAxis(n, *axis, rank, "axis");
    if (failed(normalized))
      return failure();
    if (*normalized == rank - 1)
      return n.error() << "axis must not be the last (complex) dim";
    return finish(transform(*normalized));
  }
  if (!n.hasInput(2))
    return finish(transform(rank - 2));
  auto axisValue = n.input(2);
  if (failed(axisValue))
    return failure();
  if (axisValue->getDefiningOp<ConstantOp>()) {
    auto axis = optionalScalar(n, 2, "axis");
    if (failed(axis))
      return failure();
    auto normalized = normalizeAxis(n, **axis, rank, "axis");
    if (failed(normalized))
      return failure();
    if (*normalized == rank - 1)
      return n.error() << "axis must not be the last (complex) dim";
    return finish(transform(*normalized));
  }
  // Runtime axis: one transform per valid axis (-rank .. -2), selected with
  // where; only possible when they all have the same type.
  Value result;
  Type axisElem = getElementTypeOrSelf(axisValue->getType());
  auto axisScalar = n.createTyped<ReshapeOp>(
      RankedTensorType::get({}, axisElem), {*axisValue});
  if (failed(axisScalar))
    return failure();
  for (int64_t axis = rank - 2; axis >= 0; --axis) {
    auto candidate = transform(axis);
    if (failed(candidate))
      return failure();
    if (!result) {
      result = *candidate;
      continue;
    }
    if (candidate->getType() != result.getType())
      return n.error() << "axis (input '" << n.node.input(2)
                       << "') must be a constant: the DFT along different "
                          "axes has different shapes ("
                       << candidate->getType() << " and " << result.getType()
                       << ")";
    Value isAxis;
    for (int64_t spelling : {axis, axis - rank}) {
      auto eq = n.create<CompareOp>(
          {*axisScalar, scalarConstant(n, axisElem, spelling)},
          {n.namedAttr("kind", CompareKindAttr::get(n.ctx(), CompareKind::Eq))});
      if (failed(eq))
        return failure();
      if (!isAxis) {
        isAxis = *eq;
        continue;
      }
      auto either = n.create<BinaryOp>(
          {isAxis, *eq},
          {n.namedAttr("kind", BinaryKindAttr::get(n.ctx(), BinaryKind::Or))});
      if (failed(either))
        return failure();
      isAxis = *either;
    }
    auto selected = n.create<WhereOp>({isAxis, *candidate, result});
    if (failed(selected))
      return failure();
    result = *selected;
  }
  n.setResult(result);
  return success();
}

/// STFT(signal, frame_step, window, frame_length) → frames by static slices,
/// times the window, DFT along the frame axis.
static LogicalResult convertStft(NodeImporter &n) {
  if (failed(n.checkAttributes({"onesided"})))
    return failure();
  auto signal = n.input(0);
  auto onesided = n.intAttr("onesided", 1);
  if (failed(signal) || failed(onesided))
    return failure();
  auto step = optionalScalar(n, 1, "frame_step");
  auto frameLength = optionalScalar(n, 3, "frame_length");
  if (failed(step) || failed(frameLength))
    return failure();
  if (!*step || **step < 1)
    return n.error() << "frame_step must be a positive constant";
  auto type = cast<RankedTensorType>(signal->getType());
  if (type.getRank() != 3)
    return n.error() << "signal must be [batch, length, 1 or 2], got " << type;
  auto signalLength = staticDim(n, *signal, 1, "the signal length");
  if (failed(signalLength))
    return failure();
  Value window;
  if (n.hasInput(2)) {
    auto w = n.input(2);
    if (failed(w))
      return failure();
    window = *w;
  }
  int64_t length = *signalLength;
  if (*frameLength)
    length = **frameLength;
  else if (window) {
    auto fromWindow = staticDim(n, window, 0, "the window length");
    if (failed(fromWindow))
      return failure();
    length = *fromWindow;
  }
  if (length < 1 || length > *signalLength)
    return n.error() << "frame_length " << length
                     << " must be in [1, signal length " << *signalLength
                     << "]";
  int64_t frames = (*signalLength - length) / **step + 1;
  SmallVector<Value> parts;
  for (int64_t f = 0; f < frames; ++f) {
    auto frame = sliceAxis(n, *signal, 1, f * **step, length);
    if (failed(frame))
      return failure();
    parts.push_back(*frame);
  }
  auto framed = stack(n, parts, 1); // [batch, frames, length, C]
  if (failed(framed))
    return failure();
  Value windowed = *framed;
  if (window) {
    auto column = n.createTyped<ReshapeOp>(
        RankedTensorType::get({length, 1}, type.getElementType()), {window});
    if (failed(column))
      return failure();
    auto product = n.create<MulOp>({windowed, *column});
    if (failed(product))
      return failure();
    windowed = *product;
  }
  auto result = dftAlongAxis(n, windowed, 2, length, /*inverse=*/false,
                             *onesided != 0);
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

void mlir::kiln::onnx::registerSignalOps(ConverterMap &map) {
  map["DFT"] = convertDft;
  map["STFT"] = convertStft;
}
