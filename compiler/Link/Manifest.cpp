//===- Manifest.cpp - the model's signature as the runtime reads it -------===//
//
// The signature is taken from the imported @main, before bufferization
// rewrites its arguments, so names and symbolic dims come straight from the
// ONNX graph.
//
//===----------------------------------------------------------------------===//

#include "compiler/Link/Manifest.h"

#include "runtime/WeightsFormat.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::kiln;

func::FuncOp mlir::kiln::getEntryFunction(ModuleOp module) {
  for (auto func : module.getOps<func::FuncOp>())
    if (func->hasAttr("kiln.entry"))
      return func;
  return {};
}

static std::optional<std::string> dtypeName(Type type) {
  if (type.isF32())
    return "f32";
  if (type.isF64())
    return "f64";
  if (type.isF16())
    return "f16";
  if (type.isBF16())
    return "bf16";
  if (type.isInteger(1))
    return "bool";
  if (isa<Float8E4M3FNType>(type))
    return "f8e4m3fn";
  if (isa<Float8E4M3FNUZType>(type))
    return "f8e4m3fnuz";
  if (isa<Float8E5M2Type>(type))
    return "f8e5m2";
  if (isa<Float8E5M2FNUZType>(type))
    return "f8e5m2fnuz";
  if (isa<Float8E8M0FNUType>(type))
    return "f8e8m0";
  if (auto it = dyn_cast<IntegerType>(type)) {
    std::string prefix = it.isUnsigned() ? "u" : "i";
    unsigned w = it.getWidth();
    if (w == 8 || w == 16 || w == 32 || w == 64)
      return prefix + std::to_string(w);
  }
  return std::nullopt;
}

static FailureOr<TensorSignature> describe(func::FuncOp func, Type type,
                                           DictionaryAttr attrs, bool isInput,
                                           unsigned index) {
  TensorSignature sig;
  auto name = attrs ? attrs.getAs<StringAttr>("kiln.name") : StringAttr();
  sig.name = name ? name.str()
                  : (isInput ? "input_" : "output_") + std::to_string(index);
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return func.emitError("entry ") << (isInput ? "input '" : "output '")
                                    << sig.name << "' is not a ranked tensor";
  // Types kiln holds wider than ONNX (int4 in i8, ...) name themselves.
  auto declared = attrs ? attrs.getAs<StringAttr>("kiln.dtype") : StringAttr();
  auto dtype = declared ? std::optional(declared.str())
                        : dtypeName(tensor.getElementType());
  if (!dtype)
    return func.emitError("entry ")
           << (isInput ? "input '" : "output '") << sig.name
           << "' has unsupported element type " << tensor.getElementType();
  sig.dtype = *dtype;
  auto dimNames = attrs ? attrs.getAs<ArrayAttr>("kiln.dim_names") : ArrayAttr();
  for (auto [i, size] : llvm::enumerate(tensor.getShape())) {
    if (!ShapedType::isDynamic(size)) {
      sig.dims.push_back(std::to_string(size));
      continue;
    }
    StringAttr dimName;
    if (dimNames && i < dimNames.size())
      dimName = dyn_cast<StringAttr>(dimNames[i]);
    std::string symbol = dimName && !dimName.getValue().empty()
                             ? dimName.str()
                             : sig.name + "_dim" + std::to_string(i);
    // The manifest joins dims with 'x' and fields with spaces: keep symbolic
    // names from colliding with either (the name only serves to bind dims).
    for (char &c : symbol)
      if (c == 'x' || isspace((unsigned char)c))
        c = c == 'x' ? 'X' : '_';
    sig.dims.push_back(symbol);
  }
  if (sig.name.find_first_of(" \t\n") != std::string::npos)
    return func.emitError("tensor name '")
           << sig.name << "' contains whitespace, which kiln does not support";
  return sig;
}

FailureOr<ModelSignature> mlir::kiln::getModelSignature(ModuleOp module) {
  func::FuncOp func = getEntryFunction(module);
  if (!func)
    return module.emitError("no function marked kiln.entry");
  ModelSignature signature;
  FunctionType type = func.getFunctionType();
  for (unsigned i = 0; i < type.getNumInputs(); ++i) {
    auto sig = describe(func, type.getInput(i), func.getArgAttrDict(i), true, i);
    if (failed(sig))
      return failure();
    signature.inputs.push_back(*sig);
  }
  for (unsigned i = 0; i < type.getNumResults(); ++i) {
    auto sig =
        describe(func, type.getResult(i), func.getResultAttrDict(i), false, i);
    if (failed(sig))
      return failure();
    signature.outputs.push_back(*sig);
  }
  return signature;
}

static void formatShape(llvm::raw_ostream &os, const TensorSignature &t) {
  if (t.dims.empty()) {
    os << "scalar";
    return;
  }
  llvm::interleave(t.dims, os, "x");
}

std::string mlir::kiln::formatManifest(const ModelSignature &signature,
                                       uint64_t arenaBytes,
                                       uint64_t weightsBytes,
                                       uint64_t weightsHash,
                                       bool returnedOutputs) {
  std::string text;
  llvm::raw_string_ostream os(text);
  char hash[17];
  ::kiln::runtime::formatHash(weightsHash, hash);
  os << "kiln-manifest 1\n";
  os << "arena_bytes " << arenaBytes << "\n";
  os << "weights_bytes " << weightsBytes << " " << hash << "\n";
  if (returnedOutputs)
    os << "returned_outputs 1\n";
  for (const TensorSignature &t : signature.inputs) {
    os << "input " << t.name << " " << t.dtype << " ";
    formatShape(os, t);
    os << "\n";
  }
  for (const TensorSignature &t : signature.outputs) {
    os << "output " << t.name << " " << t.dtype << " ";
    formatShape(os, t);
    os << "\n";
  }
  return text;
}
