//===- Linear.cpp - ONNX Conv, Gemm, MatMul → kiln ------------------------===//
//
// Contractions. Conv's auto_pad is resolved to explicit pads here, so kiln.conv
// only knows begin/end pads; defaults (unit strides and dilations, zero pads)
// are spelled out.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::onnx;

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
  auto wType = cast<RankedTensorType>(w->getType());
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
                            cast<RankedTensorType>(x->getType()), kernel,
                            *strides, *dilations, *pads)))
    return failure();
  auto result = n.create<ConvOp>(
      operands, {n.namedAttr("strides", n.b.getDenseI64ArrayAttr(*strides)),
                 n.namedAttr("pads", n.b.getDenseI64ArrayAttr(*pads)),
                 n.namedAttr("dilations", n.b.getDenseI64ArrayAttr(*dilations)),
                 n.namedAttr("group", n.b.getI64IntegerAttr(*group))});
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

/// MatMul(a, b) → kiln.matmul a, b.
static LogicalResult convertMatMul(NodeImporter &n) {
  if (failed(n.checkAttributes({})))
    return failure();
  auto a = n.floatInput(0);
  auto bIn = n.floatInput(1);
  if (failed(a) || failed(bIn))
    return failure();
  auto result = n.create<MatMulOp>({*a, *bIn});
  if (failed(result))
    return failure();
  n.setResult(*result);
  return success();
}

void mlir::kiln::onnx::registerLinearOps(ConverterMap &map) {
  map["Conv"] = convertConv;
  map["Gemm"] = convertGemm;
  map["MatMul"] = convertMatMul;
}
