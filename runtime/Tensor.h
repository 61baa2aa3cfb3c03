//===- Tensor.h - Element types and host tensors of the runtime -*- C++ -*-===//
//
// The runtime moves tensors between files (.npy, TensorProto .pb) and the
// memref descriptors of the compiled model. This header holds what those
// pieces share: the element types the manifest names, a 64-byte-aligned
// buffer (the alignment the ABI promises to compiled code), and a tensor.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_TENSOR_H
#define KILN_RUNTIME_TENSOR_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kiln {
namespace runtime {

enum class DType {
  F32,
  F64,
  F16,
  BF16,
  I8,
  I16,
  I32,
  I64,
  U8,
  U16,
  U32,
  U64,
  Bool,
  // ONNX's low-precision types, one element per byte in memory (ABI.md).
  I4,
  U4,
  I2,
  U2,
  F4E2M1,
  F8E4M3FN,
  F8E4M3FNUZ,
  F8E5M2,
  F8E5M2FNUZ,
  F8E8M0,
  /// A .npy `V1` (how numpy saves ml_dtypes arrays): bytes of whichever
  /// one-byte low-precision type the manifest expects. Never in a manifest.
  Opaque8
};

/// Bytes per element.
size_t dtypeSize(DType t);
/// The manifest's spelling (`f32`, `bool`, ...).
const char *dtypeManifestName(DType t);
/// numpy's name (`float32`, `bfloat16`, ...), used in messages and JSON.
const char *dtypeNumpyName(DType t);
/// Parses the manifest's spelling; false when unknown.
bool parseManifestDType(const std::string &s, DType &out);

/// Owns `size` bytes aligned to 64 (never a null pointer, even when empty,
/// because compiled code may take the address of a zero-sized memref).
class AlignedBuffer {
public:
  static constexpr size_t kAlignment = 64;
  AlignedBuffer() = default;
  ~AlignedBuffer();
  AlignedBuffer(const AlignedBuffer &) = delete;
  AlignedBuffer &operator=(const AlignedBuffer &) = delete;
  AlignedBuffer(AlignedBuffer &&other) noexcept;
  AlignedBuffer &operator=(AlignedBuffer &&other) noexcept;

  /// False when the memory cannot be had (the caller reports it).
  bool allocate(size_t size);
  void *data() const { return ptr; }
  size_t size() const { return bytes; }

private:
  void *ptr = nullptr;
  size_t bytes = 0;
};

struct Tensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  AlignedBuffer buffer;
};

/// Product of dims; false on overflow or a negative dim.
bool elementCount(const std::vector<int64_t> &shape, uint64_t &count);
/// count * elementSize as bytes; false on overflow.
bool byteCount(const std::vector<int64_t> &shape, DType t, uint64_t &bytes);
/// `1x3x224x224`, or `scalar` for rank 0 (the manifest's spelling).
std::string formatShape(const std::vector<int64_t> &shape);

/// 4 or 2 for the types ONNX packs below a byte (int4, uint4, float4e2m1,
/// int2, uint2), else 0.
int subByteBits(DType t);
/// A sub-byte element from its ONNX code (the low `subByteBits` bits of
/// `code`) to its in-memory byte: int4/int2 sign-extended, uint4/uint2 as
/// is, float4e2m1 as the float8e4m3fn encoding of its value.
uint8_t widenSubByte(DType t, uint8_t code);
/// The inverse: the in-memory byte back to its ONNX code (what ml_dtypes
/// keeps in each byte).
uint8_t narrowSubByte(DType t, uint8_t byte);

/// bf16 <-> f32 by bits (round to nearest even on the way down).
float bf16ToFloat(uint16_t bits);
uint16_t floatToBf16(float value);
/// f32 -> IEEE half bits, round to nearest even.
uint16_t floatToHalf(float value);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_TENSOR_H
