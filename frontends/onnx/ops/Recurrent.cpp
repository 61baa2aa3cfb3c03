//===- Recurrent.cpp - ONNX RNN, GRU, LSTM → kiln (unrolled) --------------===//
//
// The time loop of the recurrent ops is unrolled over the static sequence
// length into existing kiln ops. Per direction, the input projection of
// every step is one matmul `X · Wᵀ + biases` over the whole sequence; each
// step then adds `H · Rᵀ`, slices the gates and applies the activations
// (`activations`/`activation_alpha`/`activation_beta`, `clip`, LSTM
// peepholes and `input_forget`, GRU `linear_before_reset`). With
// `sequence_lens` each step is masked: finished batch entries keep their
// state and emit zeros, which gives the ONNX semantics for both directions
// (a reverse pass holds the initial state until its sequence starts).
// Layout 1 is transposed to layout 0 on the way in and back on the way out.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/ops/Unroll.h"

#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx;

namespace {

enum class CellKind { Rnn, Gru, Lstm };

/// An activation function of a cell with its alpha and beta.
struct Activation {
  std::string name; // lower case
  float alpha = 0, beta = 0;
};

/// Which of alpha/beta an activation uses and their defaults (as
/// onnxruntime; the lists are consumed only by functions that use them).
struct ActivationInfo {
  bool known, usesAlpha, usesBeta;
  float alpha, beta;
};

ActivationInfo activationInfo(StringRef name) {
  return llvm::StringSwitch<ActivationInfo>(name)
      .Cases({"relu", "tanh", "sigmoid", "softsign", "softplus"},
             {true, false, false, 0, 0})
      .Case("affine", {true, true, true, 1, 0})
      .Case("leakyrelu", {true, true, false, 0.01f, 0})
      .Case("thresholdedrelu", {true, true, false, 1, 0})
      .Case("scaledtanh", {true, true, true, 1, 1})
      .Case("hardsigmoid", {true, true, true, 0.2f, 0.5f})
      .Case("elu", {true, true, false, 1, 0})
      .Default({false, false, false, 0, 0});
}

/// Builds the cell arithmetic; the first failure is reported by the
/// NodeImporter and turns every later result into a null Value.
class CellBuilder {
public:
  explicit CellBuilder(NodeImporter &n) : n(n) {}

  bool ok() const { return good; }
  Value check(FailureOr<Value> v) {
    if (failed(v))
      good = false;
    return good ? *v : Value();
  }
  template <typename OpT> Value binary(Value a, Value b) {
    if (!good || !a || !b)
      return fail();
    return check(n.create<OpT>({a, b}));
  }
  Value add(Value a, Value b) { return binary<AddOp>(a, b); }
  Value sub(Value a, Value b) { return binary<SubOp>(a, b); }
  Value mul(Value a, Value b) { return binary<MulOp>(a, b); }
  Value matmul(Value a, Value b) { return binary<MatMulOp>(a, b); }
  Value unary(UnaryKind kind, Value x, double alpha = 0, double beta = 0) {
    if (!good || !x)
      return fail();
    return check(n.create<UnaryOp>(
        {x}, {n.namedAttr("kind", UnaryKindAttr::get(n.ctx(), kind)),
              n.namedAttr("alpha", n.b.getF64FloatAttr(alpha)),
              n.namedAttr("beta", n.b.getF64FloatAttr(beta))}));
  }
  Value scalar(Value like, double value) {
    return scalarConstant(n, getElementTypeOrSelf(like.getType()), value);
  }
  Value slice(Value x, int64_t axis, int64_t offset, int64_t size) {
    if (!good || !x)
      return fail();
    return check(sliceAxis(n, x, axis, offset, size));
  }
  Value take(Value x, int64_t axis, int64_t index) {
    if (!good || !x)
      return fail();
    return check(takeAt(n, x, axis, index));
  }
  Value transposed(Value x) {
    if (!good || !x)
      return fail();
    return check(swapDims(n, x, 0, 1));
  }
  Value where(Value cond, Value a, Value b) {
    if (!good || !a || !b)
      return fail();
    return check(n.create<WhereOp>({cond, a, b}));
  }

  /// f(x) for one ONNX RNN activation.
  Value activate(const Activation &f, Value x) {
    if (!good || !x)
      return fail();
    Type type = x.getType();
    StringRef name = f.name;
    if (name == "relu")
      return check(n.createTyped<ReluOp>(type, {x}));
    if (name == "sigmoid")
      return check(n.createTyped<SigmoidOp>(type, {x}));
    if (name == "tanh")
      return unary(UnaryKind::Tanh, x);
    if (name == "softsign")
      return unary(UnaryKind::Softsign, x);
    if (name == "softplus")
      return unary(UnaryKind::Softplus, x);
    if (name == "leakyrelu")
      return unary(UnaryKind::LeakyRelu, x, f.alpha);
    if (name == "thresholdedrelu")
      return unary(UnaryKind::ThresholdedRelu, x, f.alpha);
    if (name == "elu")
      return unary(UnaryKind::Elu, x, f.alpha);
    if (name == "hardsigmoid")
      return unary(UnaryKind::HardSigmoid, x, f.alpha, f.beta);
    if (name == "affine")
      return add(mul(x, scalar(x, f.alpha)), scalar(x, f.beta));
    // scaledtanh
    return mul(scalar(x, f.alpha),
               unary(UnaryKind::Tanh, mul(x, scalar(x, f.beta))));
  }

  /// Clips a gate's pre-activation to [-clip, clip] when `clip` is set.
  Value clipped(Value x, std::optional<float> clip) {
    if (!clip || !good || !x)
      return x;
    return check(n.create<ClipOp>(
        {x}, {n.namedAttr("min", n.b.getF64FloatAttr(-*clip)),
              n.namedAttr("max", n.b.getF64FloatAttr(*clip))}));
  }

private:
  Value fail() {
    good = false;
    return {};
  }
  NodeImporter &n;
  bool good = true;
};

/// The attributes and inputs of one recurrent node.
struct Recurrent {
  CellKind kind;
  int64_t gates, hidden, directions, layout, batch, length;
  bool reverseOnly = false, linearBeforeReset = false, inputForget = false;
  std::optional<float> clip;
  /// Per direction: `perDirection` functions (f; f, g; f, g, h).
  SmallVector<Activation> activations;
  size_t perDirection;
  Value x, w, r, bias, lens, initialH, initialC, peepholes;
};

} // namespace

/// Reads `activations` and their alpha/beta, filling defaults.
static LogicalResult parseActivations(NodeImporter &n, Recurrent &rec) {
  SmallVector<std::string> names;
  static const char *const defaults[] = {"sigmoid", "tanh", "tanh"};
  if (const auto *a = n.attr("activations")) {
    for (const std::string &s : a->strings())
      names.push_back(StringRef(s).lower());
  } else {
    for (int64_t d = 0; d < rec.directions; ++d)
      for (size_t k = 0; k < rec.perDirection; ++k)
        names.push_back(rec.kind == CellKind::Rnn ? "tanh" : defaults[k]);
  }
  if (names.size() == rec.perDirection && rec.directions == 2)
    names.append(SmallVector<std::string>(names));
  if (names.size() != rec.perDirection * rec.directions)
    return n.error() << "expected " << rec.perDirection * rec.directions
                     << " activations, got " << names.size();
  SmallVector<float> alphas, betas;
  if (const auto *a = n.attr("activation_alpha"))
    alphas.assign(a->floats().begin(), a->floats().end());
  if (const auto *a = n.attr("activation_beta"))
    betas.assign(a->floats().begin(), a->floats().end());
  size_t nextAlpha = 0, nextBeta = 0;
  for (const std::string &name : names) {
    ActivationInfo info = activationInfo(name);
    if (!info.known)
      return n.error() << "unsupported activation '" << name << "'";
    Activation f{name, info.alpha, info.beta};
    if (info.usesAlpha && nextAlpha < alphas.size())
      f.alpha = alphas[nextAlpha++];
    if (info.usesBeta && nextBeta < betas.size())
      f.beta = betas[nextBeta++];
    rec.activations.push_back(f);
  }
  return success();
}

/// Reads attributes and inputs; puts layout-1 tensors into layout 0.
static LogicalResult readRecurrent(NodeImporter &n, Recurrent &rec) {
  SmallVector<StringRef> known = {"activation_alpha", "activation_beta",
                                  "activations", "clip", "direction",
                                  "hidden_size", "layout"};
  if (rec.kind == CellKind::Gru)
    known.push_back("linear_before_reset");
  if (rec.kind == CellKind::Lstm)
    known.push_back("input_forget");
  if (failed(n.checkAttributes(known)) ||
      failed(n.expectOutputs(rec.kind == CellKind::Lstm ? 3 : 2, "extra")))
    return failure();
  rec.gates = rec.kind == CellKind::Rnn ? 1 : rec.kind == CellKind::Gru ? 3 : 4;
  rec.perDirection = rec.kind == CellKind::Rnn ? 1 : rec.gates == 3 ? 2 : 3;
  auto direction = n.stringAttr("direction", "forward");
  auto hidden = n.intAttr("hidden_size", -1);
  auto layout = n.intAttr("layout", 0);
  auto lbr = n.intAttr("linear_before_reset", 0);
  auto inputForget = n.intAttr("input_forget", 0);
  if (failed(direction) || failed(hidden) || failed(layout) || failed(lbr) ||
      failed(inputForget))
    return failure();
  if (*direction != "forward" && *direction != "reverse" &&
      *direction != "bidirectional")
    return n.error() << "unknown direction '" << *direction << "'";
  rec.directions = *direction == "bidirectional" ? 2 : 1;
  rec.reverseOnly = *direction == "reverse";
  rec.layout = *layout;
  rec.linearBeforeReset = *lbr != 0;
  rec.inputForget = *inputForget != 0;
  if (rec.layout != 0 && rec.layout != 1)
    return n.error() << "layout must be 0 or 1, got " << rec.layout;
  if (n.attr("clip")) {
    auto clip = n.floatAttr("clip", 0);
    if (failed(clip))
      return failure();
    rec.clip = *clip;
  }
  if (failed(parseActivations(n, rec)))
    return failure();

  auto x = n.input(0);
  auto w = n.input(1);
  auto r = n.input(2);
  if (failed(x) || failed(w) || failed(r))
    return failure();
  Type elem = getElementTypeOrSelf(x->getType());
  if (!isa<FloatType>(elem))
    return n.error() << "unsupported dtype " << elem;
  auto optional = [&](unsigned i, Value &slot) -> LogicalResult {
    if (!n.hasInput(i))
      return success();
    auto value = n.input(i);
    if (failed(value))
      return failure();
    slot = *value;
    return success();
  };
  if (failed(optional(3, rec.bias)) || failed(optional(4, rec.lens)) ||
      failed(optional(5, rec.initialH)) ||
      (rec.kind == CellKind::Lstm &&
       (failed(optional(6, rec.initialC)) || failed(optional(7, rec.peepholes)))))
    return failure();
  for (Value v : {*x, *w, *r})
    if (cast<RankedTensorType>(v.getType()).getRank() != 3)
      return n.error() << "X, W and R must have rank 3, got " << v.getType();
  rec.x = *x;
  rec.w = *w;
  rec.r = *r;
  if (rec.layout == 1) {
    for (Value *v : {&rec.x, &rec.initialH, &rec.initialC}) {
      if (!*v)
        continue;
      auto swapped = swapDims(n, *v, 0, 1);
      if (failed(swapped))
        return failure();
      *v = *swapped;
    }
  }
  auto length = staticDim(n, rec.x, 0, "the sequence length");
  auto batch = staticDim(n, rec.x, 1, "the batch size");
  if (failed(length) || failed(batch))
    return failure();
  rec.length = *length;
  rec.batch = *batch;
  rec.hidden = *hidden;
  if (rec.hidden <= 0) {
    auto fromR = staticDim(n, rec.r, 2, "hidden_size");
    if (failed(fromR))
      return failure();
    rec.hidden = *fromR;
  }
  auto wType = cast<RankedTensorType>(rec.w.getType());
  if (wType.getDimSize(0) != rec.directions ||
      wType.getDimSize(1) != rec.gates * rec.hidden)
    return n.error() << "W has type " << wType << ", expected ["
                     << rec.directions << ", " << rec.gates * rec.hidden
                     << ", input_size]";
  return success();
}

/// True if `lens` is a constant whose every entry covers the whole sequence,
/// so no step needs masking.
static bool coversWholeSequence(Value lens, int64_t length) {
  auto constant = lens.getDefiningOp<ConstantOp>();
  auto dense = constant ? dyn_cast<DenseElementsAttr>(constant.getValue())
                        : DenseElementsAttr();
  if (!dense || !dense.getElementType().isInteger())
    return false;
  return llvm::all_of(dense.getValues<APInt>(), [&](const APInt &v) {
    return v.getSExtValue() >= length;
  });
}

/// Final states of one direction and its per-step outputs.
struct DirectionResult {
  Value h, c;
  SmallVector<Value> ys; // by time step
};

/// Unrolls direction `d` of the cell.
static FailureOr<DirectionResult> runDirection(NodeImporter &n,
                                               const Recurrent &rec, int64_t d,
                                               bool reverse, bool wantY) {
  CellBuilder cb(n);
  int64_t hid = rec.hidden, gh = rec.gates * hid;
  Type elem = getElementTypeOrSelf(rec.x.getType());
  auto stateType = RankedTensorType::get({rec.batch, hid}, elem);
  ArrayRef<Activation> acts =
      ArrayRef(rec.activations).slice(d * rec.perDirection, rec.perDirection);
  bool gru = rec.kind == CellKind::Gru, lstm = rec.kind == CellKind::Lstm;

  // Input projection of all steps at once: [T, B, G*H].
  Value xw = cb.matmul(rec.x, cb.transposed(cb.take(rec.w, 0, d)));
  Value rd = cb.take(rec.r, 0, d);
  Value recurrentBiasH; // GRU linear_before_reset: Rbh stays in the h gate
  if (rec.bias) {
    Value bd = cb.take(rec.bias, 0, d);
    Value wb = cb.slice(bd, 0, 0, gh), rb = cb.slice(bd, 0, gh, gh);
    if (gru && rec.linearBeforeReset) {
      recurrentBiasH = cb.slice(rb, 0, 2 * hid, hid);
      Value zero = splatConstant(n, RankedTensorType::get({hid}, elem), 0);
      rb = cb.check(n.create<ConcatOp>(
          {cb.slice(rb, 0, 0, 2 * hid), zero},
          {n.namedAttr("axis", n.b.getI64IntegerAttr(0))}));
    }
    xw = cb.add(xw, cb.add(wb, rb));
  }
  Value rt, rzrT, rhT;
  if (gru) {
    rzrT = cb.transposed(cb.slice(rd, 0, 0, 2 * hid));
    rhT = cb.transposed(cb.slice(rd, 0, 2 * hid, hid));
  } else {
    rt = cb.transposed(rd);
  }
  Value pi, po, pf;
  if (lstm && rec.peepholes) {
    Value pd = cb.take(rec.peepholes, 0, d);
    pi = cb.slice(pd, 0, 0, hid);
    po = cb.slice(pd, 0, hid, hid);
    pf = cb.slice(pd, 0, 2 * hid, hid);
  }
  Value h = rec.initialH ? cb.take(rec.initialH, 0, d)
                         : splatConstant(n, stateType, 0);
  Value c;
  if (lstm)
    c = rec.initialC ? cb.take(rec.initialC, 0, d)
                     : splatConstant(n, stateType, 0);
  Value lensColumn;
  if (rec.lens && !coversWholeSequence(rec.lens, rec.length)) {
    auto lensType = cast<RankedTensorType>(rec.lens.getType());
    lensColumn = cb.check(n.createTyped<ReshapeOp>(
        RankedTensorType::get({rec.batch, 1}, lensType.getElementType()),
        {rec.lens}));
  }
  Value zeros = lensColumn && wantY ? splatConstant(n, stateType, 0) : Value();

  DirectionResult result;
  result.ys.resize(rec.length);
  for (int64_t step = 0; step < rec.length && cb.ok(); ++step) {
    int64_t t = reverse ? rec.length - 1 - step : step;
    Value xt = cb.take(xw, 0, t);
    Value newH, newC;
    auto gate = [&](Value pre, int64_t k) {
      return cb.slice(pre, 1, k * hid, hid);
    };
    if (rec.kind == CellKind::Rnn) {
      newH = cb.activate(acts[0],
                         cb.clipped(cb.add(xt, cb.matmul(h, rt)), rec.clip));
    } else if (gru) {
      Value hzr = cb.matmul(h, rzrT);
      Value z = cb.activate(
          acts[0], cb.clipped(cb.add(gate(xt, 0), gate(hzr, 0)), rec.clip));
      Value rg = cb.activate(
          acts[0], cb.clipped(cb.add(gate(xt, 1), gate(hzr, 1)), rec.clip));
      Value hr;
      if (rec.linearBeforeReset) {
        Value hh = cb.matmul(h, rhT);
        if (recurrentBiasH)
          hh = cb.add(hh, recurrentBiasH);
        hr = cb.mul(rg, hh);
      } else {
        hr = cb.matmul(cb.mul(rg, h), rhT);
      }
      Value candidate =
          cb.activate(acts[1], cb.clipped(cb.add(gate(xt, 2), hr), rec.clip));
      // (1 - z) ⊙ h̃ + z ⊙ H = h̃ + z ⊙ (H - h̃)
      newH = cb.add(candidate, cb.mul(z, cb.sub(h, candidate)));
    } else {
      Value pre = cb.add(xt, cb.matmul(h, rt));
      Value i = gate(pre, 0), o = gate(pre, 1), f = gate(pre, 2),
            g = gate(pre, 3);
      if (pi) {
        i = cb.add(i, cb.mul(pi, c));
        f = cb.add(f, cb.mul(pf, c));
      }
      Value it = cb.activate(acts[0], cb.clipped(i, rec.clip));
      Value ft = rec.inputForget
                     ? cb.sub(cb.scalar(it, 1), it)
                     : cb.activate(acts[0], cb.clipped(f, rec.clip));
      Value gt = cb.activate(acts[1], cb.clipped(g, rec.clip));
      newC = cb.add(cb.mul(ft, c), cb.mul(it, gt));
      if (po)
        o = cb.add(o, cb.mul(po, newC));
      Value ot = cb.activate(acts[0], cb.clipped(o, rec.clip));
      newH = cb.mul(ot, cb.activate(acts[2], newC));
    }
    if (lensColumn) {
      Value tConst = cb.scalar(lensColumn, t);
      Value mask = cb.check(n.create<CompareOp>(
          {tConst, lensColumn},
          {n.namedAttr("kind", CompareKindAttr::get(n.ctx(), CompareKind::Lt))}));
      if (wantY)
        result.ys[t] = cb.where(mask, newH, zeros);
      h = cb.where(mask, newH, h);
      if (lstm)
        c = cb.where(mask, newC, c);
    } else {
      result.ys[t] = newH;
      h = newH;
      c = newC;
    }
  }
  if (!cb.ok())
    return failure();
  result.h = h;
  result.c = c;
  return result;
}

/// RNN, GRU, LSTM → unrolled kiln ops.
static LogicalResult convertRecurrent(NodeImporter &n, CellKind kind) {
  Recurrent rec;
  rec.kind = kind;
  if (failed(readRecurrent(n, rec)))
    return failure();
  bool wantY = n.node.output_size() > 0 && !n.node.output(0).empty();
  SmallVector<DirectionResult> results;
  for (int64_t d = 0; d < rec.directions; ++d) {
    auto result = runDirection(n, rec, d, rec.reverseOnly || d == 1, wantY);
    if (failed(result))
      return failure();
    results.push_back(std::move(*result));
  }
  // Layout 0: Y [T, D, B, H], Y_h [D, B, H]; layout 1: Y [B, T, D, H],
  // Y_h [B, D, H].
  int64_t dirAxis = rec.layout == 0 ? 0 : 1;
  auto stackDirections = [&](auto pick) -> FailureOr<Value> {
    SmallVector<Value> parts;
    for (DirectionResult &r : results)
      parts.push_back(pick(r));
    return stack(n, parts, dirAxis);
  };
  if (wantY) {
    SmallVector<Value> steps;
    for (int64_t t = 0; t < rec.length; ++t) {
      auto yt = stackDirections([&](DirectionResult &r) { return r.ys[t]; });
      if (failed(yt))
        return failure();
      steps.push_back(*yt);
    }
    auto y = stack(n, steps, rec.layout == 0 ? 0 : 1);
    if (failed(y))
      return failure();
    n.setResult(*y, 0);
  }
  auto yh = stackDirections([](DirectionResult &r) { return r.h; });
  if (failed(yh))
    return failure();
  n.setResult(*yh, 1);
  if (kind == CellKind::Lstm) {
    auto yc = stackDirections([](DirectionResult &r) { return r.c; });
    if (failed(yc))
      return failure();
    n.setResult(*yc, 2);
  }
  return success();
}

void mlir::kiln::onnx::registerRecurrentOps(ConverterMap &map) {
  map["RNN"] = [](NodeImporter &n) {
    return convertRecurrent(n, CellKind::Rnn);
  };
  map["GRU"] = [](NodeImporter &n) {
    return convertRecurrent(n, CellKind::Gru);
  };
  map["LSTM"] = [](NodeImporter &n) {
    return convertRecurrent(n, CellKind::Lstm);
  };
}
