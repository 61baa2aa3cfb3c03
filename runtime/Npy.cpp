//===- Npy.cpp - Reading and writing numpy .npy files ---------------------===//
//
// The .npy header is a Python dict literal; we parse the small subset numpy
// writes ({'descr': str, 'fortran_order': bool, 'shape': tuple of ints})
// with a hand-written scanner rather than trusting offsets in it. Any
// deviation is reported as a corrupt or unsupported file.
//
//===----------------------------------------------------------------------===//

#include "Npy.h"
#include "FileIo.h"

#include <cctype>
#include <cstring>

namespace kiln {
namespace runtime {

static const char kMagic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};
/// numpy refuses headers above this size too; it bounds our allocation.
static const size_t kMaxHeaderBytes = 1 << 20;

namespace {
/// The three fields of a .npy header.
struct NpyHeader {
  std::string descr;
  bool fortranOrder = false;
  std::vector<int64_t> shape;
};

/// Scanner over the header's dict literal.
class HeaderParser {
public:
  explicit HeaderParser(const std::string &text) : s(text) {}

  bool parse(NpyHeader &h, std::string &error) {
    bool haveDescr = false, haveOrder = false, haveShape = false;
    skipSpace();
    if (!eat('{'))
      return fail(error, "header is not a dict");
    for (;;) {
      skipSpace();
      if (eat('}'))
        break;
      std::string key;
      if (!parseString(key))
        return fail(error, "malformed header key");
      skipSpace();
      if (!eat(':'))
        return fail(error, "malformed header (expected ':')");
      skipSpace();
      if (key == "descr") {
        if (!parseString(h.descr))
          return fail(error, "malformed 'descr'");
        haveDescr = true;
      } else if (key == "fortran_order") {
        if (!parseBool(h.fortranOrder))
          return fail(error, "malformed 'fortran_order'");
        haveOrder = true;
      } else if (key == "shape") {
        if (!parseShape(h.shape))
          return fail(error, "malformed 'shape'");
        haveShape = true;
      } else {
        return fail(error,
                    "unexpected header key '" + printableExcerpt(key) + "'");
      }
      skipSpace();
      if (eat(','))
        continue;
      skipSpace();
      if (eat('}'))
        break;
      return fail(error, "malformed header (expected ',' or '}')");
    }
    if (!haveDescr || !haveOrder || !haveShape)
      return fail(error,
                  "header lacks one of 'descr', 'fortran_order', 'shape'");
    return true;
  }

private:
  static bool fail(std::string &error, const std::string &why) {
    error = "corrupt .npy file: " + why;
    return false;
  }
  void skipSpace() {
    while (pos < s.size() && std::isspace(static_cast<unsigned char>(s[pos])))
      ++pos;
  }
  bool eat(char c) {
    if (pos < s.size() && s[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  bool eatWord(const char *w) {
    size_t n = std::strlen(w);
    if (s.compare(pos, n, w) != 0)
      return false;
    pos += n;
    return true;
  }
  bool parseString(std::string &out) {
    if (pos >= s.size() || (s[pos] != '\'' && s[pos] != '"'))
      return false;
    char quote = s[pos++];
    size_t end = s.find(quote, pos);
    if (end == std::string::npos)
      return false;
    out = s.substr(pos, end - pos);
    pos = end + 1;
    return true;
  }
  bool parseBool(bool &out) {
    if (eatWord("True"))
      out = true;
    else if (eatWord("False"))
      out = false;
    else
      return false;
    return true;
  }
  bool parseShape(std::vector<int64_t> &shape) {
    if (!eat('('))
      return false;
    for (;;) {
      skipSpace();
      if (eat(')'))
        return true;
      if (pos >= s.size() || !std::isdigit(static_cast<unsigned char>(s[pos])))
        return false;
      int64_t v = 0;
      while (pos < s.size() &&
             std::isdigit(static_cast<unsigned char>(s[pos]))) {
        if (v > (INT64_MAX - 9) / 10)
          return false;
        v = v * 10 + (s[pos++] - '0');
      }
      if (eat('L')) // Python 2 longs, in files written long ago
        ;
      shape.push_back(v);
      skipSpace();
      if (eat(','))
        continue;
      skipSpace();
      if (eat(')'))
        return true;
      return false;
    }
  }

  const std::string &s;
  size_t pos = 0;
};
} // namespace

/// ONNX's low-precision types as the ml_dtypes package names them in a
/// header (np.load reads these once ml_dtypes is imported).
static const struct {
  const char *descr;
  DType type;
} kMlDtypes[] = {{"int4", DType::I4},
                 {"uint4", DType::U4},
                 {"int2", DType::I2},
                 {"uint2", DType::U2},
                 {"float4_e2m1fn", DType::F4E2M1},
                 {"float8_e4m3fn", DType::F8E4M3FN},
                 {"float8_e4m3fnuz", DType::F8E4M3FNUZ},
                 {"float8_e5m2", DType::F8E5M2},
                 {"float8_e5m2fnuz", DType::F8E5M2FNUZ},
                 {"float8_e8m0fnu", DType::F8E8M0}};

static bool dtypeFromDescr(const std::string &d, DType &out,
                           std::string &error) {
  for (const auto &m : kMlDtypes) {
    if (d == m.descr) {
      out = m.type;
      return true;
    }
  }
  // np.save writes ml_dtypes arrays as anonymous one-byte voids (float8_e5m2
  // as `<f1`, a float type numpy itself lacks).
  if (d == "|V1" || d == "<V1" || d == "<f1" || d == "|f1") {
    out = DType::Opaque8;
    return true;
  }
  static const struct {
    const char *code;
    DType type;
  } kCodes[] = {{"f4", DType::F32}, {"f8", DType::F64}, {"f2", DType::F16},
                {"i1", DType::I8},  {"i2", DType::I16}, {"i4", DType::I32},
                {"i8", DType::I64}, {"u1", DType::U8},  {"u2", DType::U16},
                {"u4", DType::U32}, {"u8", DType::U64}, {"b1", DType::Bool}};
  if (d.size() == 3 && (d[0] == '<' || d[0] == '|' || d[0] == '>')) {
    for (const auto &c : kCodes) {
      if (d.compare(1, 2, c.code) != 0)
        continue;
      bool oneByte = dtypeSize(c.type) == 1;
      // Byte order only matters above one byte; numpy writes '|' there.
      if (d[0] == '<' || oneByte) {
        out = c.type;
        return true;
      }
      error = "unsupported .npy dtype '" + printableExcerpt(d) +
              "' (big-endian or no byte order; only little-endian is read)";
      return false;
    }
  }
  error = "unsupported .npy dtype '" + printableExcerpt(d) + "'";
  return false;
}

bool hasNpyMagic(const std::string &path) {
  File f;
  std::string ignored;
  char head[6];
  return f.openForRead(path, ignored) && f.size() >= 6 &&
         f.readAt(head, 6, 0) && std::memcmp(head, kMagic, 6) == 0;
}

bool readNpy(const std::string &path, Tensor &tensor, std::string &error) {
  File f;
  if (!f.openForRead(path, error))
    return false;
  unsigned char pre[12];
  if (f.size() < 10 || !f.readAt(pre, 10, 0) ||
      std::memcmp(pre, kMagic, 6) != 0) {
    error = "not a .npy file (missing the \\x93NUMPY magic or too short)";
    return false;
  }
  unsigned major = pre[6];
  uint64_t headerLen, headerStart;
  if (major == 1) {
    headerLen = pre[8] | (static_cast<uint64_t>(pre[9]) << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (f.size() < 12 || !f.readAt(pre, 12, 0)) {
      error = "corrupt .npy file: truncated header";
      return false;
    }
    headerLen = pre[8] | (static_cast<uint64_t>(pre[9]) << 8) |
                (static_cast<uint64_t>(pre[10]) << 16) |
                (static_cast<uint64_t>(pre[11]) << 24);
    headerStart = 12;
  } else {
    error = "unsupported .npy version " + std::to_string(major) + "." +
            std::to_string(pre[7]) + " (reads 1.0, 2.0, 3.0)";
    return false;
  }
  if (headerLen > kMaxHeaderBytes || headerStart + headerLen > f.size()) {
    error = "corrupt .npy file: header length " + std::to_string(headerLen) +
            " runs past the end of the file (" + std::to_string(f.size()) +
            " bytes)";
    return false;
  }
  std::string text(static_cast<size_t>(headerLen), '\0');
  if (!f.readAt(&text[0], text.size(), headerStart)) {
    error = "cannot read .npy header: " + errnoText();
    return false;
  }
  NpyHeader h;
  if (!HeaderParser(text).parse(h, error))
    return false;
  if (!dtypeFromDescr(h.descr, tensor.dtype, error))
    return false;
  if (h.fortranOrder) {
    error = "Fortran-order .npy arrays are not supported; save a C-contiguous "
            "array (numpy.ascontiguousarray)";
    return false;
  }
  uint64_t dataBytes;
  if (!byteCount(h.shape, tensor.dtype, dataBytes)) {
    error =
        "corrupt .npy file: shape " + formatShape(h.shape) + " is too large";
    return false;
  }
  uint64_t dataStart = headerStart + headerLen;
  uint64_t available = f.size() - dataStart;
  if (available != dataBytes) {
    error = std::string(available < dataBytes ? "truncated" : "corrupt") +
            " .npy file: shape " + formatShape(h.shape) + " of " +
            dtypeNumpyName(tensor.dtype) + " needs " +
            std::to_string(dataBytes) + " data bytes, the file has " +
            std::to_string(available);
    return false;
  }
  tensor.shape = h.shape;
  if (!tensor.buffer.allocate(static_cast<size_t>(dataBytes))) {
    error = "out of memory reading " + std::to_string(dataBytes) + " bytes";
    return false;
  }
  if (dataBytes && !f.readAt(tensor.buffer.data(), dataBytes, dataStart)) {
    error = "cannot read .npy data: " + errnoText();
    return false;
  }
  if (subByteBits(tensor.dtype)) {
    uint8_t *p = static_cast<uint8_t *>(tensor.buffer.data());
    for (uint64_t i = 0; i < dataBytes; ++i)
      p[i] = widenSubByte(tensor.dtype, p[i]);
  }
  return true;
}

static const char *npyDescr(DType t) {
  switch (t) {
  case DType::F32:
  case DType::BF16: // written widened, see writeNpy
    return "<f4";
  case DType::F64:
    return "<f8";
  case DType::F16:
    return "<f2";
  case DType::I8:
    return "|i1";
  case DType::I16:
    return "<i2";
  case DType::I32:
    return "<i4";
  case DType::I64:
    return "<i8";
  case DType::U8:
    return "|u1";
  case DType::U16:
    return "<u2";
  case DType::U32:
    return "<u4";
  case DType::U64:
    return "<u8";
  case DType::Bool:
    return "|b1";
  default:
    for (const auto &m : kMlDtypes)
      if (m.type == t)
        return m.descr;
    return "|V1";
  }
}

bool writeNpy(const std::string &path, DType dtype,
              const std::vector<int64_t> &shape, const void *data,
              std::string &error) {
  // Python tuple syntax: "()", "(3,)", "(2, 3)".
  std::string shapeText = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    shapeText += (i ? ", " : "") + std::to_string(shape[i]);
  shapeText += shape.size() == 1 ? ",)" : ")";
  std::string dict = std::string("{'descr': '") + npyDescr(dtype) +
                     "', 'fortran_order': False, 'shape': " + shapeText + ", }";
  // numpy pads the header with spaces and a newline so data starts on a
  // 64-byte boundary.
  size_t total = 10 + dict.size() + 1;
  size_t padded = (total + 63) / 64 * 64;
  dict.append(padded - total, ' ');
  dict += '\n';
  if (dict.size() > 65535) {
    error = "cannot write '" + path + "': shape too long for a .npy header";
    return false;
  }
  std::string header(kMagic, 6);
  header += '\x01';
  header += '\x00';
  header += static_cast<char>(dict.size() & 0xff);
  header += static_cast<char>(dict.size() >> 8);
  header += dict;

  uint64_t count, bytes;
  if (!elementCount(shape, count) || !byteCount(shape, dtype, bytes)) {
    error = "cannot write '" + path + "': shape too large";
    return false;
  }
  if (subByteBits(dtype)) { // ml_dtypes keeps just the code in each byte
    AlignedBuffer codes;
    if (!codes.allocate(static_cast<size_t>(count))) {
      error = "out of memory writing '" + path + "'";
      return false;
    }
    const uint8_t *src = static_cast<const uint8_t *>(data);
    uint8_t *dst = static_cast<uint8_t *>(codes.data());
    for (uint64_t i = 0; i < count; ++i)
      dst[i] = narrowSubByte(dtype, src[i]);
    return writeFile(path, header.data(), header.size(), codes.data(),
                     static_cast<size_t>(count), error);
  }
  if (dtype != DType::BF16)
    return writeFile(path, header.data(), header.size(), data,
                     static_cast<size_t>(bytes), error);
  AlignedBuffer widened;
  if (!widened.allocate(static_cast<size_t>(count) * 4)) {
    error = "out of memory writing '" + path + "'";
    return false;
  }
  const uint16_t *src = static_cast<const uint16_t *>(data);
  float *dst = static_cast<float *>(widened.data());
  for (uint64_t i = 0; i < count; ++i)
    dst[i] = bf16ToFloat(src[i]);
  return writeFile(path, header.data(), header.size(), widened.data(),
                   static_cast<size_t>(count) * 4, error);
}

} // namespace runtime
} // namespace kiln
