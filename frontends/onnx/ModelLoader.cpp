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
  default:
    return {};
  }
}

std::string mlir::kiln::onnx::dataTypeName(int32_t dataType) {
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
  int64_t needBytes = numElements * storageBytes(elementType);
  std::string blobName = tensor.name().empty() ? "constant" : tensor.name();
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
    return makeElements(type, blobName, bytes, *file);
  }

  if (tensor.has_raw_data()) {
    const std::string &raw = tensor.raw_data();
    if (int64_t(raw.size()) != needBytes)
      return sizeError(raw.size(), "raw_data");
    // Aliasing constructor: the blob keeps the whole model alive.
    std::shared_ptr<const void> keepAlive(model.proto, raw.data());
    return makeElements(type, blobName, ArrayRef<char>(raw.data(), raw.size()),
                        keepAlive);
  }

  auto countError = [&](int64_t have, StringRef field) {
    return fail() << " has " << have << " values in " << field << " but its "
                  << shapeString(shape) << " shape needs " << numElements;
  };
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
    if (tensor.int32_data_size() != numElements)
      return countError(tensor.int32_data_size(), "int32_data");
    return copyTypedField<int8_t>(type, blobName, tensor.int32_data());
  default:
    return fail() << " stores " << dataTypeName(tensor.data_type())
                  << " in a typed field kiln does not read; use raw_data";
  }
}
