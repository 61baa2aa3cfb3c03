//===- TensorProto.cpp - Reading ONNX TensorProto .pb files ---------------===//
//
// A tiny protobuf wire-format reader instead of libprotobuf: the executable
// must not depend on it, and a TensorProto needs only varints, fixed-width
// numbers and length-delimited fields. Every length is checked against the
// bytes that remain, so a truncated or corrupt file is reported, not read
// past. Field numbers are those of onnx.proto's TensorProto.
//
//===----------------------------------------------------------------------===//

#include "TensorProto.h"
#include "FileIo.h"

#include <cstring>

namespace kiln {
namespace runtime {

namespace {
enum Wire { kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5 };

enum Field {
  kDims = 1,
  kDataType = 2,
  kFloatData = 4,
  kInt32Data = 5,
  kStringData = 6,
  kInt64Data = 7,
  kName = 8,
  kRawData = 9,
  kDoubleData = 10,
  kUint64Data = 11,
  kDataLocation = 14
};

/// Cursor over a byte range; every read is bounds-checked.
struct Reader {
  const unsigned char *p;
  const unsigned char *end;

  bool atEnd() const { return p >= end; }
  bool varint(uint64_t &v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p >= end)
        return false;
      unsigned char b = *p++;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80))
        return true;
    }
    return false; // more than 10 bytes
  }
  bool fixed(void *dst, size_t n) {
    if (static_cast<size_t>(end - p) < n)
      return false;
    std::memcpy(dst, p, n); // little-endian host, as the wire
    p += n;
    return true;
  }
  bool bytes(Reader &sub) {
    uint64_t len;
    if (!varint(len) || len > static_cast<uint64_t>(end - p))
      return false;
    sub = {p, p + len};
    p += len;
    return true;
  }
};

/// Where one occurrence of a typed repeated field lies in the file.
struct Span {
  int field;
  int wire;
  Reader data; // packed payload, or the single value
};

bool dtypeFromOnnx(uint64_t code, DType &out) {
  switch (code) {
  case 1:
    out = DType::F32;
    return true;
  case 2:
    out = DType::U8;
    return true;
  case 3:
    out = DType::I8;
    return true;
  case 4:
    out = DType::U16;
    return true;
  case 5:
    out = DType::I16;
    return true;
  case 6:
    out = DType::I32;
    return true;
  case 7:
    out = DType::I64;
    return true;
  case 9:
    out = DType::Bool;
    return true;
  case 10:
    out = DType::F16;
    return true;
  case 11:
    out = DType::F64;
    return true;
  case 12:
    out = DType::U32;
    return true;
  case 13:
    out = DType::U64;
    return true;
  case 16:
    out = DType::BF16;
    return true;
  case 17:
    out = DType::F8E4M3FN;
    return true;
  case 18:
    out = DType::F8E4M3FNUZ;
    return true;
  case 19:
    out = DType::F8E5M2;
    return true;
  case 20:
    out = DType::F8E5M2FNUZ;
    return true;
  case 21:
    out = DType::U4;
    return true;
  case 22:
    out = DType::I4;
    return true;
  case 23:
    out = DType::F4E2M1;
    return true;
  case 24:
    out = DType::F8E8M0;
    return true;
  case 25:
    out = DType::U2;
    return true;
  case 26:
    out = DType::I2;
    return true;
  default:
    return false;
  }
}

/// The typed field ONNX stores a dtype's values in when raw_data is unused.
int typedFieldFor(DType t) {
  switch (t) {
  case DType::F32:
    return kFloatData;
  case DType::F64:
    return kDoubleData;
  case DType::I64:
    return kInt64Data;
  case DType::U32:
  case DType::U64:
    return kUint64Data;
  default:
    return kInt32Data; // int8/16/32, uint8/16, bool, f16/bf16/f8 bits,
                       // one packed byte of sub-byte types
  }
}

/// Wire type of one unpacked value of a typed field.
int scalarWireFor(int field) {
  switch (field) {
  case kFloatData:
    return kFixed32;
  case kDoubleData:
    return kFixed64;
  default:
    return kVarint;
  }
}

/// Counts the values in a span of `field` (packed or single).
bool countValues(const Span &s, uint64_t &count) {
  if (s.wire != kBytes) {
    count = 1;
    return true;
  }
  size_t len = static_cast<size_t>(s.data.end - s.data.p);
  switch (scalarWireFor(s.field)) {
  case kFixed32:
    count = len / 4;
    return len % 4 == 0;
  case kFixed64:
    count = len / 8;
    return len % 8 == 0;
  default:
    count = 0;
    for (const unsigned char *q = s.data.p; q < s.data.end; ++q)
      count += !(*q & 0x80);
    return len == 0 || !(s.data.end[-1] & 0x80);
  }
}

/// Stores one decoded value into element `i` of a buffer of dtype `t`.
void storeValue(DType t, void *buf, uint64_t i, uint64_t bits) {
  size_t n = dtypeSize(t);
  if (t == DType::Bool)
    bits = bits != 0;
  // Values are narrowed to the element width; little-endian host.
  std::memcpy(static_cast<char *>(buf) + i * n, &bits, n);
}

/// Unpacks `count` sub-byte elements (first element in the lowest bits of
/// each byte, as onnx.proto packs them) to one byte each (Tensor.h).
void unpackSubBytes(DType t, const unsigned char *packed, uint64_t count,
                    void *out) {
  int bits = subByteBits(t), perByte = 8 / bits;
  uint8_t mask = static_cast<uint8_t>((1u << bits) - 1);
  uint8_t *dst = static_cast<uint8_t *>(out);
  for (uint64_t i = 0; i < count; ++i) {
    uint8_t code = (packed[i / perByte] >> (bits * (i % perByte))) & mask;
    dst[i] = widenSubByte(t, code);
  }
}
} // namespace

static bool corrupt(std::string &error, const std::string &why) {
  error = "corrupt TensorProto .pb file: " + why;
  return false;
}

bool readTensorProto(const std::string &path, Tensor &tensor,
                     std::string &error) {
  File f;
  if (!f.openForRead(path, error))
    return false;
  AlignedBuffer file;
  if (!file.allocate(static_cast<size_t>(f.size()))) {
    error = "out of memory reading '" + path + "'";
    return false;
  }
  if (f.size() && !f.readAt(file.data(), f.size(), 0)) {
    error = "cannot read '" + path + "': " + errnoText();
    return false;
  }
  const unsigned char *base = static_cast<const unsigned char *>(file.data());
  Reader r{base, base + f.size()};

  std::vector<int64_t> dims;
  uint64_t dataType = 0;
  bool haveType = false, haveRaw = false;
  Reader raw{nullptr, nullptr};
  std::vector<Span> typed;
  while (!r.atEnd()) {
    uint64_t tag;
    if (!r.varint(tag))
      return corrupt(error, "truncated field tag");
    int field = static_cast<int>(tag >> 3), wire = static_cast<int>(tag & 7);
    if (field == 0)
      return corrupt(error, "field number 0");
    // `sub` covers the field's payload: the packed or length-delimited
    // bytes, or the single varint/fixed value itself, so typed values can
    // be decoded later from one kind of span.
    Reader sub{r.p, r.p};
    uint64_t v = 0;
    switch (wire) {
    case kVarint:
      if (!r.varint(v))
        return corrupt(error,
                       "truncated varint in field " + std::to_string(field));
      break;
    case kFixed64:
    case kFixed32:
      if (!r.fixed(&v, wire == kFixed64 ? 8 : 4))
        return corrupt(error,
                       "truncated number in field " + std::to_string(field));
      break;
    case kBytes:
      if (!r.bytes(sub))
        return corrupt(error, "length of field " + std::to_string(field) +
                                  " runs past the end of the file");
      break;
    default:
      return corrupt(error, "unsupported wire type " + std::to_string(wire) +
                                " in field " + std::to_string(field));
    }
    if (wire != kBytes)
      sub.end = r.p;

    switch (field) {
    case kDims:
      if (wire == kVarint) {
        dims.push_back(static_cast<int64_t>(v));
      } else if (wire == kBytes) {
        while (!sub.atEnd()) {
          if (!sub.varint(v))
            return corrupt(error, "malformed packed dims");
          dims.push_back(static_cast<int64_t>(v));
        }
      } else {
        return corrupt(error, "dims has the wrong wire type");
      }
      break;
    case kDataType:
      if (wire != kVarint)
        return corrupt(error, "data_type has the wrong wire type");
      dataType = v;
      haveType = true;
      break;
    case kRawData:
      if (wire != kBytes)
        return corrupt(error, "raw_data has the wrong wire type");
      raw = sub;
      haveRaw = true;
      break;
    case kFloatData:
    case kInt32Data:
    case kInt64Data:
    case kDoubleData:
    case kUint64Data:
      if (wire != kBytes && wire != scalarWireFor(field))
        return corrupt(error, "field " + std::to_string(field) +
                                  " has the wrong wire type");
      typed.push_back({field, wire, sub});
      break;
    case kStringData:
      error = "string tensors are not supported";
      return false;
    case kDataLocation:
      if (wire == kVarint && v == 1) {
        error = "TensorProto .pb files with external data are not supported";
        return false;
      }
      break;
    default:
      break; // name, doc_string, segment, metadata: not needed
    }
  }

  if (!haveType)
    return corrupt(error, "no data_type");
  if (!dtypeFromOnnx(dataType, tensor.dtype)) {
    error = "unsupported TensorProto data_type " + std::to_string(dataType);
    return false;
  }
  for (int64_t d : dims)
    if (d < 0)
      return corrupt(error, "negative dim " + std::to_string(d));
  uint64_t count, bytes;
  if (!elementCount(dims, count) || !byteCount(dims, tensor.dtype, bytes))
    return corrupt(error, "shape " + formatShape(dims) + " is too large");
  tensor.shape = dims;
  // Sub-byte types are packed in raw_data and int32_data alike (one byte's
  // worth of elements per int32_data value).
  int bits = subByteBits(tensor.dtype);
  uint64_t packedBytes = bits ? (count * bits + 7) / 8 : 0;

  int want = typedFieldFor(tensor.dtype);
  uint64_t typedCount = 0;
  for (const Span &s : typed) {
    if (s.field != want) {
      error = "corrupt TensorProto .pb file: field " + std::to_string(s.field) +
              " holds values but " + dtypeNumpyName(tensor.dtype) +
              " data belongs in field " + std::to_string(want);
      return false;
    }
    uint64_t n;
    if (!countValues(s, n))
      return corrupt(error, "malformed packed values in field " +
                                std::to_string(s.field));
    typedCount += n;
  }
  if (haveRaw && typedCount)
    return corrupt(error, "both raw_data and typed values are present");
  uint64_t have = haveRaw ? static_cast<uint64_t>(raw.end - raw.p) : typedCount;
  uint64_t need = bits ? packedBytes : haveRaw ? bytes : count;
  if (have != need) {
    error = std::string(have < need ? "truncated" : "corrupt") +
            " TensorProto .pb file: shape " + formatShape(dims) + " of " +
            dtypeNumpyName(tensor.dtype) + " needs " + std::to_string(need) +
            (haveRaw ? " raw_data bytes, " : " values, ") + "the file has " +
            std::to_string(have);
    return false;
  }
  if (!tensor.buffer.allocate(static_cast<size_t>(bytes))) {
    error = "out of memory reading '" + path + "'";
    return false;
  }
  if (haveRaw) {
    if (bits)
      unpackSubBytes(tensor.dtype, raw.p, count, tensor.buffer.data());
    else if (bytes)
      std::memcpy(tensor.buffer.data(), raw.p, static_cast<size_t>(bytes));
    return true;
  }
  // Typed values of sub-byte types are packed bytes: decode them into a
  // scratch buffer first.
  AlignedBuffer packed;
  if (bits && !packed.allocate(static_cast<size_t>(packedBytes))) {
    error = "out of memory reading '" + path + "'";
    return false;
  }
  void *dst = bits ? packed.data() : tensor.buffer.data();
  DType dstType = bits ? DType::U8 : tensor.dtype;
  uint64_t limit = bits ? packedBytes : count;
  uint64_t i = 0;
  for (Span s : typed) {
    int scalarWire = scalarWireFor(s.field);
    Reader in = s.data;
    while (!in.atEnd()) {
      uint64_t value = 0;
      bool ok;
      if (scalarWire == kVarint) {
        ok = in.varint(value);
      } else if (scalarWire == kFixed32) {
        uint32_t u = 0;
        ok = in.fixed(&u, 4);
        value = u;
      } else {
        ok = in.fixed(&value, 8);
      }
      if (!ok || i >= limit) // counted above; a mismatch means corruption
        return corrupt(error,
                       "malformed values in field " + std::to_string(s.field));
      storeValue(dstType, dst, i++, value);
    }
  }
  if (bits)
    unpackSubBytes(tensor.dtype, static_cast<const unsigned char *>(packed.data()),
                   count, tensor.buffer.data());
  return true;
}

} // namespace runtime
} // namespace kiln
