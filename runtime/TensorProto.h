//===- TensorProto.h - Reading ONNX TensorProto .pb files -------*- C++ -*-===//
//
// The ONNX test-data format (`test_data_set_*/input_0.pb`) is one serialized
// TensorProto. The runtime accepts it as an input file next to .npy.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_TENSORPROTO_H
#define KILN_RUNTIME_TENSORPROTO_H

#include "Tensor.h"

#include <string>

namespace kiln {
namespace runtime {

/// Reads a serialized onnx.TensorProto from `path` (raw_data or the typed
/// repeated fields, packed or not). On failure `error` says what is wrong.
bool readTensorProto(const std::string &path, Tensor &tensor,
                     std::string &error);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_TENSORPROTO_H
