//===- ModelLoader.cpp - parse .onnx files and convert tensors ------------===//
//
// Parses a ModelProto with protobuf's size limit raised (weights make models
// far larger than the 64 MB default) and turns TensorProtos into attributes.
// Bulk data is never copied: large tensors become `dense_resource` blobs that
// point into the parsed proto (kept alive by the blob's deleter) or into a
// read-only mapping of the external data file. Every size is checked against
// the declared shape, since a truncated model must give an error, not a read
// past the end.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <climits>

using namespace mlir;
using namespace mlir::kiln::onnx;

/// Tensors up to this many elements become DenseElementsAttr (readable by
/// shape logic); larger ones stay in place as resource blobs.
static constexpr int64_t kMaxInlineElements = 64;

FailureOr<LoadedModel> mlir::kiln::onnx::loadModel(StringRef path,
                                                   Location loc) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return emitError(loc) << path << ": cannot read model: "
                          << buffer.getError().message();
  StringRef bytes = (*buffer)->getBuffer();
  if (bytes.size() > size_t(INT_MAX))
    return emitError(loc) << path
                          << ": model file is over 2 GB; store its weights as "
                             "ONNX external data";
  auto proto = std::make_shared<::onnx::ModelProto>();
  google::protobuf::io::ArrayInputStream raw(bytes.data(), int(bytes.size()));
  google::protobuf::io::CodedInputStream coded(&raw);
  coded.SetTotalBytesLimit(INT_MAX);
  if (!proto->ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage())
    return emitError(loc) << path
                          << ": not a valid ONNX model (protobuf parse failed; "
                             "truncated or corrupt file?)";
  if (!proto->has_graph())
    return emitError(loc) << path << ": not a valid ONNX model (no graph)";

  LoadedModel model;
  model.proto = std::move(proto);
  model.path = path.str();
  SmallString<256> dir(path);
  llvm::sys::path::remove_filename(dir);
  model.dir = dir.str().str();
  for (const auto &opset : model.proto->opset_import())
    if (opset.domain().empty() || opset.domain() == "ai.onnx")
      model.opset = opset.version();
  if (model.opset <= 0)
    return emitError(loc) << path << ": model imports no ai.onnx opset";
  return model;
}

Type mlir::kiln::onnx::convertDataType(MLIRContext *ctx, int32_t dataType) {
  Builder b(ctx);
  switch (dataType) {
  case ::onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case ::onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case ::onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case ::onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case ::onnx::TensorProto::INT8:
    return b.getIntegerType(8);
  case ::onnx::TensorProto::INT16:
    return b.getIntegerType(16);
  case ::onnx::TensorProto::INT32:
    return b.getIntegerType(32);
  case ::onnx::TensorProto::INT64:
    return b.getIntegerType(64);
  case ::onnx::TensorProto::UINT8:
    return b.getIntegerType(8, /*isSigned=*/false);
  case ::onnx::TensorProto::UINT16:
    return b.getIntegerType(16, /*isSigned=*/false);
  case ::onnx::TensorProto::UINT32:
    return b.getIntegerType(32, /*isSigned=*/false);
  case ::onnx::TensorProto::UINT64:
    return b.getIntegerType(64, /*isSigned=*/false);
  case ::onnx::TensorProto::BOOL:
    return b.getI1Type();
  case dtype::Float8E4M3FN:
  case dtype::Float4E2M1:
    return b.getType<Float8E4M3FNType>();
  case dtype::Float8E4M3FNUZ:
    return b.getType<Float8E4M3FNUZType>();
  case dtype::Float8E5M2:
    return b.getType<Float8E5M2Type>();
  case dtype::Float8E5M2FNUZ:
    return b.getType<Float8E5M2FNUZType>();
  case dtype::Float8E8M0:
    return b.getType<Float8E8M0FNUType>();
  case dtype::Int4:
  case dtype::Int2:
    return b.getIntegerType(8);
  case dtype::UInt4:
  case dtype::UInt2:
    return b.getIntegerType(8, /*isSigned=*/false);
  default:
    return {};
  }
}

StringRef mlir::kiln::onnx::widenedDataTypeName(int32_t dataType) {
  switch (dataType) {
  case dtype::Int4:
    return "i4";
  case dtype::UInt4:
    return "u4";
  case dtype::Int2:
    return "i2";
  case dtype::UInt2:
    return "u2";
  case dtype::Float4E2M1:
    return "f4e2m1";
  default:
    return "";
  }
}

int mlir::kiln::onnx::subByteBits(int32_t dataType) {
  switch (dataType) {
  case dtype::Int4:
  case dtype::UInt4:
  case dtype::Float4E2M1:
    return 4;
  case dtype::Int2:
  case dtype::UInt2:
    return 2;
  default:
    return 0;
  }
}

int32_t mlir::kiln::onnx::dataTypeOf(Type type) {
  using T = ::onnx::TensorProto;
  if (type.isF32())
    return T::FLOAT;
  if (type.isF64())
    return T::DOUBLE;
  if (type.isF16())
    return T::FLOAT16;
  if (type.isBF16())
    return T::BFLOAT16;
  if (type.isInteger(1))
    return T::BOOL;
  if (isa<Float8E4M3FNType>(type))
    return dtype::Float8E4M3FN;
  if (isa<Float8E4M3FNUZType>(type))
    return dtype::Float8E4M3FNUZ;
  if (isa<Float8E5M2Type>(type))
    return dtype::Float8E5M2;
  if (isa<Float8E5M2FNUZType>(type))
    return dtype::Float8E5M2FNUZ;
  if (isa<Float8E8M0FNUType>(type))
    return dtype::Float8E8M0;
  auto it = dyn_cast<IntegerType>(type);
  if (!it)
    return 0;
  bool u = it.isUnsigned();
  switch (it.getWidth()) {
  case 8:
    return u ? T::UINT8 : T::INT8;
  case 16:
    return u ? T::UINT16 : T::INT16;
  case 32:
    return u ? T::UINT32 : T::INT32;
  case 64:
    return u ? T::UINT64 : T::INT64;
  default:
    return 0;
  }
}

std::string mlir::kiln::onnx::dataTypeName(int32_t dataType) {
  static const char *const kNewer[] = {
      "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ",
      "UINT4",        "INT4",           "FLOAT4E2M1", "FLOAT8E8M0",
      "UINT2",        "INT2"};
  if (dataType >= dtype::Float8E4M3FN && dataType <= dtype::Int2)
    return kNewer[dataType - dtype::Float8E4M3FN];
  if (::onnx::TensorProto::DataType_IsValid(dataType))
    return ::onnx::TensorProto::DataType_Name(
        ::onnx::TensorProto::DataType(dataType));
  return "data type " + std::to_string(dataType);
}

/// Bytes per element as stored in raw_data / external data.
static int64_t storageBytes(Type type) {
  if (type.isInteger(1))
    return 1;
  return (type.getIntOrFloatBitWidth() + 7) / 8;
}

static std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s;
  for (int64_t d : shape)
    s += (s.empty() ? "" : "x") + std::to_string(d);
  return s.empty() ? "scalar" : s;
}

/// float8e4m3fn encodings of the float4e2m1 magnitudes (codes 0-7).
static const uint8_t kFloat4AsE4M3[8] = {0x00, 0x30, 0x38, 0x3c,
                                         0x40, 0x44, 0x48, 0x4c};

/// Unpacks `count` elements of a sub-byte type (ONNX packs the first element
/// in the lowest bits of each byte) to one normalised byte each, the form
/// convertDataType's element type holds.
static std::shared_ptr<std::vector<int8_t>>
unpackSubBytes(int32_t dataType, ArrayRef<uint8_t> packed, int64_t count) {
  int bits = subByteBits(dataType), perByte = 8 / bits;
  auto out = std::make_shared<std::vector<int8_t>>(count);
  for (int64_t i = 0; i < count; ++i) {
    uint8_t code = (packed[i / perByte] >> (bits * (i % perByte))) &
                   ((1u << bits) - 1);
    int8_t v;
    switch (dataType) {
    case dtype::Int4:
      v = int8_t(uint8_t(code << 4)) >> 4;
      break;
    case dtype::Int2:
      v = int8_t(uint8_t(code << 6)) >> 6;
      break;
    case dtype::Float4E2M1:
      v = int8_t(kFloat4AsE4M3[code & 7] | ((code & 8) << 4));
      break;
    default:
      v = int8_t(code);
    }
    (*out)[i] = v;
  }
  return out;
}

/// Builds the attribute over `data` (exactly the tensor's bytes). `keepAlive`
/// owns the bytes when they are not copied.
static ElementsAttr makeElements(RankedTensorType type, StringRef blobName,
                                 ArrayRef<char> data,
                                 std::shared_ptr<const void> keepAlive) {
  if (type.getNumElements() <= kMaxInlineElements) {
    if (type.getElementType().isInteger(1)) {
      SmallVector<bool> bits;
      for (char c : data)
        bits.push_back(c != 0);
      return DenseElementsAttr::get(type, bits);
    }
    return DenseElementsAttr::getFromRawBuffer(type, data);
  }
  size_t align = storageBytes(type.getElementType());
  if (!llvm::isAddrAligned(llvm::Align(align), data.data()))
    return DenseResourceElementsAttr::get(
        type, blobName, HeapAsmResourceBlob::allocateAndCopyWithAlign(
                            data, align, /*dataIsMutable=*/false));
  AsmResourceBlob blob(
      data, align,
      [keepAlive = std::move(keepAlive)](void *, size_t, size_t) mutable {
        keepAlive.reset();
      },
      /*dataIsMutable=*/false);
  return DenseResourceElementsAttr::get(type, blobName, std::move(blob));
}

/// Copies a typed repeated field (float_data, int64_data...) into an attribute.
template <typename Stored, typename Field>
static ElementsAttr copyTypedField(RankedTensorType type, StringRef blobName,
                                   const Field &field) {
  auto storage = std::make_shared<std::vector<Stored>>(field.begin(),
                                                       field.end());
  ArrayRef<char> bytes(reinterpret_cast<const char *>(storage->data()),
                       storage->size() * sizeof(Stored));
  return makeElements(type, blobName, bytes, storage);
}

FailureOr<std::shared_ptr<llvm::MemoryBuffer>>
TensorConverter::mapExternalFile(const std::string &location,
                                 StringRef tensorName, Location loc) {
  SmallString<256> file;
  if (llvm::sys::path::is_absolute(location)) {
    file = location;
  } else {
    file = model.dir;
    llvm::sys::path::append(file, location);
  }
  auto it = mappedFiles.find(file);
  if (it != mappedFiles.end())
    return it->second;
  if (missingFiles.contains(file))
    return failure();
  if (!llvm::sys::fs::exists(file) && missingFiles.insert(file).second)
    return emitError(loc) << model.path << ": weights file '" << file
                          << "' for initializer '" << tensorName
                          << "' not found";
  auto buffer = llvm::MemoryBuffer::getFile(file, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return emitError(loc) << model.path << ": cannot read weights file '"
                          << file << "' for initializer '" << tensorName
                          << "': " << buffer.getError().message();
  std::shared_ptr<llvm::MemoryBuffer> shared = std::move(*buffer);
  mappedFiles[file] = shared;
  return shared;
}

FailureOr<ElementsAttr>
TensorConverter::convert(MLIRContext *ctx, const ::onnx::TensorProto &tensor,
                         StringRef what, Location loc) {
  auto fail = [&]() { return emitError(loc) << model.path << ": " << what; };
  Type elementType = convertDataType(ctx, tensor.data_type());
  if (!elementType)
    return fail() << " has unsupported dtype "
                  << dataTypeName(tensor.data_type());
  if (tensor.has_segment())
    return fail() << " is segmented, which kiln does not support";

  SmallVector<int64_t> shape;
  int64_t numElements = 1;
  for (int64_t d : tensor.dims()) {
    if (d < 0 || (d > 0 && numElements > (int64_t(1) << 50) / d))
      return fail() << " has invalid shape " << shapeString(tensor.dims());
    shape.push_back(d);
    numElements *= d;
  }
  auto type = RankedTensorType::get(shape, elementType);
  std::string blobName = tensor.name().empty() ? "constant" : tensor.name();
  int bits = subByteBits(tensor.data_type());
  int64_t needBytes = bits ? (numElements * bits + 7) / 8
                           : numElements * storageBytes(elementType);
  // Sub-byte types arrive packed (in raw_data, external data and int32_data
  // alike) and are held one per byte.
  auto finish = [&](ArrayRef<char> bytes,
                    std::shared_ptr<const void> keepAlive) -> ElementsAttr {
    if (!bits)
      return makeElements(type, blobName, bytes, std::move(keepAlive));
    auto unpacked = unpackSubBytes(
        tensor.data_type(),
        ArrayRef(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()),
        numElements);
    return makeElements(type, blobName,
                        ArrayRef(reinterpret_cast<const char *>(unpacked->data()),
                                 unpacked->size()),
                        unpacked);
  };
  auto sizeError = [&](int64_t have, StringRef source) {
    return fail() << " has " << have << " bytes of " << source << " but its "
                  << shapeString(shape) << " " << dataTypeName(tensor.data_type())
                  << " shape needs " << needBytes;
  };

  if (tensor.data_location() == ::onnx::TensorProto::EXTERNAL) {
    std::string location;
    int64_t offset = 0, length = -1;
    for (const auto &entry : tensor.external_data()) {
      if (entry.key() == "location") {
        location = entry.value();
      } else if (entry.key() == "offset" || entry.key() == "length") {
        int64_t v;
        if (StringRef(entry.value()).getAsInteger(10, v) || v < 0)
          return fail() << " has invalid external data " << entry.key()
                        << " '" << entry.value() << "'";
        (entry.key() == "offset" ? offset : length) = v;
      }
    }
    if (location.empty())
      return fail() << " is stored externally but names no location";
    auto file = mapExternalFile(location, tensor.name(), loc);
    if (failed(file))
      return failure();
    int64_t fileSize = (*file)->getBufferSize();
    if (offset > fileSize)
      return fail() << " starts at offset " << offset << " past the end of '"
                    << location << "' (" << fileSize << " bytes)";
    int64_t available = length >= 0 ? length : fileSize - offset;
    if (length >= 0 && offset + length > fileSize)
      return sizeError(fileSize - offset, "external data left in '" +
                                              location + "'");
    if (available != needBytes && !(length < 0 && available > needBytes))
      return sizeError(available, "external data");
    ArrayRef<char> bytes((*file)->getBufferStart() + offset, needBytes);
    return finish(bytes, *file);
  }

  if (tensor.has_raw_data()) {
    const std::string &raw = tensor.raw_data();
    if (int64_t(raw.size()) != needBytes)
      return sizeError(raw.size(), "raw_data");
    // Aliasing constructor: the blob keeps the whole model alive.
    std::shared_ptr<const void> keepAlive(model.proto, raw.data());
    return finish(ArrayRef<char>(raw.data(), raw.size()), keepAlive);
  }

  auto countError = [&](int64_t have, StringRef field) {
    return fail() << " has " << have << " values in " << field << " but its "
                  << shapeString(shape) << " shape needs " << numElements;
  };
  if (bits) { // int32_data holds one packed byte per value
    if (tensor.int32_data_size() != needBytes)
      return fail() << " has " << tensor.int32_data_size()
                    << " values in int32_data but its " << shapeString(shape)
                    << " " << dataTypeName(tensor.data_type())
                    << " shape needs " << needBytes << " packed bytes";
    std::vector<char> packed(tensor.int32_data().begin(),
                             tensor.int32_data().end());
    return finish(packed, nullptr);
  }
  switch (tensor.data_type()) {
  case ::onnx::TensorProto::FLOAT:
    if (tensor.float_data_size() != numElements)
      return countError(tensor.float_data_size(), "float_data");
    return copyTypedField<float>(type, blobName, tensor.float_data());
  case ::onnx::TensorProto::DOUBLE:
    if (tensor.double_data_size() != numElements)
      return countError(tensor.double_data_size(), "double_data");
    return copyTypedField<double>(type, blobName, tensor.double_data());
  case ::onnx::TensorProto::INT64:
    if (tensor.int64_data_size() != numElements)
      return countError(tensor.int64_data_size(), "int64_data");
    return copyTypedField<int64_t>(type, blobName, tensor.int64_data());
  case ::onnx::TensorProto::INT32:
    if (tensor.int32_data_size() != numElements)
      return countError(tensor.int32_data_size(), "int32_data");
    return copyTypedField<int32_t>(type, blobName, tensor.int32_data());
  case ::onnx::TensorProto::INT8:
  case ::onnx::TensorProto::UINT8:
  case ::onnx::TensorProto::BOOL:
  case dtype::Float8E4M3FN:
  case dtype::Float8E4M3FNUZ:
  case dtype::Float8E5M2:
  case dtype::Float8E5M2FNUZ:
  case dtype::Float8E8M0:
    if (tensor.int32_data_size() != numElements)
      return countError(tensor.int32_data_size(), "int32_data");
    return copyTypedField<int8_t>(type, blobName, tensor.int32_data());
  default:
    return fail() << " stores " << dataTypeName(tensor.data_type())
                  << " in a typed field kiln does not read; use raw_data";
  }
}
