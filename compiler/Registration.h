//===- Registration.h - every dialect and pass kiln uses ---------*- C++ -*-===//
//
// One place that registers kiln's dialects and passes along with the upstream
// ones its pipelines use, shared by `kiln` and `kiln-opt`.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_REGISTRATION_H
#define KILN_COMPILER_REGISTRATION_H

namespace mlir {
class DialectRegistry;
namespace kiln {
/// Adds kiln's dialect and every upstream dialect and interface model used by
/// the pipelines (bufferization, LLVM translation, ...).
void registerAllDialects(DialectRegistry &registry);
/// Registers kiln's passes and the upstream passes for `kiln-opt`.
void registerAllPasses();
} // namespace kiln
} // namespace mlir

#endif // KILN_COMPILER_REGISTRATION_H
