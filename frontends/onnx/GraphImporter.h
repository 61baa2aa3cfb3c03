//===- GraphImporter.h - ONNX graph → kiln ops (internal) ----------*- C++ -*-===//
//
// The machinery shared by the op-family converters: the loaded model, the map
// from ONNX value names to SSA values, and `NodeImporter`, a converter's view
// of one node (typed attribute access that reports wrong types, constant
// inputs, and op creation that checks inferred types instead of aborting).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTENDS_ONNX_GRAPHIMPORTER_H
#define KILN_FRONTENDS_ONNX_GRAPHIMPORTER_H

#include "frontends/onnx/OnnxImporter.h"
#include "frontends/onnx/onnx.pb.h"

#include "dialects/kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <optional>

namespace mlir::kiln::onnx {

//===----------------------------------------------------------------------===//
// Model loading and tensors (ModelLoader.cpp)
//===----------------------------------------------------------------------===//

/// A parsed model. The proto is shared with every weight blob that points
/// into it, so it lives as long as the MLIRContext that holds those blobs.
struct LoadedModel {
  std::shared_ptr<::onnx::ModelProto> proto;
  std::string path;
  /// External data locations are relative to this folder.
  std::string dir;
  int64_t opset = 0;
};

/// Reads and parses PATH; emits one error at `loc` on failure.
FailureOr<LoadedModel> loadModel(StringRef path, Location loc);

/// ONNX data types newer than Debian's onnx.proto, which stops at BFLOAT16.
namespace dtype {
enum : int32_t {
  Float8E4M3FN = 17,
  Float8E4M3FNUZ = 18,
  Float8E5M2 = 19,
  Float8E5M2FNUZ = 20,
  UInt4 = 21,
  Int4 = 22,
  Float4E2M1 = 23,
  Float8E8M0 = 24,
  UInt2 = 25,
  Int2 = 26,
};
} // namespace dtype

/// The MLIR element type of an ONNX TensorProto::DataType; null if kiln does
/// not represent it. float8 types map to MLIR's f8 types. Types below a byte
/// are held one per byte in a wider type that holds their values exactly:
/// int4/int2 in i8, uint4/uint2 in ui8 (both normalised: sign- or
/// zero-extended), float4e2m1 in f8E4M3FN; `widenedDataTypeName` says which
/// ONNX type such a value really has.
Type convertDataType(MLIRContext *ctx, int32_t dataType);
/// For the ONNX types held in a wider element type: the manifest's name
/// ("i4", "u4", "i2", "u2", "f4e2m1", runtime/ABI.md); empty otherwise.
StringRef widenedDataTypeName(int32_t dataType);
/// Bits per element of the ONNX types packed below a byte (4 or 2), else 0.
int subByteBits(int32_t dataType);
/// The ONNX data type an MLIR element type stands for when nothing says it
/// is a widened one (i8 → INT8, f8E4M3FN → FLOAT8E4M3FN); 0 if none.
int32_t dataTypeOf(Type type);
/// "FLOAT", "INT64", ... for messages.
std::string dataTypeName(int32_t dataType);

/// Turns TensorProtos into ElementsAttrs without copying bulk data: large
/// tensors become `dense_resource` blobs over the proto's bytes or over a
/// read-only mapping of the external data file; small ones (≤ 64 elements)
/// become DenseElementsAttr so shape logic can read them.
class TensorConverter {
public:
  explicit TensorConverter(const LoadedModel &model) : model(model) {}
  /// `what` names the tensor in messages (e.g. "initializer 'w'").
  FailureOr<ElementsAttr> convert(MLIRContext *ctx,
                                  const ::onnx::TensorProto &tensor,
                                  StringRef what, Location loc);

private:
  FailureOr<std::shared_ptr<llvm::MemoryBuffer>>
  mapExternalFile(const std::string &location, StringRef tensorName,
                  Location loc);

  const LoadedModel &model;
  llvm::StringMap<std::shared_ptr<llvm::MemoryBuffer>> mappedFiles;
  /// Reported once; later initializers in the same file fail quietly.
  llvm::StringSet<> missingFiles;
};

//===----------------------------------------------------------------------===//
// Graph and node import (GraphImporter.cpp)
//===----------------------------------------------------------------------===//

/// A small 0-d or 1-D integer tensor known element by element, each element
/// a constant (an index attribute) or a run-time `index` value (a dynamic dim,
/// or arithmetic on dims). Exporters compute Reshape targets and Slice bounds
/// of symbolic dims with Shape → Gather → Concat chains; tracking those
/// elementwise keeps every dim that is known static (ops/ShapeValues.cpp).
/// Booleans are 0/1.
struct ShapeValue {
  SmallVector<OpFoldResult> elems;
  /// 0-d (one element).
  bool scalar = false;
};

/// Integer arithmetic on `index` values that folds constants (and a few
/// identities of non-negative dims) instead of emitting arith ops, so that
/// what is static stays static (ops/ShapeValues.cpp).
class IndexMath {
public:
  IndexMath(OpBuilder &b, Location loc) : b(b), loc(loc) {}
  OpFoldResult constant(int64_t v);
  OpFoldResult add(OpFoldResult x, OpFoldResult y);
  OpFoldResult sub(OpFoldResult x, OpFoldResult y);
  OpFoldResult mul(OpFoldResult x, OpFoldResult y);
  /// Truncating division (ONNX integer Div); null on a constant zero divisor.
  OpFoldResult div(OpFoldResult x, OpFoldResult y);
  /// Rounds up; `y` must be positive.
  OpFoldResult ceilDiv(OpFoldResult x, OpFoldResult y);
  /// Python-style remainder (sign of the divisor).
  OpFoldResult mod(OpFoldResult x, OpFoldResult y);
  OpFoldResult min(OpFoldResult x, OpFoldResult y);
  OpFoldResult max(OpFoldResult x, OpFoldResult y);
  OpFoldResult clamp(OpFoldResult x, OpFoldResult lo, OpFoldResult hi) {
    return min(max(x, lo), hi);
  }
  /// 1 if `pred(x, y)` holds, else 0.
  OpFoldResult cmp(arith::CmpIPredicate pred, OpFoldResult x, OpFoldResult y);
  /// `cond` (0/1) ? x : y.
  OpFoldResult select(OpFoldResult cond, OpFoldResult x, OpFoldResult y);
  Value value(OpFoldResult x);
  /// True if `x` is known to be >= 0 (constants, dims and their products).
  static bool isNonNegative(OpFoldResult x);

private:
  OpBuilder &b;
  Location loc;
};

class NodeImporter;
using ConvertFn = LogicalResult (*)(NodeImporter &);

/// Converters by ONNX op type (ai.onnx domain), filled by the op-family files.
using ConverterMap = llvm::StringMap<ConvertFn>;
void registerElementwiseOps(ConverterMap &map);
void registerElementwiseFamilyOps(ConverterMap &map);
void registerLinearOps(ConverterMap &map);
void registerPoolingOps(ConverterMap &map);
void registerShapeOps(ConverterMap &map);
void registerNormalizationOps(ConverterMap &map);
void registerIndexingOps(ConverterMap &map);
void registerReductionOps(ConverterMap &map);
void registerAttentionOps(ConverterMap &map);
void registerLossOps(ConverterMap &map);
void registerResizeOps(ConverterMap &map);
void registerControlFlowOps(ConverterMap &map);
void registerRecurrentOps(ConverterMap &map);
void registerSignalOps(ConverterMap &map);
void registerSmallOps(ConverterMap &map);
void registerSpatialOps(ConverterMap &map);
void registerQuantizationOps(ConverterMap &map);
void registerSequenceModelOps(ConverterMap &map);

class GraphImporter {
public:
  /// With `keepGoing` (kiln check), a failing node poisons its outputs and
  /// import continues so that every problem is reported.
  GraphImporter(MLIRContext &ctx, LoadedModel &model, const ImportOptions &opts,
                bool keepGoing);

  FailureOr<OwningOpRef<ModuleOp>> run();

  MLIRContext &ctx;
  OpBuilder builder;
  LoadedModel &model;
  const ImportOptions &opts;
  TensorConverter tensors;
  llvm::StringMap<Value> values;
  /// ONNX data types of values by name, as the model declares them (graph
  /// inputs and outputs, initializers, value_info) or converters set them;
  /// what tells an int4 value from an int8 one (convertDataType).
  llvm::StringMap<int32_t> dataTypes;
  llvm::StringSet<> poisoned;
  bool keepGoing;
  /// Shape-like values known element by element, by the tensor that holds
  /// them (ops/ShapeValues.cpp).
  DenseMap<Value, ShapeValue> shapeValues;
  /// The run-time size of dynamic dim (value, d): one value per symbolic dim
  /// wherever the importer can tell two dims are the same.
  DenseMap<std::pair<Value, int64_t>, Value> dimValues;
  /// Graph-input dims with the dim_param of an earlier input dim: that dim.
  DenseMap<std::pair<Value, int64_t>, std::pair<Value, int64_t>> namedDims;

  /// Dim `d` of `v`: its static size, or its run-time size as an `index`
  /// value (dynamic dims that are equal by construction share one value).
  OpFoldResult dimOf(Value v, int64_t d);
  /// Records that dynamic dim `d` of `v` has the run-time size `size`.
  void setDim(Value v, int64_t d, OpFoldResult size);

  Location fileLoc() const;

  /// Imports subgraph `body` (a Scan, Loop or If body) at the insertion point
  /// with its inputs bound to `inputs` and returns its outputs. Names of the
  /// enclosing scopes resolve through `values`; the body's own names are
  /// dropped afterwards, so an unrolled loop imports the same body again.
  FailureOr<SmallVector<Value>> importSubgraph(const ::onnx::GraphProto &body,
                                               ValueRange inputs, Location loc);

private:
  LogicalResult importInputs(func::FuncOp &func,
                             SmallVectorImpl<DictionaryAttr> &argAttrs);
  LogicalResult importInitializers();
  LogicalResult importNode(const ::onnx::NodeProto &node, int index);
  LogicalResult importOutputs(Location loc);

  ConverterMap converters;
};

/// A converter's view of one ONNX node.
class NodeImporter {
public:
  NodeImporter(GraphImporter &graph, const ::onnx::NodeProto &node,
               std::string name, Location loc);

  const ::onnx::NodeProto &node;
  GraphImporter &graph;
  std::string name;
  Location loc;
  OpBuilder &b;

  int64_t opset() const { return graph.model.opset; }
  StringRef opType() const { return node.op_type(); }
  MLIRContext *ctx() const { return &graph.ctx; }

  /// An error naming the node: "node 'NAME' (OpType): ...".
  InFlightDiagnostic error();

  //--- Inputs and outputs -----------------------------------------------===//
  /// True if input `i` is given (present and not the empty name).
  bool hasInput(unsigned i) const;
  /// Required input `i`.
  FailureOr<Value> input(unsigned i);
  /// Required input `i` that must be a float32 tensor (compute ops).
  FailureOr<Value> floatInput(unsigned i);
  /// Input `i` that must be a constant (e.g. a Reshape shape).
  FailureOr<DenseElementsAttr> constantInput(unsigned i, StringRef what);
  /// Integer values of constant input `i`.
  FailureOr<SmallVector<int64_t>> constantInts(unsigned i, StringRef what);
  /// Elements of the 0-d or 1-D integer input `i` (static length): tracked
  /// shape values, constants, or `tensor.extract`ed at run time.
  FailureOr<ShapeValue> shapeInput(unsigned i, StringRef what);
  /// Sets output `i` to `value` with `elementType` (a kiln.constant when all
  /// elements are constants, else tensor.from_elements) and tracks it.
  void setShapeResult(const ShapeValue &value, Type elementType,
                      unsigned i = 0);
  /// Index arithmetic at this node.
  IndexMath math() { return IndexMath(b, loc); }
  /// Fails unless the node uses at most `n` outputs (later ones may be named
  /// only if `unusedOk`... they must be empty).
  LogicalResult expectOutputs(unsigned n, StringRef whatElse);
  void setResult(Value value, unsigned i = 0);
  /// The ONNX data type of input `i`: the declared one where it matches the
  /// value's element type, else the type that element type stands for.
  int32_t inputDataType(unsigned i);
  /// Records the ONNX data type of output `i` (see GraphImporter::dataTypes).
  void setResultDataType(int32_t dataType, unsigned i = 0);

  //--- Attributes -------------------------------------------------------===//
  /// Reports every attribute not in `known` as unsupported.
  LogicalResult checkAttributes(ArrayRef<StringRef> known);
  const ::onnx::AttributeProto *attr(StringRef attrName) const;
  FailureOr<int64_t> intAttr(StringRef attrName, int64_t dflt);
  FailureOr<float> floatAttr(StringRef attrName, float dflt);
  FailureOr<std::string> stringAttr(StringRef attrName, StringRef dflt);
  /// `dflt` is used when absent; std::nullopt default means "required".
  FailureOr<SmallVector<int64_t>>
  intsAttr(StringRef attrName, std::optional<SmallVector<int64_t>> dflt);

  //--- Creating kiln ops ------------------------------------------------===//
  /// Creates OpT with its inferred result type; a type inference or verifier
  /// failure becomes an error naming the node (the builders would abort).
  template <typename OpT>
  FailureOr<Value> create(ValueRange operands,
                          ArrayRef<NamedAttribute> attrs = {}) {
    SmallVector<Type, 1> types;
    if (failed(inferTypes(OpT::getOperationName(), operands, attrs,
                          [&](std::optional<Location> l, DictionaryAttr dict) {
                            typename OpT::Properties props;
                            if (failed(OpT::setPropertiesFromAttr(
                                    props, dict, [&] { return emitError(*l); })))
                              return failure();
                            return OpT::inferReturnTypes(
                                ctx(), l, operands, dict,
                                OpaqueProperties(&props), {}, types);
                          })))
      return failure();
    return createTyped<OpT>(types.front(), operands, attrs);
  }

  /// Creates OpT with an explicit result type, then verifies it.
  template <typename OpT>
  FailureOr<Value> createTyped(Type type, ValueRange operands,
                               ArrayRef<NamedAttribute> attrs = {}) {
    OperationState state(loc, OpT::getOperationName(), operands, {type},
                         attrs);
    return finishOp(b.create(state));
  }

  NamedAttribute namedAttr(StringRef attrName, Attribute value) {
    return b.getNamedAttr(attrName, value);
  }

private:
  LogicalResult
  inferTypes(StringRef opName, ValueRange operands,
             ArrayRef<NamedAttribute> attrs,
             function_ref<LogicalResult(std::optional<Location>, DictionaryAttr)>
                 infer);
  FailureOr<Value> finishOp(Operation *op);
};

//===----------------------------------------------------------------------===//
// Helpers shared by converters
//===----------------------------------------------------------------------===//

/// Input `i` of a float or signless-integer (incl. bool) element type.
FailureOr<Value> numericInput(NodeImporter &n, unsigned i);

/// `x` converted to ONNX data type `toType` as ONNX Cast does (`saturate`
/// and `roundMode` for float8 targets); `x` itself if nothing changes
/// (ops/ElementwiseFamilies.cpp).
FailureOr<Value> createCast(NodeImporter &n, Value x, int32_t toType,
                            bool saturate = true, StringRef roundMode = "up");

/// Resolves ONNX `auto_pad` (NOTSET, VALID, SAME_UPPER, SAME_LOWER) into
/// explicit begin-then-end pads. SAME_* needs static spatial dims.
LogicalResult resolveAutoPad(NodeImporter &n, StringRef autoPad,
                             RankedTensorType inputType,
                             ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                             ArrayRef<int64_t> dilations,
                             SmallVectorImpl<int64_t> &pads);
/// kiln.conv of `operands` (x, w[, b]) with the node's Conv attributes,
/// checked against the weight (ops/Linear.cpp).
FailureOr<Value> createConv(NodeImporter &n, ValueRange operands);

/// Folds a just-created `op` whose operands are small constants into a
/// kiln.constant (or the value its folder forwards) and erases it; null if
/// it does not fold (ops/ConstantFolding.cpp).
Value foldToConstant(OpBuilder &b, Operation *op);

/// Evaluates a node of integer shape arithmetic (Add, Sub, Mul, Div, Max,
/// Min, comparisons, And/Or/Not, Neg, Abs, Where, Cast) whose inputs are all
/// small integer or boolean constants into a kiln.constant; false if the node
/// is not one (ops/ConstantFolding.cpp).
bool tryEvaluateIntegerNode(NodeImporter &n);

/// Evaluates a node on shape values element by element (Shape of dynamic
/// dims, Gather/Slice/Concat/Squeeze/Unsqueeze/Cast and integer arithmetic
/// with a tracked input) into a tracked shape value; false if the node is
/// not one (ops/ShapeValues.cpp).
bool tryEvaluateShapeNode(NodeImporter &n);

/// Normalises an axis in [-rank, rank) to [0, rank); fails with a message.
FailureOr<int64_t> normalizeAxis(NodeImporter &n, int64_t axis, int64_t rank,
                                 StringRef what);

} // namespace mlir::kiln::onnx

#endif // KILN_FRONTENDS_ONNX_GRAPHIMPORTER_H
