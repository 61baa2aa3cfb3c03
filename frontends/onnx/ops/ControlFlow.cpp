//===- ControlFlow.cpp - ONNX Scan, Loop, If → kiln (by unrolling) --------===//
//
// kiln has no region-carrying control flow, so subgraph ops are resolved at
// import time. Scan with a static sequence length and Loop whose trip count
// and continue-condition are compile-time constants are unrolled: the body is
// imported once per iteration with the carried state threaded through, and
// per-iteration outputs are stacked. If with a constant condition imports
// the taken branch; with a runtime condition both branches are imported
// (ONNX ops have no side effects) and each output is a kiln.where.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/ops/Unroll.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx;

/// Unrolling beyond this many body imports is refused (import time and code
/// size grow linearly).
static constexpr int64_t kMaxUnrolledIterations = 4096;

/// The graph attribute `attrName` of the node.
static FailureOr<const ::onnx::GraphProto *> graphAttr(NodeImporter &n,
                                                       StringRef attrName) {
  const auto *a = n.attr(attrName);
  if (!a || !a->has_g())
    return n.error() << "missing graph attribute '" << attrName << "'";
  return &a->g();
}

/// The value of a constant i1 tensor with one element, if `v` is one.
static std::optional<bool> constantBool(Value v) {
  auto constant = v.getDefiningOp<ConstantOp>();
  if (!constant)
    return std::nullopt;
  auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
  if (!dense || dense.getNumElements() != 1)
    return std::nullopt;
  Type elem = dense.getElementType();
  if (elem.isInteger())
    return !(*dense.getValues<APInt>().begin()).isZero();
  if (isa<FloatType>(elem))
    return !(*dense.getValues<APFloat>().begin()).isZero();
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Scan
//===----------------------------------------------------------------------===//

namespace {
/// One unrolled scan: the body, its carried state and the per-input/output
/// axes and directions (non-negative axes, true = reverse).
struct ScanPlan {
  const ::onnx::GraphProto *body;
  SmallVector<Value> states;
  SmallVector<Value> scans;
  SmallVector<int64_t> inAxes, outAxes;
  SmallVector<bool> inReverse, outReverse;
};
} // namespace

/// Runs the body over the scan inputs; returns the final states followed by
/// the stacked scan outputs.
static FailureOr<SmallVector<Value>> unrollScan(NodeImporter &n,
                                                ScanPlan &plan) {
  if (plan.scans.empty())
    return n.error() << "needs at least one scan input";
  int64_t length = -1;
  for (auto [scan, axis] : llvm::zip(plan.scans, plan.inAxes)) {
    auto dim = staticDim(n, scan, axis, "the scan length");
    if (failed(dim))
      return failure();
    if (length >= 0 && *dim != length)
      return n.error() << "scan inputs have different lengths " << length
                       << " and " << *dim;
    length = *dim;
  }
  if (length == 0)
    return n.error() << "a scan of length 0 is not supported (its output "
                        "shapes come from the body)";
  if (length > kMaxUnrolledIterations)
    return n.error() << "scan length " << length << " exceeds the unrolling "
                     << "limit " << kMaxUnrolledIterations;
  size_t numStates = plan.states.size();
  SmallVector<Value> states = plan.states;
  SmallVector<SmallVector<Value>> scanOuts;
  for (int64_t i = 0; i < length; ++i) {
    SmallVector<Value> bodyInputs = states;
    for (auto [scan, axis, reverse] :
         llvm::zip(plan.scans, plan.inAxes, plan.inReverse)) {
      auto slice = takeAt(n, scan, axis, reverse ? length - 1 - i : i);
      if (failed(slice))
        return failure();
      bodyInputs.push_back(*slice);
    }
    auto outs = n.graph.importSubgraph(*plan.body, bodyInputs, n.loc);
    if (failed(outs))
      return failure();
    if (outs->size() < numStates)
      return n.error() << "body has " << outs->size() << " outputs for "
                       << numStates << " states";
    states.assign(outs->begin(), outs->begin() + numStates);
    scanOuts.resize(outs->size() - numStates);
    for (auto [k, v] : llvm::enumerate(llvm::drop_begin(*outs, numStates)))
      scanOuts[k].push_back(v);
  }
  if (plan.outAxes.size() < scanOuts.size())
    plan.outAxes.resize(scanOuts.size(), 0);
  if (plan.outReverse.size() < scanOuts.size())
    plan.outReverse.resize(scanOuts.size(), false);
  SmallVector<Value> results = states;
  for (auto [k, parts] : llvm::enumerate(scanOuts)) {
    if (plan.outReverse[k])
      std::reverse(parts.begin(), parts.end());
    int64_t rank = cast<RankedTensorType>(parts.front().getType()).getRank();
    auto axis = normalizeAxis(n, plan.outAxes[k], rank + 1, "scan_output_axes");
    if (failed(axis))
      return failure();
    auto stacked = stack(n, parts, *axis);
    if (failed(stacked))
      return failure();
    results.push_back(*stacked);
  }
  return results;
}

/// Reads `attrName` (one entry per scan input or output), defaulting to 0s.
static FailureOr<SmallVector<int64_t>> perScanInts(NodeImporter &n,
                                                   StringRef attrName,
                                                   size_t count) {
  auto values = n.intsAttr(attrName, SmallVector<int64_t>(count, 0));
  if (failed(values))
    return failure();
  if (values->size() != count)
    return n.error() << "attribute '" << attrName << "' has "
                     << values->size() << " entries, expected " << count;
  return values;
}

/// Scan (opset 9+): unrolled over the static scan length.
static LogicalResult convertScan9(NodeImporter &n) {
  if (failed(n.checkAttributes({"body", "num_scan_inputs", "scan_input_axes",
                                "scan_input_directions", "scan_output_axes",
                                "scan_output_directions"})))
    return failure();
  auto body = graphAttr(n, "body");
  auto numScans = n.intAttr("num_scan_inputs", -1);
  if (failed(body) || failed(numScans))
    return failure();
  int64_t numInputs = n.node.input_size();
  if (*numScans < 1 || *numScans > numInputs)
    return n.error() << "num_scan_inputs " << *numScans << " is out of range";
  int64_t numStates = numInputs - *numScans;
  int64_t numScanOuts = (*body)->output_size() - numStates;
  if (numScanOuts < 0)
    return n.error() << "body has fewer outputs than states";
  ScanPlan plan;
  plan.body = *body;
  for (int64_t i = 0; i < numInputs; ++i) {
    auto value = n.input(i);
    if (failed(value))
      return failure();
    (i < numStates ? plan.states : plan.scans).push_back(*value);
  }
  auto inAxes = perScanInts(n, "scan_input_axes", *numScans);
  auto inDirs = perScanInts(n, "scan_input_directions", *numScans);
  auto outAxes = perScanInts(n, "scan_output_axes", numScanOuts);
  auto outDirs = perScanInts(n, "scan_output_directions", numScanOuts);
  if (failed(inAxes) || failed(inDirs) || failed(outAxes) || failed(outDirs))
    return failure();
  for (auto [scan, axis] : llvm::zip(plan.scans, *inAxes)) {
    auto normalized = normalizeAxis(
        n, axis, cast<RankedTensorType>(scan.getType()).getRank(),
        "scan_input_axes");
    if (failed(normalized))
      return failure();
    plan.inAxes.push_back(*normalized);
  }
  plan.outAxes = *outAxes;
  for (int64_t d : *inDirs)
    plan.inReverse.push_back(d != 0);
  for (int64_t d : *outDirs)
    plan.outReverse.push_back(d != 0);
  auto results = unrollScan(n, plan);
  if (failed(results))
    return failure();
  for (auto [i, v] : llvm::enumerate(*results))
    n.setResult(v, i);
  return success();
}

/// Scan-8: every input has a leading batch dim and scans along dim 1; the
/// body runs per batch entry.
static LogicalResult convertScan8(NodeImporter &n) {
  if (failed(n.checkAttributes({"body", "num_scan_inputs", "directions"})))
    return failure();
  auto body = graphAttr(n, "body");
  auto numScans = n.intAttr("num_scan_inputs", -1);
  if (failed(body) || failed(numScans))
    return failure();
  if (n.hasInput(0))
    return n.error() << "sequence_lens is not supported (the scan length must "
                        "be the static dim 1)";
  int64_t numInputs = n.node.input_size() - 1;
  if (*numScans < 1 || *numScans > numInputs)
    return n.error() << "num_scan_inputs " << *numScans << " is out of range";
  int64_t numStates = numInputs - *numScans;
  auto dirs = perScanInts(n, "directions", *numScans);
  if (failed(dirs))
    return failure();
  SmallVector<Value> inputs;
  for (int64_t i = 0; i < numInputs; ++i) {
    auto value = n.input(i + 1);
    if (failed(value))
      return failure();
    inputs.push_back(*value);
  }
  auto batch = staticDim(n, inputs.front(), 0, "the batch size");
  if (failed(batch))
    return failure();
  SmallVector<SmallVector<Value>> perBatch;
  for (int64_t b = 0; b < *batch; ++b) {
    ScanPlan plan;
    plan.body = *body;
    for (auto [i, value] : llvm::enumerate(inputs)) {
      auto entry = takeAt(n, value, 0, b);
      if (failed(entry))
        return failure();
      (int64_t(i) < numStates ? plan.states : plan.scans).push_back(*entry);
    }
    plan.inAxes.assign(*numScans, 0);
    for (int64_t d : *dirs)
      plan.inReverse.push_back(d != 0);
    auto results = unrollScan(n, plan);
    if (failed(results))
      return failure();
    perBatch.push_back(std::move(*results));
  }
  for (size_t k = 0; k < perBatch.front().size(); ++k) {
    SmallVector<Value> parts;
    for (auto &results : perBatch)
      parts.push_back(results[k]);
    auto stacked = stack(n, parts, 0);
    if (failed(stacked))
      return failure();
    n.setResult(*stacked, k);
  }
  return success();
}

static LogicalResult convertScan(NodeImporter &n) {
  return n.opset() < 9 ? convertScan8(n) : convertScan9(n);
}

//===----------------------------------------------------------------------===//
// Loop
//===----------------------------------------------------------------------===//

/// Loop with a constant trip count (or none) and a condition that stays a
/// compile-time constant: unrolled until the count or a false condition.
static LogicalResult convertLoop(NodeImporter &n) {
  if (failed(n.checkAttributes({"body"})))
    return failure();
  auto body = graphAttr(n, "body");
  if (failed(body))
    return failure();
  std::optional<int64_t> tripCount;
  if (n.hasInput(0)) {
    auto count = n.input(0);
    if (failed(count))
      return failure();
    if (!count->getDefiningOp<ConstantOp>())
      return n.error() << "the trip count '" << n.node.input(0)
                       << "' must be a compile-time constant (kiln unrolls "
                          "loops)";
    auto ints = n.constantInts(0, "trip count");
    if (failed(ints) || ints->size() != 1)
      return failure();
    tripCount = ints->front();
  }
  bool cond = true;
  if (n.hasInput(1)) {
    auto value = n.input(1);
    if (failed(value))
      return failure();
    auto constant = constantBool(*value);
    if (!constant)
      return n.error() << "the condition '" << n.node.input(1)
                       << "' must be a compile-time constant (kiln unrolls "
                          "loops)";
    cond = *constant;
  }
  if (!tripCount && !n.hasInput(1))
    return n.error() << "a loop without trip count and condition never ends";
  SmallVector<Value> carried;
  for (int i = 2; i < n.node.input_size(); ++i) {
    auto value = n.input(i);
    if (failed(value))
      return failure();
    carried.push_back(*value);
  }
  int64_t numCarried = carried.size();
  int64_t numScanOuts = (*body)->output_size() - 1 - numCarried;
  if (numScanOuts < 0)
    return n.error() << "body has fewer outputs than loop-carried values";
  Type i64 = n.b.getI64Type(), i1 = n.b.getI1Type();
  SmallVector<SmallVector<Value>> scanOuts(numScanOuts);
  int64_t iter = 0;
  for (; cond && (!tripCount || iter < *tripCount); ++iter) {
    if (iter >= kMaxUnrolledIterations)
      return n.error() << "more than " << kMaxUnrolledIterations
                       << " iterations; kiln does not unroll that far";
    SmallVector<Value> bodyInputs = {scalarConstant(n, i64, iter),
                                     scalarConstant(n, i1, 1)};
    bodyInputs.append(carried);
    auto outs = n.graph.importSubgraph(**body, bodyInputs, n.loc);
    if (failed(outs))
      return failure();
    auto next = constantBool((*outs)[0]);
    if (!next)
      return n.error() << "the body's condition output depends on runtime "
                          "values (kiln unrolls loops)";
    cond = *next;
    carried.assign(outs->begin() + 1, outs->begin() + 1 + numCarried);
    for (int64_t k = 0; k < numScanOuts; ++k)
      scanOuts[k].push_back((*outs)[1 + numCarried + k]);
  }
  for (auto [i, v] : llvm::enumerate(carried))
    n.setResult(v, i);
  for (auto [k, parts] : llvm::enumerate(scanOuts)) {
    if (parts.empty())
      return n.error() << "a loop with zero iterations and scan outputs is "
                          "not supported";
    auto stacked = stack(n, parts, 0);
    if (failed(stacked))
      return failure();
    n.setResult(*stacked, numCarried + k);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// If
//===----------------------------------------------------------------------===//

/// If: a constant condition imports the taken branch; a runtime one imports
/// both and selects each output with kiln.where.
static LogicalResult convertIf(NodeImporter &n) {
  if (failed(n.checkAttributes({"then_branch", "else_branch"})))
    return failure();
  auto thenBody = graphAttr(n, "then_branch");
  auto elseBody = graphAttr(n, "else_branch");
  auto cond = n.input(0);
  if (failed(thenBody) || failed(elseBody) || failed(cond))
    return failure();
  if (auto constant = constantBool(*cond)) {
    auto outs = n.graph.importSubgraph(*constant ? **thenBody : **elseBody,
                                       {}, n.loc);
    if (failed(outs))
      return failure();
    for (auto [i, v] : llvm::enumerate(*outs))
      n.setResult(v, i);
    return success();
  }
  auto condType = cast<RankedTensorType>(cond->getType());
  if (!condType.getElementType().isInteger(1) || !condType.hasStaticShape() ||
      condType.getNumElements() != 1)
    return n.error() << "condition must be a single bool, got " << condType;
  auto scalarCond = n.createTyped<ReshapeOp>(
      RankedTensorType::get({}, condType.getElementType()), {*cond});
  if (failed(scalarCond))
    return failure();
  auto thenOuts = n.graph.importSubgraph(**thenBody, {}, n.loc);
  if (failed(thenOuts))
    return failure();
  auto elseOuts = n.graph.importSubgraph(**elseBody, {}, n.loc);
  if (failed(elseOuts))
    return failure();
  if (thenOuts->size() != elseOuts->size())
    return n.error() << "branches have " << thenOuts->size() << " and "
                     << elseOuts->size() << " outputs";
  for (auto [i, pair] : llvm::enumerate(llvm::zip(*thenOuts, *elseOuts))) {
    auto [thenValue, elseValue] = pair;
    if (thenValue.getType() != elseValue.getType())
      return n.error() << "output " << i << " has type " << thenValue.getType()
                       << " in the then-branch but " << elseValue.getType()
                       << " in the else-branch; with a runtime condition "
                          "kiln needs both the same";
    auto selected = n.create<WhereOp>({*scalarCond, thenValue, elseValue});
    if (failed(selected))
      return failure();
    n.setResult(*selected, i);
  }
  return success();
}

void mlir::kiln::onnx::registerControlFlowOps(ConverterMap &map) {
  map["Scan"] = convertScan;
  map["Loop"] = convertLoop;
  map["If"] = convertIf;
}
