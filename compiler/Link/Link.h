//===- Link.h - object + runtime + weights → executable ----------*- C++ -*-===//
//
// The last step of a compile: links the model's object file with kiln's
// runtime library into one executable and appends the weights (or writes
// them to a sidecar file when they are too large to embed), in the layout of
// runtime/ABI.md.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_LINK_LINK_H
#define KILN_COMPILER_LINK_LINK_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <functional>
#include <string>

namespace mlir::kiln {

/// Streams the model's weights blob to an output; must write exactly the
/// bytes that were hashed for the manifest.
using WeightsWriter = std::function<LogicalResult(llvm::raw_ostream &)>;

struct LinkOptions {
  std::string outputPath;
  /// Weights above this many bytes go to `<output>.weights`.
  uint64_t sidecarThreshold = uint64_t(1) << 30;
};

/// Links `objects` with libkiln_runtime.a (found beside the kiln binary) and
/// attaches `weightsBytes` bytes of weights hashed to `weightsHash`.
/// Errors are one line in `error`; the output is written atomically.
LogicalResult linkExecutable(llvm::ArrayRef<llvm::SmallVector<char>> objects,
                             uint64_t weightsBytes,
                             uint64_t weightsHash, const WeightsWriter &writer,
                             const LinkOptions &options, std::string &error);

/// Joins `objects` into one relocatable object at `outputPath` (`ld -r`;
/// a single object is copied as it is).
LogicalResult linkRelocatableObject(llvm::ArrayRef<llvm::SmallVector<char>> objects,
                                    const std::string &outputPath,
                                    std::string &error);

} // namespace mlir::kiln

#endif // KILN_COMPILER_LINK_LINK_H
