//===- Linear.cpp - ONNX Conv, Gemm, MatMul, Einsum → kiln ----------------===//
//
// Contractions. Conv's auto_pad is resolved to explicit pads here, so kiln.conv
// only knows begin/end pads; defaults (unit strides and dilations, zero pads)
// are spelled out. Einsum equations are made explicit (implicit output:
// the letters used once, sorted; `...` expanded into unused letters) so
// kiln.einsum never guesses.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx;

/// kiln.conv of `operands` (x, w[, b]) with the node's Conv attributes
/// (kernel_shape, strides, dilations, pads, group, auto_pad) checked against
/// the weight. Shared by Conv and the integer convolutions.
FailureOr<Value> mlir::kiln::onnx::createConv(NodeImporter &n,
                                              ValueRange operands) {
  Value x = operands[0], w = operands[1];
  auto wType = cast<RankedTensorType>(w.getType());
  if (wType.getRank() < 3)
    return n.error() << "weight must have rank >= 3, got " << wType;
  ArrayRef<int64_t> kernel = wType.getShape().drop_front(2);
  if (llvm::is_contained(kernel, ShapedType::kDynamic))
    return n.error() << "weight " << wType << " must have static spatial dims";
  size_t spatial = kernel.size();
  SmallVector<int64_t> ones(spatial, 1);
  auto kernelShape = n.intsAttr("kernel_shape", SmallVector<int64_t>(kernel));
  auto strides = n.intsAttr("strides", ones);
  auto dilations = n.intsAttr("dilations", ones);
  auto pads = n.intsAttr("pads", SmallVector<int64_t>());
  auto group = n.intAttr("group", 1);
  auto autoPad = n.stringAttr("auto_pad", "NOTSET");
  if (failed(kernelShape) || failed(strides) || failed(dilations) ||
      failed(pads) || failed(group) || failed(autoPad))
    return failure();
  if (ArrayRef<int64_t>(*kernelShape) != kernel)
    return n.error() << "kernel_shape does not match the weight " << wType;
  if (strides->size() != spatial || dilations->size() != spatial)
    return n.error() << "expected " << spatial
                     << " strides and dilations for weight " << wType;
  if (failed(resolveAutoPad(n, *autoPad,
                            cast<RankedTensorType>(x.getType()), kernel,
                            *strides, *dilations, *pads)))
    return failure();
  return n.create<ConvOp>(
      operands, {n.namedAttr("strides", n.b.getDenseI64ArrayAttr(*strides)),
                 n.namedAttr("pads", n.b.getDenseI64ArrayAttr(*pads)),
                 n.namedAttr("dilations", n.b.getDenseI64ArrayAttr(*dilations)),
                 n.namedAttr("group", n.b.getI64IntegerAttr(*group))});
}

/// Conv(x, w, b) → kiln.conv x, w, b {strides, pads, dilations, group}.
static LogicalResult convertConv(NodeImporter &n) {
  if (failed(n.checkAttributes({"auto_pad", "dilations", "group",
                                "kernel_shape", "pads", "strides"})))
    return failure();
  auto x = n.floatInput(0);
  auto w = n.floatInput(1);
  if (failed(x) || failed(w))
    return failure();
  SmallVector<Value> operands = {*x, *w};
  if (n.hasInput(2)) {
    auto bias = n.floatInput(2);
    if (failed(bias))
      return failure();
    operands.push_back(*bias);
  }
  auto result = createConv(n, operands);
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// Gemm(a, b, c) → kiln.gemm a, b, c {alpha, beta, trans_a, trans_b}.
static LogicalResult convertGemm(NodeImporter &n) {
  if (failed(n.checkAttributes({"alpha", "beta", "transA", "transB"})))
    return failure();
  auto a = n.floatInput(0);
  auto bIn = n.floatInput(1);
  if (failed(a) || failed(bIn))
    return failure();
  SmallVector<Value> operands = {*a, *bIn};
  if (n.hasInput(2)) {
    auto c = n.floatInput(2);
    if (failed(c))
      return failure();
    operands.push_back(*c);
  }
  auto alpha = n.floatAttr("alpha", 1.0f);
  auto beta = n.floatAttr("beta", 1.0f);
  auto transA = n.intAttr("transA", 0);
  auto transB = n.intAttr("transB", 0);
  if (failed(alpha) || failed(beta) || failed(transA) || failed(transB))
    return failure();
  auto result = n.create<GemmOp>(
      operands, {n.namedAttr("alpha", n.b.getF32FloatAttr(*alpha)),
                 n.namedAttr("beta", n.b.getF32FloatAttr(*beta)),
                 n.namedAttr("trans_a", n.b.getBoolAttr(*transA != 0)),
                 n.namedAttr("trans_b", n.b.getBoolAttr(*transB != 0))});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// Input `i` that must be a float tensor (f16, bf16, f32 or f64), or with
/// `allowInts` any signless integer other than i1.
static FailureOr<Value> matmulInput(NodeImporter &n, unsigned i,
                                    bool allowInts = false) {
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

/// MatMul(a, b) → kiln.matmul a, b.
static LogicalResult convertMatMul(NodeImporter &n) {
  if (failed(n.checkAttributes({})))
    return failure();
  auto a = matmulInput(n, 0);
  auto bIn = matmulInput(n, 1);
  if (failed(a) || failed(bIn))
    return failure();
  auto result = n.create<MatMulOp>({*a, *bIn});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

/// `term` with `...` replaced by the last `rank` letters of `ellipsis`.
static std::string expandEllipsis(StringRef term, int64_t rank,
                                  StringRef ellipsis) {
  size_t pos = term.find("...");
  if (pos == StringRef::npos)
    return term.str();
  int64_t named = term.size() - 3;
  int64_t count = std::max<int64_t>(rank - named, 0);
  return (term.take_front(pos) + ellipsis.take_back(count) +
          term.drop_front(pos + 3))
      .str();
}

/// Einsum(inputs) {equation} → kiln.einsum with an explicit equation.
static LogicalResult convertEinsum(NodeImporter &n) {
  if (failed(n.checkAttributes({"equation"})))
    return failure();
  auto equation = n.stringAttr("equation", "");
  if (failed(equation))
    return failure();
  std::string eq;
  for (char c : *equation)
    if (c != ' ')
      eq.push_back(c);
  StringRef lhs = StringRef(eq).split("->").first;
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if (int(terms.size()) != n.node.input_size())
    return n.error() << "equation '" << eq << "' has " << terms.size()
                     << " terms for " << n.node.input_size() << " inputs";
  SmallVector<Value> inputs;
  SmallVector<RankedTensorType> types;
  for (unsigned i = 0; i < terms.size(); ++i) {
    auto v = matmulInput(n, i, /*allowInts=*/true);
    if (failed(v))
      return failure();
    inputs.push_back(*v);
    types.push_back(cast<RankedTensorType>(v->getType()));
  }
  // Letters for `...`: upper-case ones the equation does not use.
  std::string spare;
  for (char c = 'Z'; c >= 'A' && spare.size() < 26; --c)
    if (eq.find(c) == std::string::npos)
      spare.insert(spare.begin(), c);
  int64_t ellipsisRank = 0;
  SmallVector<std::string> explicitTerms;
  for (auto [term, type] : llvm::zip(terms, types)) {
    if (term.contains("..."))
      ellipsisRank = std::max<int64_t>(ellipsisRank,
                                       type.getRank() - (term.size() - 3));
    explicitTerms.push_back(expandEllipsis(term, type.getRank(), spare));
  }
  std::string out;
  if (eq.find("->") != std::string::npos) {
    out = expandEllipsis(StringRef(eq).split("->").second, ellipsisRank +
                         int64_t(StringRef(eq).split("->").second.size()) - 3,
                         spare);
  } else {
    // Implicit output: broadcast letters, then letters used once, sorted.
    out = spare.substr(spare.size() - ellipsisRank);
    std::string once;
    for (char c = 'a'; c <= 'z'; ++c) {
      int count = 0;
      for (const std::string &t : explicitTerms)
        count += llvm::count(t, c);
      if (count == 1)
        once.push_back(c);
    }
    out += once;
  }
  // Result shape from the input dims; broadcast (size-1) dims are not
  // supported by kiln.einsum.
  llvm::DenseMap<char, int64_t> sizes;
  for (auto [term, type] : llvm::zip(explicitTerms, types)) {
    if (int64_t(term.size()) != type.getRank())
      return n.error() << "term '" << term << "' does not match " << type;
    for (auto [c, size] : llvm::zip(term, type.getShape())) {
      auto [it, inserted] = sizes.try_emplace(c, size);
      if (!inserted && it->second != size)
        return n.error() << "index '" << c << "' has sizes " << it->second
                         << " and " << size
                         << " (broadcasting in Einsum is not supported)";
    }
  }
  SmallVector<int64_t> shape;
  for (char c : out) {
    if (!sizes.count(c))
      return n.error() << "output index '" << c << "' is not in any input";
    shape.push_back(sizes[c]);
  }
  std::string full = llvm::join(explicitTerms, ",") + "->" + out;
  auto result = n.createTyped<EinsumOp>(
      RankedTensorType::get(shape, types.front().getElementType()), inputs,
      {n.namedAttr("equation", n.b.getStringAttr(full))});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

void mlir::kiln::onnx::registerLinearOps(ConverterMap &map) {
  map["Einsum"] = convertEinsum;
  map["Conv"] = convertConv;
  map["Gemm"] = convertGemm;
  map["MatMul"] = convertMatMul;
}
