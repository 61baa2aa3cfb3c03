//===- ExternalizeWeights.cpp - kiln-externalize-weights -------------------===//
//
// After bufferization, model weights are `memref.global constant`s read by the
// entry function through `memref.get_global`. Compiled into the object they
// would bloat it and defeat mapping the weights straight from the file, so
// each large one becomes a `memref.view` into the weights argument at a
// 64-byte aligned offset, and its data moves to the module attribute
// `kiln.weights`, from which writeWeightsBlob streams the blob.
//
// Done on memrefs rather than tensors: one-shot bufferization already turns
// every constant tensor into exactly one global (deduplicated) with a static
// identity-layout type, so the pass needs no bufferization interface of its
// own and sees only constants that survived folding.
//
//===----------------------------------------------------------------------===//

#include "passes/Memory/ExternalizeWeights.h"
#include "passes/Memory/EntryAbi.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNEXTERNALIZEWEIGHTS
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

/// Bytes a constant of `type` occupies in memory (element size from the data
/// layout, so i1 is a byte like the lowered memref), or -1 if not static.
static int64_t memrefBytes(MemRefType type, const DataLayout &layout) {
  if (!type.hasStaticShape())
    return -1;
  return type.getNumElements() * static_cast<int64_t>(layout.getTypeSize(type.getElementType()));
}

namespace {
struct ExternalizeWeightsPass : kiln::impl::KilnExternalizeWeightsBase<ExternalizeWeightsPass> {
  using Base::Base;
  void runOnOperation() override;
};
} // namespace

void ExternalizeWeightsPass::runOnOperation() {
  ModuleOp module = getOperation();
  func::FuncOp entry = findEntryFunction(module);
  if (!entry)
    return signalPassFailure();
  BlockArgument weights = ensureEntryAbiArgs(entry).first;
  DataLayout layout(module);
  SymbolTable symbols(module);
  MLIRContext *ctx = module.getContext();
  Builder b(ctx);

  // Entry-function reads, grouped by global in module order (deterministic).
  llvm::MapVector<memref::GlobalOp, SmallVector<memref::GetGlobalOp>> reads;
  for (auto global : module.getOps<memref::GlobalOp>())
    reads[global];
  entry.walk([&](memref::GetGlobalOp get) {
    if (auto global = symbols.lookup<memref::GlobalOp>(get.getName()))
      reads[global].push_back(get);
  });

  SmallVector<Attribute> entries;
  int64_t offset = 0;
  for (auto &[global, gets] : reads) {
    if (gets.empty() || !global.getConstant() || !global.getInitialValue())
      continue;
    auto value = dyn_cast<ElementsAttr>(*global.getInitialValue());
    MemRefType type = global.getType();
    int64_t bytes = memrefBytes(type, layout);
    if (!value || bytes < minBytes || !type.getLayout().isIdentity() || type.getMemorySpace())
      continue;
    if (!isa<DenseElementsAttr, DenseResourceElementsAttr>(value))
      continue;

    offset = alignToBuffer(offset);
    for (memref::GetGlobalOp get : gets) {
      OpBuilder builder(get);
      Value shift = arith::ConstantIndexOp::create(builder, get.getLoc(), offset);
      auto view = memref::ViewOp::create(builder, get.getLoc(), type, weights, shift, ValueRange{});
      get.replaceAllUsesWith(view.getResult());
      get.erase();
    }
    entries.push_back(b.getDictionaryAttr({
        b.getNamedAttr("name", global.getSymNameAttr()),
        b.getNamedAttr("offset", b.getI64IntegerAttr(offset)),
        b.getNamedAttr("size", b.getI64IntegerAttr(bytes)),
        b.getNamedAttr("value", value),
    }));
    offset += bytes;
    if (SymbolTable::symbolKnownUseEmpty(global, module))
      global.erase();
  }
  module->setAttr(kWeightsAttrName, b.getArrayAttr(entries));
}

//===----------------------------------------------------------------------===//
// Blob writer
//===----------------------------------------------------------------------===//

namespace {
/// FNV-1a 64, fed incrementally; the same function as runtime/WeightsFormat.h
/// (runtime/ABI.md), kept here so the compiler does not depend on runtime/.
class Fnv1a64 {
public:
  void update(ArrayRef<char> data) {
    for (char c : data) {
      state ^= static_cast<unsigned char>(c);
      state *= 0x100000001b3ULL;
    }
  }
  uint64_t digest() const { return state; }

private:
  uint64_t state = 0xcbf29ce484222325ULL;
};

/// Writes bytes to the stream and the hash at once, counting them.
struct BlobSink {
  llvm::raw_ostream &os;
  Fnv1a64 hash;
  uint64_t written = 0;
  void write(ArrayRef<char> data) {
    os.write(data.data(), data.size());
    hash.update(data);
    written += data.size();
  }
  void zeros(uint64_t count) {
    static const char zeroBlock[4096] = {};
    while (count) {
      uint64_t n = std::min<uint64_t>(count, sizeof(zeroBlock));
      write(ArrayRef<char>(zeroBlock, n));
      count -= n;
    }
  }
};
} // namespace

/// Writes one constant's bytes as the lowered memref holds them.
static LogicalResult writeElements(Location loc, StringRef name, ElementsAttr value, int64_t size,
                                   BlobSink &sink) {
  uint64_t start = sink.written;
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return emitError(loc) << "weights: resource of '" << name << "' has no data";
    sink.write(blob->getData());
  } else if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    Type elementType = dense.getElementType();
    if (elementType.isInteger(1)) {
      // Dense i1 data is bit-packed; the memref holds one byte per element.
      for (bool bit : dense.getValues<bool>())
        sink.write(ArrayRef<char>(bit ? "\1" : "\0", 1));
    } else if (dense.isSplat()) {
      ArrayRef<char> element = dense.getRawData();
      for (int64_t i = 0, e = dense.getNumElements(); i < e; ++i)
        sink.write(element);
    } else {
      sink.write(dense.getRawData());
    }
  } else {
    return emitError(loc) << "weights: '" << name << "' is neither dense nor dense_resource";
  }
  if (sink.written - start != static_cast<uint64_t>(size))
    return emitError(loc) << "weights: '" << name << "' wrote " << (sink.written - start)
                          << " bytes, layout says " << size;
  return success();
}

uint64_t kiln::getWeightsBlobBytes(ModuleOp module) {
  auto entries = module->getAttrOfType<ArrayAttr>(kWeightsAttrName);
  uint64_t end = 0;
  if (!entries)
    return 0;
  for (auto entry : entries.getAsRange<DictionaryAttr>())
    if (auto offset = entry.getAs<IntegerAttr>("offset"))
      if (auto size = entry.getAs<IntegerAttr>("size"))
        end = std::max<uint64_t>(end, offset.getInt() + size.getInt());
  return end;
}

LogicalResult kiln::writeWeightsBlob(ModuleOp module, llvm::raw_ostream &os, uint64_t &hashOut) {
  BlobSink sink{os, {}, 0};
  auto entries = module->getAttrOfType<ArrayAttr>(kWeightsAttrName);
  for (Attribute attr : entries ? entries.getValue() : ArrayRef<Attribute>{}) {
    auto entry = dyn_cast<DictionaryAttr>(attr);
    auto name = entry ? entry.getAs<StringAttr>("name") : nullptr;
    auto offset = entry ? entry.getAs<IntegerAttr>("offset") : nullptr;
    auto size = entry ? entry.getAs<IntegerAttr>("size") : nullptr;
    auto value = entry ? entry.getAs<ElementsAttr>("value") : nullptr;
    if (!name || !offset || !size || !value)
      return module.emitError("weights: malformed 'kiln.weights' entry ") << attr;
    if (static_cast<uint64_t>(offset.getInt()) < sink.written)
      return module.emitError("weights: entries overlap or are out of order at '")
             << name.getValue() << "'";
    sink.zeros(offset.getInt() - sink.written);
    if (failed(writeElements(module.getLoc(), name.getValue(), value, size.getInt(), sink)))
      return failure();
  }
  hashOut = sink.hash.digest();
  return success();
}
