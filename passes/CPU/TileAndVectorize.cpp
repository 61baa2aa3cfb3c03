//===- TileAndVectorize.cpp - kiln-cpu-tile-and-vectorize ---------------------------------------===//
//
// Placeholder: fails until implemented.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNCPUTILEANDVECTORIZE
#include "passes/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;

namespace {
struct TileAndVectorizePass : kiln::impl::KilnCPUTileAndVectorizeBase<TileAndVectorizePass> {
  using Base::Base;
  void runOnOperation() override {
    getOperation()->emitError("kiln-cpu-tile-and-vectorize is not implemented yet");
    signalPassFailure();
  }
};
} // namespace
