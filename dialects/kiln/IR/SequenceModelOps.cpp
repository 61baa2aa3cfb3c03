//===- SequenceModelOps.cpp - kiln.linear_attention verifier --------------===//
//
// The recurrence's operands must agree on batch, heads, length and head
// sizes; decay and beta may broadcast over heads (and decay over Dk), which
// is what the ONNX op's per-head and per-key-dim forms import to. Shapes are
// static: the lowering loops over the tokens.
//
//===----------------------------------------------------------------------===//

#include "dialects/kiln/IR/KilnOps.h"

using namespace mlir;
using namespace mlir::kiln;

/// Whether `size` is `full` or a broadcast 1.
static bool fitsOrOne(int64_t size, int64_t full) {
  return size == full || size == 1;
}

LogicalResult LinearAttentionOp::verify() {
  auto q = cast<RankedTensorType>(getQ().getType());
  auto k = cast<RankedTensorType>(getK().getType());
  auto v = cast<RankedTensorType>(getV().getType());
  auto out = cast<RankedTensorType>(getOutput().getType());
  auto state = cast<RankedTensorType>(getPresentState().getType());
  for (RankedTensorType t : {q, k, v, out, state}) {
    if (t.getRank() != 4 || !t.hasStaticShape())
      return emitOpError("operands and results must be static 4-D, got ") << t;
    if (!isa<FloatType>(t.getElementType()))
      return emitOpError("operands and results must be float, got ") << t;
  }
  int64_t b = q.getDimSize(0), hq = q.getDimSize(1), len = q.getDimSize(2),
          dk = q.getDimSize(3), hkv = k.getDimSize(1), dv = v.getDimSize(3);
  if (k.getDimSize(0) != b || k.getDimSize(2) != len || k.getDimSize(3) != dk)
    return emitOpError("k ") << k << " does not match q " << q;
  if (v.getDimSize(0) != b || v.getDimSize(1) != hkv || v.getDimSize(2) != len)
    return emitOpError("v ") << v << " does not match k " << k;
  if (hkv <= 0 || hq % hkv != 0)
    return emitOpError() << hq << " query heads are not a multiple of " << hkv
                         << " kv heads";
  auto expectedOut = RankedTensorType::get({b, hq, len, dv}, q.getElementType());
  if (out != expectedOut)
    return emitOpError("output must be ") << expectedOut << ", got " << out;
  if (ArrayRef<int64_t>(state.getShape()) !=
      ArrayRef<int64_t>({b, hkv, dk, dv}))
    return emitOpError("state must be ")
           << b << "x" << hkv << "x" << dk << "x" << dv << ", got " << state;
  if (Value past = getState())
    if (past.getType() != state)
      return emitOpError("state ") << past.getType()
                                   << " differs from the result state "
                                   << state;
  if (Value decay = getDecay()) {
    auto g = cast<RankedTensorType>(decay.getType());
    if (g.getRank() != 4 || g.getDimSize(0) != b ||
        !fitsOrOne(g.getDimSize(1), hkv) || g.getDimSize(2) != len ||
        !fitsOrOne(g.getDimSize(3), dk) || !isa<FloatType>(g.getElementType()))
      return emitOpError("decay ")
             << g << " must be float " << b << "x(" << hkv << "|1)x" << len
             << "x(" << dk << "|1)";
  }
  if (Value beta = getBeta()) {
    auto bt = cast<RankedTensorType>(beta.getType());
    if (bt.getRank() != 4 || bt.getDimSize(0) != b ||
        !fitsOrOne(bt.getDimSize(1), hkv) || bt.getDimSize(2) != len ||
        bt.getDimSize(3) != 1 || !isa<FloatType>(bt.getElementType()))
      return emitOpError("beta ") << bt << " must be float " << b << "x("
                                  << hkv << "|1)x" << len << "x1";
  }
  return success();
}
