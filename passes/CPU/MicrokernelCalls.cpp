//===- MicrokernelCalls.cpp - kiln-cpu-microkernel-calls ------------------===//
//
// Replaces each bufferized linalg op that a runtime microkernel computes
// (Microkernels.h) by a call to that microkernel for the path's ISA level:
// `kiln_uk_<op>_<type>_<isa>(operands as fully dynamic strided memrefs,
// [conv strides and dilations])`. Transposed matmul operands become
// memref.transpose views, so the runtime always sees A[M x K] * B[K x N];
// the accumulator already holds its initial value (a fill or a bias), and
// the microkernel adds the product to it. The last argument says which
// operands are weights (the runtime packs those once and keeps them).
//
//===----------------------------------------------------------------------===//

#include "passes/CPU/Microkernels.h"
#include "passes/CPU/RuntimeFunctions.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNCPUMICROKERNELCALLS
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

//===----------------------------------------------------------------------===//
// Which ops
//===----------------------------------------------------------------------===//

static std::optional<std::string> floatName(Type type) {
  if (type.isF32())
    return std::string("f32");
  if (type.isF16())
    return std::string("f16");
  if (type.isBF16())
    return std::string("bf16");
  return std::nullopt;
}

/// Whether `map` has exactly the dims `dims` as its results.
static bool hasResults(AffineMap map, ArrayRef<unsigned> dims) {
  if (map.getNumResults() != dims.size() || map.getNumSymbols() != 0)
    return false;
  for (auto [expr, dim] : llvm::zip_equal(map.getResults(), dims)) {
    auto d = dyn_cast<AffineDimExpr>(expr);
    if (!d || d.getPosition() != dim)
      return false;
  }
  return true;
}

std::optional<MicrokernelMatch>
mlir::kiln::matchMicrokernel(linalg::LinalgOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1)
    return std::nullopt;
  Type aType = getElementTypeOrSelf(op.getDpsInputs()[0].getType());
  Type bType = getElementTypeOrSelf(op.getDpsInputs()[1].getType());
  Type cType = getElementTypeOrSelf(op.getDpsInits()[0].getType());
  std::optional<std::string> name = floatName(aType);
  if (!name || aType != bType || !cType.isF32())
    return std::nullopt;
  for (Value v : op->getOperands())
    if (!isa<RankedTensorType, MemRefType>(v.getType()))
      return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  MicrokernelMatch match{MicrokernelKind::Matmul, *name};
  if (isa<linalg::MatmulOp>(op)) {
    // (m, n, k)
    match.transposeA = hasResults(maps[0], {2, 0});
    match.transposeB = hasResults(maps[1], {1, 2});
    if ((!match.transposeA && !hasResults(maps[0], {0, 2})) ||
        (!match.transposeB && !hasResults(maps[1], {2, 1})) ||
        !hasResults(maps[2], {0, 1}))
      return std::nullopt;
    return match;
  }
  if (isa<linalg::BatchMatmulOp>(op)) {
    // (b, m, n, k)
    match.kind = MicrokernelKind::BatchMatmul;
    match.transposeA = hasResults(maps[0], {0, 3, 1});
    match.transposeB = hasResults(maps[1], {0, 2, 3});
    if ((!match.transposeA && !hasResults(maps[0], {0, 1, 3})) ||
        (!match.transposeB && !hasResults(maps[1], {0, 3, 2})) ||
        !hasResults(maps[2], {0, 1, 2}))
      return std::nullopt;
    return match;
  }
  if (isa<linalg::Conv2DNchwFchwOp>(op)) {
    match.kind = MicrokernelKind::Conv2DNchw;
    return match;
  }
  if (isa<linalg::DepthwiseConv2DNchwChwOp>(op)) {
    match.kind = MicrokernelKind::DepthwiseConv2DNchw;
    return match;
  }
  return std::nullopt;
}

std::string mlir::kiln::microkernelSymbol(const MicrokernelMatch &match,
                                          StringRef isa) {
  const char *op = "";
  switch (match.kind) {
  case MicrokernelKind::Matmul:
    op = "matmul";
    break;
  case MicrokernelKind::BatchMatmul:
    op = "batch_matmul";
    break;
  case MicrokernelKind::Conv2DNchw:
    op = "conv2d_nchw";
    break;
  case MicrokernelKind::DepthwiseConv2DNchw:
    op = "depthwise_conv2d_nchw";
    break;
  }
  return ("kiln_uk_" + Twine(op) + "_" + match.elementType + "_" + isa).str();
}

//===----------------------------------------------------------------------===//
// The rewrite
//===----------------------------------------------------------------------===//

/// `value` as a memref with dynamic sizes, strides and offset: the form whose
/// lowered arguments the runtime's entry points spell out.
static Value castToDynamicStrided(OpBuilder &b, Location loc, Value value) {
  auto type = cast<MemRefType>(value.getType());
  int64_t rank = type.getRank();
  auto layout = StridedLayoutAttr::get(
      b.getContext(), ShapedType::kDynamic,
      SmallVector<int64_t>(rank, ShapedType::kDynamic));
  auto dynamic =
      MemRefType::get(SmallVector<int64_t>(rank, ShapedType::kDynamic),
                      type.getElementType(), layout, type.getMemorySpace());
  if (dynamic == type)
    return value;
  return memref::CastOp::create(b, loc, dynamic, value);
}

/// `value` with its last two dims swapped (a view).
static Value transposeLastTwo(OpBuilder &b, Location loc, Value value) {
  int64_t rank = cast<MemRefType>(value.getType()).getRank();
  SmallVector<unsigned> perm = llvm::to_vector(llvm::seq<unsigned>(0, rank));
  std::swap(perm[rank - 2], perm[rank - 1]);
  AffineMap map = AffineMap::getPermutationMap(perm, b.getContext());
  return memref::TransposeOp::create(b, loc, value, AffineMapAttr::get(map));
}

/// For each function, which of its arguments are weights at every call site.
using ConstantArgs = llvm::DenseMap<Operation *, SmallVector<bool>>;

/// Whether `value` is a view of the weights (a `kiln.weights_arg` argument,
/// a constant global, or a kernel argument that every caller binds to one).
static bool isConstant(Value value, const ConstantArgs &constantArgs) {
  while (true) {
    if (auto arg = dyn_cast<BlockArgument>(value)) {
      auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
      if (!func || arg.getOwner() != &func.front())
        return false;
      if (func.getArgAttr(arg.getArgNumber(), "kiln.weights_arg"))
        return true;
      auto it = constantArgs.find(func);
      return it != constantArgs.end() && it->second[arg.getArgNumber()];
    }
    Operation *def = value.getDefiningOp();
    if (auto get = dyn_cast<memref::GetGlobalOp>(def)) {
      auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
          get, get.getNameAttr());
      return global && global.getConstant();
    }
    if (auto cast = dyn_cast<memref::CastOp>(def))
      value = cast.getSource();
    else if (auto view = dyn_cast<ViewLikeOpInterface>(def))
      value = view.getViewSource();
    else
      return false;
  }
}

/// Which arguments of each function are weights at all its call sites,
/// callers first (the entry function calls the kernels).
static ConstantArgs findConstantArgs(ModuleOp module) {
  ConstantArgs constantArgs;
  // Calls made by the entry function first: kernels are called from there.
  SmallVector<func::CallOp> calls, later;
  module.walk([&](func::CallOp call) {
    bool fromEntry = call->getParentOfType<func::FuncOp>()->hasAttr("kiln.entry");
    (fromEntry ? calls : later).push_back(call);
  });
  calls.append(later);
  for (func::CallOp call : calls) {
    auto callee =
        SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(call, call.getCalleeAttr());
    if (!callee || callee.isExternal())
      continue;
    auto [it, fresh] = constantArgs.try_emplace(
        callee, SmallVector<bool>(call.getNumOperands(), true));
    for (auto [i, operand] : llvm::enumerate(call.getOperands()))
      it->second[i] = it->second[i] && isConstant(operand, constantArgs);
  }
  return constantArgs;
}

static void replaceWithCall(linalg::LinalgOp op, const MicrokernelMatch &match,
                            StringRef isa, ModuleOp module,
                            const ConstantArgs &constantArgs) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value a = op.getDpsInputs()[0], bv = op.getDpsInputs()[1];
  Value c = op.getDpsInits()[0];
  // Bit i: input operand i is a weight; the runtime packs those once.
  int64_t constants = (isConstant(a, constantArgs) ? 1 : 0) |
                      (isConstant(bv, constantArgs) ? 2 : 0);
  if (match.transposeA)
    a = transposeLastTwo(b, loc, a);
  if (match.transposeB)
    bv = transposeLastTwo(b, loc, bv);
  llvm::SmallDenseMap<int64_t, Value> i64s;
  auto i64 = [&](int64_t v) {
    Value &c = i64s[v];
    if (!c)
      c = arith::ConstantIntOp::create(b, loc, v, 64);
    return c;
  };
  SmallVector<Value> args = {castToDynamicStrided(b, loc, a),
                             castToDynamicStrided(b, loc, bv),
                             castToDynamicStrided(b, loc, c)};
  if (auto conv = dyn_cast<linalg::ConvolutionOpInterface>(op.getOperation())) {
    auto attr = [&](StringRef name) {
      return llvm::to_vector(
          op->getAttrOfType<DenseIntElementsAttr>(name).getValues<int64_t>());
    };
    SmallVector<int64_t> strides = attr("strides"), dilations = attr("dilations");
    for (int64_t v : {strides[0], strides[1], dilations[0], dilations[1]})
      args.push_back(i64(v));
  }
  args.push_back(i64(constants));
  std::string symbol = microkernelSymbol(match, isa);
  declareRuntimeFunction(module, symbol,
          b.getFunctionType(ValueRange(args).getTypes(), TypeRange{}));
  func::CallOp::create(b, loc, symbol, TypeRange{}, args);
  op->erase();
}

namespace {
struct MicrokernelCallsPass
    : kiln::impl::KilnCPUMicrokernelCallsBase<MicrokernelCallsPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (isa.empty())
      return;
    if (isa != "sse" && isa != "avx2" && isa != "avx512") {
      module.emitError("kiln-cpu-microkernel-calls: unknown isa '")
          << isa << "' (sse, avx2 or avx512)";
      return signalPassFailure();
    }
    SmallVector<std::pair<linalg::LinalgOp, MicrokernelMatch>> work;
    module.walk([&](linalg::LinalgOp op) {
      if (!op.hasPureBufferSemantics())
        return;
      if (std::optional<MicrokernelMatch> match = matchMicrokernel(op))
        work.push_back({op, *match});
    });
    ConstantArgs constantArgs = findConstantArgs(module);
    for (auto &[op, match] : work)
      replaceWithCall(op, match, isa, module, constantArgs);
  }
};
} // namespace
