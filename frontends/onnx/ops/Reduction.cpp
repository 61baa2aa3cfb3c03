//===- Reduction.cpp - ONNX Reduce*, ArgMax/ArgMin → kiln -----------------===//
//
// Every ONNX Reduce* becomes one kiln.reduce with a `kind`; the axes come
// from the attribute before opset 18 (13 for ReduceSum) and from the
// optional second input after, normalised to sorted non-negative values.
// Empty axes reduce everything, or pass the input through with
// noop_with_empty_axes. An axes input that is not a constant becomes
// kiln.reduce_dynamic_axes: its values are read at run time, its size
// (hence the result rank) is static.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"

#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx;

/// Input `i` with an element type kiln computes with: f16, bf16, f32, f64,
/// or (with `allowInts`) a signless integer other than i1.
static FailureOr<Value> numericInput(NodeImporter &n, unsigned i,
                                     bool allowInts) {
  auto value = n.input(i);
  if (failed(value))
    return failure();
  Type elem = cast<RankedTensorType>(value->getType()).getElementType();
  bool ok = isa<Float16Type, BFloat16Type, Float32Type, Float64Type>(elem) ||
            (allowInts && elem.isSignlessInteger() && !elem.isInteger(1));
  if (!ok)
    return n.error() << "unsupported dtype " << elem << " for input '"
                     << n.node.input(i) << "'";
  return value;
}

static StringRef reduceKind(StringRef opType) {
  return llvm::StringSwitch<StringRef>(opType)
      .Case("ReduceSum", "sum")
      .Case("ReduceMean", "mean")
      .Case("ReduceMax", "max")
      .Case("ReduceMin", "min")
      .Case("ReduceProd", "prod")
      .Case("ReduceL1", "l1")
      .Case("ReduceL2", "l2")
      .Case("ReduceLogSum", "log_sum")
      .Case("ReduceLogSumExp", "log_sum_exp")
      .Case("ReduceSumSquare", "sum_square")
      .Default("");
}

/// Reduce*(x, axes) with `axes` a run-time value (its size static) →
/// kiln.reduce_dynamic_axes x, axes {kind, keepdims}.
static LogicalResult convertRuntimeAxesReduce(NodeImporter &n, Value x,
                                              Value axes, StringRef kind,
                                              bool keepdims) {
  auto axesType = cast<RankedTensorType>(axes.getType());
  if (axesType.getRank() != 1 || axesType.isDynamicDim(0))
    return n.error() << "axes (input '" << n.node.input(1)
                     << "') must be a constant or a 1-D tensor of static "
                        "size, got "
                     << axesType;
  auto result = n.create<ReduceDynamicAxesOp>(
      {x, axes}, {n.namedAttr("kind", n.b.getStringAttr(kind)),
                  n.namedAttr("keepdims", n.b.getBoolAttr(keepdims))});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// Reduce*(x, axes) → kiln.reduce x {kind, axes, keepdims}; empty axes with
/// noop_with_empty_axes → x.
static LogicalResult convertReduce(NodeImporter &n) {
  StringRef kind = reduceKind(n.opType());
  // ReduceSum moved its axes to an input in opset 13, the others in 18.
  bool axesAsInput = n.opset() >= (kind == "sum" ? 13 : 18);
  if (failed(n.checkAttributes(
          axesAsInput ? ArrayRef<StringRef>{"keepdims", "noop_with_empty_axes"}
                      : ArrayRef<StringRef>{"axes", "keepdims"})))
    return failure();
  bool exact = llvm::is_contained(
      ArrayRef<StringRef>{"sum", "max", "min", "prod", "l1", "sum_square"},
      kind);
  auto data = n.input(0);
  if (failed(data))
    return failure();
  // max/min of booleans are any/all.
  bool isBool =
      cast<RankedTensorType>(data->getType()).getElementType().isInteger(1);
  auto x = isBool && (kind == "max" || kind == "min")
               ? data
               : numericInput(n, 0, exact);
  if (failed(x))
    return failure();
  int64_t rank = cast<RankedTensorType>(x->getType()).getRank();
  auto keepdims = n.intAttr("keepdims", 1);
  auto noop = n.intAttr("noop_with_empty_axes", 0);
  if (failed(keepdims) || failed(noop))
    return failure();
  SmallVector<int64_t> axes;
  if (axesAsInput && n.hasInput(1)) {
    auto axesInput = n.input(1);
    if (failed(axesInput))
      return failure();
    auto axesType = cast<RankedTensorType>(axesInput->getType());
    bool runtimeAxes = !axesInput->getDefiningOp<ConstantOp>() &&
                       !(axesType.hasStaticShape() && axesType.getNumElements() == 0);
    if (runtimeAxes)
      return convertRuntimeAxesReduce(n, *x, *axesInput, kind, *keepdims != 0);
    if (axesInput->getDefiningOp<ConstantOp>()) {
      auto given = n.constantInts(1, "axes");
      if (failed(given))
        return failure();
      axes = *given;
    }
  } else if (!axesAsInput) {
    auto given = n.intsAttr("axes", SmallVector<int64_t>());
    if (failed(given))
      return failure();
    axes = *given;
  }
  if (axes.empty()) {
    if (*noop) {
      n.setResult(*x);
      return success();
    }
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  }
  for (int64_t &axis : axes) {
    auto normalized = normalizeAxis(n, axis, rank, "axis");
    if (failed(normalized))
      return failure();
    axis = *normalized;
  }
  llvm::sort(axes);
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    return n.error() << "axes repeat an axis";
  auto result = n.create<ReduceOp>(
      {*x}, {n.namedAttr("kind", n.b.getStringAttr(kind)),
             n.namedAttr("axes", n.b.getDenseI64ArrayAttr(axes)),
             n.namedAttr("keepdims", n.b.getBoolAttr(*keepdims != 0))});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// ArgMax/ArgMin(x) → kiln.arg_reduce x {kind, axis, keepdims,
/// select_last_index}.
static LogicalResult convertArgReduce(NodeImporter &n) {
  if (failed(n.checkAttributes({"axis", "keepdims", "select_last_index"})))
    return failure();
  auto x = numericInput(n, 0, /*allowInts=*/true);
  auto axisAttr = n.intAttr("axis", 0);
  auto keepdims = n.intAttr("keepdims", 1);
  auto last = n.intAttr("select_last_index", 0);
  if (failed(x) || failed(axisAttr) || failed(keepdims) || failed(last))
    return failure();
  int64_t rank = cast<RankedTensorType>(x->getType()).getRank();
  auto axis = normalizeAxis(n, *axisAttr, rank, "axis");
  if (failed(axis))
    return failure();
  StringRef kind = n.opType() == "ArgMax" ? "max" : "min";
  auto result = n.create<ArgReduceOp>(
      {*x}, {n.namedAttr("kind", n.b.getStringAttr(kind)),
             n.namedAttr("axis", n.b.getI64IntegerAttr(*axis)),
             n.namedAttr("keepdims", n.b.getBoolAttr(*keepdims != 0)),
             n.namedAttr("select_last_index", n.b.getBoolAttr(*last != 0))});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

void mlir::kiln::onnx::registerReductionOps(ConverterMap &map) {
  for (StringRef op : {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin",
                       "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum",
                       "ReduceLogSumExp", "ReduceSumSquare"})
    map[op] = convertReduce;
  map["ArgMax"] = convertArgReduce;
  map["ArgMin"] = convertArgReduce;
}
