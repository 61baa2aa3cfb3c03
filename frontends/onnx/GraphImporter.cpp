//===- GraphImporter.cpp - ONNX graph → func.func @main -------------------===//
//
// Builds `func.func @main` from an ONNX graph: graph inputs become arguments
// (with `--input-shape` bindings and symbolic dim names), initializers become
// `kiln.constant`s, each node goes to its op-family converter, and graph
// outputs become the results. Every op is located at the ONNX node name so that
// later errors name the node. For `kiln check`, a failing node poisons its
// outputs and the import goes on, so one run lists every problem.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/ScopeExit.h"

using namespace mlir;
using namespace mlir::kiln::onnx;

static constexpr int64_t kDyn = ShapedType::kDynamic;

//===----------------------------------------------------------------------===//
// NodeImporter
//===----------------------------------------------------------------------===//

NodeImporter::NodeImporter(GraphImporter &graph, const ::onnx::NodeProto &node,
                           std::string name, Location loc)
    : node(node), graph(graph), name(std::move(name)), loc(loc),
      b(graph.builder) {}

InFlightDiagnostic NodeImporter::error() {
  return emitError(loc) << "node '" << name << "' (" << node.op_type()
                        << "): ";
}

bool NodeImporter::hasInput(unsigned i) const {
  return int(i) < node.input_size() && !node.input(i).empty();
}

FailureOr<Value> NodeImporter::input(unsigned i) {
  if (!hasInput(i))
    return error() << "missing required input " << i;
  auto it = graph.values.find(node.input(i));
  if (it == graph.values.end())
    return error() << "input '" << node.input(i)
                   << "' is not a graph input, initializer or earlier node "
                      "output";
  return it->second;
}

FailureOr<Value> NodeImporter::floatInput(unsigned i) {
  auto value = input(i);
  if (failed(value))
    return failure();
  auto type = cast<RankedTensorType>(value->getType());
  if (!type.getElementType().isF32())
    return error() << "unsupported dtype " << type.getElementType()
                   << " for input '" << node.input(i)
                   << "' (kiln computes in float32)";
  return value;
}

FailureOr<DenseElementsAttr> NodeImporter::constantInput(unsigned i,
                                                         StringRef what) {
  auto value = input(i);
  if (failed(value))
    return failure();
  auto constant = value->getDefiningOp<ConstantOp>();
  if (!constant)
    return error() << what << " (input '" << node.input(i)
                   << "') must be a constant";
  ElementsAttr attr = constant.getValue();
  if (auto dense = dyn_cast<DenseElementsAttr>(attr))
    return dense;
  auto resource = dyn_cast<DenseResourceElementsAttr>(attr);
  AsmResourceBlob *blob = resource ? resource.getRawHandle().getBlob() : nullptr;
  if (!blob || attr.getElementType().isInteger(1))
    return error() << what << " (input '" << node.input(i)
                   << "') must be a readable constant";
  return DenseElementsAttr::getFromRawBuffer(cast<ShapedType>(attr.getType()),
                                             blob->getData());
}

FailureOr<SmallVector<int64_t>> NodeImporter::constantInts(unsigned i,
                                                           StringRef what) {
  auto attr = constantInput(i, what);
  if (failed(attr))
    return failure();
  if (!attr->getElementType().isInteger() || attr->getElementType().isInteger(1))
    return error() << what << " must be an integer tensor";
  SmallVector<int64_t> ints;
  for (const APInt &v : attr->getValues<APInt>())
    ints.push_back(v.getSExtValue());
  return ints;
}

LogicalResult NodeImporter::expectOutputs(unsigned n, StringRef whatElse) {
  for (int i = n; i < node.output_size(); ++i)
    if (!node.output(i).empty())
      return error() << "unsupported " << whatElse << " output '"
                     << node.output(i) << "'";
  return success();
}

void NodeImporter::setResult(Value value, unsigned i) {
  if (int(i) < node.output_size() && !node.output(i).empty())
    graph.values[node.output(i)] = value;
}

int32_t NodeImporter::inputDataType(unsigned i) {
  auto value = graph.values.find(hasInput(i) ? node.input(i) : "");
  if (value == graph.values.end())
    return 0;
  Type elem = getElementTypeOrSelf(value->second.getType());
  auto declared = graph.dataTypes.find(node.input(i));
  if (declared != graph.dataTypes.end() &&
      convertDataType(ctx(), declared->second) == elem)
    return declared->second;
  return dataTypeOf(elem);
}

void NodeImporter::setResultDataType(int32_t dataType, unsigned i) {
  if (int(i) < node.output_size() && !node.output(i).empty())
    graph.dataTypes[node.output(i)] = dataType;
}

LogicalResult NodeImporter::checkAttributes(ArrayRef<StringRef> known) {
  bool ok = true;
  for (const auto &a : node.attribute())
    if (!llvm::is_contained(known, a.name())) {
      error() << "unsupported attribute '" << a.name() << "' (opset "
              << opset() << ")";
      ok = false;
    }
  return success(ok);
}

const ::onnx::AttributeProto *NodeImporter::attr(StringRef attrName) const {
  for (const auto &a : node.attribute())
    if (a.name() == attrName)
      return &a;
  return nullptr;
}

/// True if `a` holds `type`. Old exporters leave `type` unset; then the
/// filled field decides.
static bool hasType(const ::onnx::AttributeProto &a,
                    ::onnx::AttributeProto::AttributeType type) {
  if (a.has_type() && a.type() != ::onnx::AttributeProto::UNDEFINED)
    return a.type() == type;
  switch (type) {
  case ::onnx::AttributeProto::INT:
    return a.has_i();
  case ::onnx::AttributeProto::FLOAT:
    return a.has_f();
  case ::onnx::AttributeProto::STRING:
    return a.has_s();
  case ::onnx::AttributeProto::INTS:
    return a.ints_size() > 0 || a.floats_size() == 0;
  case ::onnx::AttributeProto::FLOATS:
    return a.floats_size() > 0 || a.ints_size() == 0;
  case ::onnx::AttributeProto::TENSOR:
    return a.has_t();
  default:
    return false;
  }
}

static StringRef typeName(::onnx::AttributeProto::AttributeType type) {
  return ::onnx::AttributeProto::AttributeType_Name(type);
}

FailureOr<int64_t> NodeImporter::intAttr(StringRef attrName, int64_t dflt) {
  const auto *a = attr(attrName);
  if (!a)
    return dflt;
  if (!hasType(*a, ::onnx::AttributeProto::INT))
    return error() << "attribute '" << attrName << "' must be an INT";
  return a->i();
}

FailureOr<float> NodeImporter::floatAttr(StringRef attrName, float dflt) {
  const auto *a = attr(attrName);
  if (!a)
    return dflt;
  if (!hasType(*a, ::onnx::AttributeProto::FLOAT))
    return error() << "attribute '" << attrName << "' must be a FLOAT";
  return a->f();
}

FailureOr<std::string> NodeImporter::stringAttr(StringRef attrName,
                                                StringRef dflt) {
  const auto *a = attr(attrName);
  if (!a)
    return dflt.str();
  if (!hasType(*a, ::onnx::AttributeProto::STRING))
    return error() << "attribute '" << attrName << "' must be a STRING";
  return a->s();
}

FailureOr<SmallVector<int64_t>>
NodeImporter::intsAttr(StringRef attrName,
                       std::optional<SmallVector<int64_t>> dflt) {
  const auto *a = attr(attrName);
  if (!a) {
    if (!dflt)
      return error() << "missing required attribute '" << attrName << "'";
    return *dflt;
  }
  if (!hasType(*a, ::onnx::AttributeProto::INTS))
    return error() << "attribute '" << attrName << "' must be INTS, not "
                   << typeName(a->type());
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

/// Runs `fn` with diagnostics captured; returns the first error's message.
static std::optional<std::string>
captureErrors(MLIRContext *ctx, function_ref<LogicalResult()> fn) {
  std::optional<std::string> message;
  ScopedDiagnosticHandler handler(ctx, [&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error && !message)
      message = diag.str();
    return success();
  });
  if (succeeded(fn()))
    return std::nullopt;
  return message ? message : std::string("invalid operands or attributes");
}

LogicalResult NodeImporter::inferTypes(
    StringRef opName, ValueRange operands, ArrayRef<NamedAttribute> attrs,
    function_ref<LogicalResult(std::optional<Location>, DictionaryAttr)> infer) {
  DictionaryAttr dict = DictionaryAttr::get(ctx(), attrs);
  auto message = captureErrors(ctx(), [&] { return infer(loc, dict); });
  if (message)
    return error() << "cannot build " << opName << ": " << *message;
  return success();
}

FailureOr<Value> NodeImporter::finishOp(Operation *op) {
  auto message = captureErrors(ctx(), [&] { return mlir::verify(op); });
  if (message) {
    StringRef opName = op->getName().getStringRef();
    op->erase();
    return error() << "cannot build " << opName << ": " << *message;
  }
  if (Value folded = foldToConstant(b, op))
    return folded;
  return op->getResult(0);
}

//===----------------------------------------------------------------------===//
// Shared converter helpers
//===----------------------------------------------------------------------===//

FailureOr<int64_t> mlir::kiln::onnx::normalizeAxis(NodeImporter &n,
                                                   int64_t axis, int64_t rank,
                                                   StringRef what) {
  if (axis < -rank || axis >= rank)
    return n.error() << what << " " << axis << " is out of range for rank "
                     << rank;
  return axis < 0 ? axis + rank : axis;
}

LogicalResult mlir::kiln::onnx::resolveAutoPad(
    NodeImporter &n, StringRef autoPad, RankedTensorType inputType,
    ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
    ArrayRef<int64_t> dilations, SmallVectorImpl<int64_t> &pads) {
  size_t spatial = kernel.size();
  if (autoPad == "NOTSET") {
    if (pads.empty())
      pads.assign(2 * spatial, 0);
    if (pads.size() != 2 * spatial)
      return n.error() << "expected " << 2 * spatial << " pads, got "
                       << pads.size();
    return success();
  }
  if (autoPad == "VALID") {
    pads.assign(2 * spatial, 0);
    return success();
  }
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
    return n.error() << "unsupported auto_pad '" << autoPad << "'";
  if (inputType.getRank() != int64_t(spatial) + 2)
    return n.error() << "input rank " << inputType.getRank()
                     << " does not match " << spatial << " spatial dims";
  pads.assign(2 * spatial, 0);
  for (size_t i = 0; i < spatial; ++i) {
    int64_t in = inputType.getDimSize(i + 2);
    if (in == kDyn)
      return n.error() << "auto_pad " << autoPad
                       << " needs static spatial dims, but dim " << i + 2
                       << " of the input is dynamic (bind it with "
                          "--input-shape)";
    if (strides[i] < 1 || dilations[i] < 1)
      return n.error() << "strides and dilations must be positive";
    int64_t out = (in + strides[i] - 1) / strides[i];
    int64_t total = std::max<int64_t>(
        0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - in);
    int64_t small = total / 2, large = total - small;
    pads[i] = autoPad == "SAME_UPPER" ? small : large;
    pads[i + spatial] = autoPad == "SAME_UPPER" ? large : small;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// GraphImporter
//===----------------------------------------------------------------------===//

GraphImporter::GraphImporter(MLIRContext &ctx, LoadedModel &model,
                             const ImportOptions &opts, bool keepGoing)
    : ctx(ctx), builder(&ctx), model(model), opts(opts), tensors(model),
      keepGoing(keepGoing) {
  registerElementwiseOps(converters);
  registerLinearOps(converters);
  registerPoolingOps(converters);
  registerShapeOps(converters);
  registerNormalizationOps(converters);
  registerIndexingOps(converters);
  registerReductionOps(converters);
  registerAttentionOps(converters);
  registerLossOps(converters);
  registerResizeOps(converters);
  registerControlFlowOps(converters);
  registerRecurrentOps(converters);
  registerSignalOps(converters);
  registerSmallOps(converters);
  registerSpatialOps(converters);
  registerQuantizationOps(converters);
  registerSequenceModelOps(converters);
}

Location GraphImporter::fileLoc() const {
  return FileLineColLoc::get(&ctx, model.path, 0, 0);
}

static std::string dimsString(ArrayRef<int64_t> dims) {
  std::string s;
  for (int64_t d : dims)
    s += (s.empty() ? "" : "x") + (d == kDyn ? "?" : std::to_string(d));
  return s;
}

/// Type and symbolic dim names of a graph input or output.
struct ValueInfoType {
  RankedTensorType type;
  SmallVector<std::string> dimNames;
};

static FailureOr<ValueInfoType>
convertValueInfo(MLIRContext &ctx, const LoadedModel &model,
                 const ::onnx::ValueInfoProto &info, StringRef role,
                 const SmallVector<int64_t> *bound) {
  Location loc = FileLineColLoc::get(&ctx, model.path, 0, 0);
  auto fail = [&]() {
    return emitError(loc) << model.path << ": " << role << " '" << info.name()
                          << "' ";
  };
  if (!info.type().has_tensor_type())
    return fail() << "is not a tensor";
  const auto &tensorType = info.type().tensor_type();
  Type elementType = convertDataType(&ctx, tensorType.elem_type());
  if (!elementType)
    return fail() << "has unsupported dtype "
                  << dataTypeName(tensorType.elem_type());
  ValueInfoType result;
  SmallVector<int64_t> shape;
  if (!tensorType.has_shape()) {
    if (!bound)
      return fail() << "has no shape; give one with --input-shape "
                    << info.name() << "=...";
    shape = *bound;
    result.dimNames.assign(shape.size(), "");
  } else {
    for (const auto &dim : tensorType.shape().dim()) {
      if (dim.has_dim_value() && dim.dim_value() >= 0) {
        shape.push_back(dim.dim_value());
        result.dimNames.push_back("");
      } else {
        shape.push_back(kDyn);
        result.dimNames.push_back(dim.has_dim_param() ? dim.dim_param() : "");
      }
    }
  }
  result.type = RankedTensorType::get(shape, elementType);
  return result;
}

LogicalResult
GraphImporter::importInputs(func::FuncOp &func,
                            SmallVectorImpl<DictionaryAttr> &argAttrs) {
  const auto &graph = model.proto->graph();
  llvm::StringSet<> initializerNames;
  for (const auto &init : graph.initializer())
    initializerNames.insert(init.name());
  // Declared data types; graph inputs and initializers last, so they win.
  for (const auto *infos : {&graph.value_info(), &graph.output(), &graph.input()})
    for (const auto &info : *infos)
      if (info.type().has_tensor_type() &&
          info.type().tensor_type().elem_type() != 0)
        dataTypes[info.name()] = info.type().tensor_type().elem_type();
  for (const auto &init : graph.initializer())
    dataTypes[init.name()] = init.data_type();

  // Inputs that are also initializers are constants (old exporters list
  // every weight as an input).
  SmallVector<const ::onnx::ValueInfoProto *> inputs;
  for (const auto &in : graph.input())
    if (!initializerNames.contains(in.name()))
      inputs.push_back(&in);

  Location loc = fileLoc();
  for (const auto &entry : opts.inputShapes)
    if (!llvm::any_of(inputs, [&](auto *in) { return in->name() == entry.getKey(); })) {
      std::string names;
      for (auto *in : inputs)
        names += (names.empty() ? "" : ", ") + in->name();
      return emitError(loc) << "--input-shape names '" << entry.getKey()
                            << "', which is not an input of " << model.path
                            << " (inputs: " << names << ")";
    }

  // Bindings name symbolic dims; a name bound at one input binds it at all.
  llvm::StringMap<int64_t> symbols;
  SmallVector<ValueInfoType> infos;
  for (auto *in : inputs) {
    auto it = opts.inputShapes.find(in->name());
    const SmallVector<int64_t> *bound =
        it == opts.inputShapes.end() ? nullptr : &it->second;
    auto info = convertValueInfo(ctx, model, *in, "input", bound);
    if (failed(info))
      return failure();
    if (bound) {
      ArrayRef<int64_t> shape = info->type.getShape();
      if (bound->size() != shape.size())
        return emitError(loc) << "--input-shape " << in->name() << "="
                              << dimsString(*bound) << " has rank "
                              << bound->size() << " but the model's input has "
                              << "shape " << dimsString(shape);
      for (size_t d = 0; d < shape.size(); ++d) {
        if (shape[d] != kDyn && shape[d] != (*bound)[d])
          return emitError(loc) << "--input-shape " << in->name() << "="
                                << dimsString(*bound)
                                << " contradicts the model's static shape "
                                << dimsString(shape);
        const std::string &sym = info->dimNames[d];
        if (sym.empty())
          continue;
        auto [symIt, inserted] = symbols.try_emplace(sym, (*bound)[d]);
        if (!inserted && symIt->second != (*bound)[d])
          return emitError(loc) << "--input-shape binds dim '" << sym
                                << "' to both " << symIt->second << " and "
                                << (*bound)[d];
      }
    }
    infos.push_back(std::move(*info));
  }

  SmallVector<Type> argTypes;
  for (auto [in, info] : llvm::zip(inputs, infos)) {
    SmallVector<int64_t> shape(info.type.getShape());
    SmallVector<Attribute> dimNames;
    for (size_t d = 0; d < shape.size(); ++d) {
      auto sym = symbols.find(info.dimNames[d]);
      if (shape[d] == kDyn && sym != symbols.end()) {
        shape[d] = sym->second;
        info.dimNames[d].clear();
      }
      dimNames.push_back(builder.getStringAttr(info.dimNames[d]));
    }
    argTypes.push_back(RankedTensorType::get(shape, info.type.getElementType()));
    SmallVector<NamedAttribute> attrs = {
        builder.getNamedAttr("kiln.name", builder.getStringAttr(in->name())),
        builder.getNamedAttr("kiln.dim_names", builder.getArrayAttr(dimNames))};
    StringRef widened =
        widenedDataTypeName(in->type().tensor_type().elem_type());
    if (!widened.empty())
      attrs.push_back(builder.getNamedAttr("kiln.dtype",
                                           builder.getStringAttr(widened)));
    argAttrs.push_back(builder.getDictionaryAttr(attrs));
  }
  func.setFunctionType(builder.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  for (auto [in, arg] : llvm::zip(inputs, entry->getArguments()))
    values[in->name()] = arg;
  // Dynamic dims sharing a dim_param are one run-time size.
  llvm::StringMap<std::pair<Value, int64_t>> firstNamed;
  for (auto [info, arg] : llvm::zip(infos, entry->getArguments()))
    for (auto [d, name] : llvm::enumerate(info.dimNames)) {
      if (name.empty() || !cast<RankedTensorType>(arg.getType()).isDynamicDim(d))
        continue;
      auto [it, inserted] = firstNamed.try_emplace(name, arg, int64_t(d));
      if (!inserted)
        namedDims[{arg, int64_t(d)}] = it->second;
    }
  return success();
}

LogicalResult GraphImporter::importInitializers() {
  bool ok = true;
  for (const auto &init : model.proto->graph().initializer()) {
    Location loc = NameLoc::get(builder.getStringAttr(init.name()), fileLoc());
    auto attr = tensors.convert(&ctx, init, "initializer '" + init.name() + "'",
                                loc);
    if (failed(attr)) {
      poisoned.insert(init.name());
      ok = false;
      if (!keepGoing)
        return failure();
      continue;
    }
    values[init.name()] = ConstantOp::create(builder, loc, *attr).getResult();
  }
  return success(ok);
}

LogicalResult GraphImporter::importNode(const ::onnx::NodeProto &node,
                                        int index) {
  std::string name = node.name().empty()
                         ? node.op_type() + "_" + std::to_string(index)
                         : node.name();
  Location loc = NameLoc::get(builder.getStringAttr(name), fileLoc());
  NodeImporter n(*this, node, name, loc);
  auto poisonOutputs = [&] {
    for (const auto &out : node.output())
      poisoned.insert(out);
    return failure();
  };

  if (tryEvaluateIntegerNode(n) || tryEvaluateShapeNode(n))
    return success();
  bool standardDomain = node.domain().empty() || node.domain() == "ai.onnx";
  auto it = converters.find(node.op_type());
  if (!standardDomain || it == converters.end()) {
    n.error() << "unsupported op "
              << (standardDomain ? "" : node.domain() + ".") << node.op_type()
              << " (opset " << model.opset << ")";
    return poisonOutputs();
  }
  // Downstream of an earlier failure only the op type is checked.
  for (const auto &in : node.input())
    if (poisoned.contains(in))
      return poisonOutputs();
  if (failed(it->second(n)))
    return poisonOutputs();
  for (const auto &out : node.output())
    if (!out.empty() && !values.count(out)) {
      n.error() << "output '" << out << "' was not produced";
      return poisonOutputs();
    }
  return success();
}

FailureOr<SmallVector<Value>>
GraphImporter::importSubgraph(const ::onnx::GraphProto &body, ValueRange inputs,
                              Location loc) {
  if (body.input_size() != int(inputs.size()))
    return emitError(loc) << "subgraph '" << body.name() << "' has "
                          << body.input_size() << " inputs, given "
                          << inputs.size();
  llvm::StringMap<Value> outer = values;
  llvm::scope_exit restore([&] { values = std::move(outer); });
  for (auto [info, value] : llvm::zip(body.input(), inputs))
    values[info.name()] = value;
  for (const auto &init : body.initializer()) {
    auto attr = tensors.convert(&ctx, init, "initializer '" + init.name() + "'",
                                loc);
    if (failed(attr))
      return failure();
    values[init.name()] = ConstantOp::create(builder, loc, *attr).getResult();
  }
  int index = 0;
  for (const auto &node : body.node())
    if (failed(importNode(node, index++)))
      return failure();
  SmallVector<Value> results;
  for (const auto &out : body.output()) {
    auto it = values.find(out.name());
    if (it == values.end())
      return emitError(loc) << "subgraph '" << body.name() << "' output '"
                            << out.name() << "' is not produced";
    results.push_back(it->second);
  }
  return results;
}

LogicalResult GraphImporter::importOutputs(Location loc) {
  const auto &graph = model.proto->graph();
  SmallVector<Value> results;
  SmallVector<DictionaryAttr> resultAttrs;
  bool ok = true;
  for (const auto &out : graph.output()) {
    if (poisoned.contains(out.name())) {
      ok = false;
      continue;
    }
    auto it = values.find(out.name());
    if (it == values.end()) {
      emitError(loc) << model.path << ": graph output '" << out.name()
                     << "' is not produced by any node";
      ok = false;
      continue;
    }
    Value value = it->second;
    auto type = cast<RankedTensorType>(value.getType());
    // The declared shape is only a sanity check of kiln's inference.
    SmallVector<Attribute> dimNames(type.getRank(), builder.getStringAttr(""));
    if (out.type().has_tensor_type() && out.type().tensor_type().has_shape()) {
      const auto &dims = out.type().tensor_type().shape().dim();
      if (dims.size() == type.getRank()) {
        for (int d = 0; d < dims.size(); ++d) {
          if (type.getDimSize(d) == kDyn && dims[d].has_dim_param())
            dimNames[d] = builder.getStringAttr(dims[d].dim_param());
          if (dims[d].has_dim_value() && dims[d].dim_value() > 0 &&
              type.getDimSize(d) != kDyn &&
              dims[d].dim_value() != type.getDimSize(d)) {
            emitError(loc) << model.path << ": graph output '" << out.name()
                           << "' has inferred type " << type
                           << " but the model declares dim " << d << " = "
                           << dims[d].dim_value();
            ok = false;
          }
        }
      }
    }
    results.push_back(value);
    SmallVector<NamedAttribute> attrs = {
        builder.getNamedAttr("kiln.name", builder.getStringAttr(out.name())),
        builder.getNamedAttr("kiln.dim_names", builder.getArrayAttr(dimNames))};
    // A value that holds a narrower ONNX type (int4 in i8, ...) says so;
    // what a converter recorded wins over the graph's declaration.
    auto known = dataTypes.find(out.name());
    int32_t dataType = known != dataTypes.end()
                           ? known->second
                           : out.type().tensor_type().elem_type();
    StringRef widened = widenedDataTypeName(dataType);
    if (!widened.empty() &&
        convertDataType(&ctx, dataType) == type.getElementType())
      attrs.push_back(builder.getNamedAttr("kiln.dtype",
                                           builder.getStringAttr(widened)));
    resultAttrs.push_back(builder.getDictionaryAttr(attrs));
  }
  if (!ok)
    return failure();
  auto func = cast<func::FuncOp>(builder.getInsertionBlock()->getParentOp());
  func::ReturnOp::create(builder, loc, results);
  func.setFunctionType(builder.getFunctionType(
      func.getArgumentTypes(), ValueRange(results).getTypes()));
  func.setAllResultAttrs(resultAttrs);
  return success();
}

FailureOr<OwningOpRef<ModuleOp>> GraphImporter::run() {
  ctx.loadDialect<KilnDialect, func::FuncDialect, arith::ArithDialect,
                  tensor::TensorDialect>();
  Location loc = fileLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  builder.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(builder, loc, "main",
                                   builder.getFunctionType({}, {}));
  func->setAttr("kiln.entry", builder.getUnitAttr());
  SmallVector<DictionaryAttr> argAttrs;
  if (failed(importInputs(func, argAttrs)))
    return failure();
  func.setAllArgAttrs(argAttrs);
  builder.setInsertionPointToEnd(&func.getBody().front());

  bool ok = succeeded(importInitializers());
  if (!ok && !keepGoing)
    return failure();
  int index = 0;
  for (const auto &node : model.proto->graph().node()) {
    if (failed(importNode(node, index++))) {
      ok = false;
      if (!keepGoing)
        return failure();
    }
  }
  if (failed(importOutputs(loc)) || !ok)
    return failure();
  if (failed(mlir::verify(*module)))
    return failure();
  return module;
}
