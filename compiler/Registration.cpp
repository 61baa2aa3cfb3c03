//===- Registration.cpp - every dialect and pass kiln uses ----------------===//
//
// Upstream's "register all" entry points keep this short; kiln's own passes
// are added on top.
//
//===----------------------------------------------------------------------===//

#include "compiler/Registration.h"
#include "compiler/Pipelines/Bufferize.h"

#include "dialects/kiln/IR/KilnDialect.h"
#include "dialects/kiln/Transforms/Passes.h"
#include "passes/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

void mlir::kiln::registerAllDialects(DialectRegistry &registry) {
  registry.insert<KilnDialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
}

void mlir::kiln::registerAllPasses() {
  mlir::registerAllPasses();
  registerKilnTransformsPasses();
  registerKilnConversionPasses();
  registerKilnBufferizePipeline();
}
