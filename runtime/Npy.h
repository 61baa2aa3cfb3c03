//===- Npy.h - Reading and writing numpy .npy files -------------*- C++ -*-===//
//
// .npy is the runtime's main tensor format (DESIGN.md, "The user's
// interface"). Reading accepts versions 1.0-3.0, little-endian, C order,
// and ml_dtypes' names for ONNX's low-precision types;
// writing produces version 1.0, which every numpy reads.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_NPY_H
#define KILN_RUNTIME_NPY_H

#include "Tensor.h"

#include <string>

namespace kiln {
namespace runtime {

/// Reads `path` into `tensor` (dtype and shape from the file). The header is
/// validated against the file size before any data is allocated. On failure
/// `error` describes the problem (without the path).
bool readNpy(const std::string &path, Tensor &tensor, std::string &error);

/// True when the first bytes of a file are the .npy magic.
bool hasNpyMagic(const std::string &path);

/// Writes a C-order .npy v1.0. bf16, which numpy lacks, is written as
/// float32 (exactly: every bf16 is a float32); the low-precision types
/// (int4, float8_e4m3fn, ...) under their ml_dtypes names, one byte per
/// element as ml_dtypes holds them.
bool writeNpy(const std::string &path, DType dtype,
              const std::vector<int64_t> &shape, const void *data,
              std::string &error);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_NPY_H
