//===- FileIo.cpp - Small checked POSIX file helpers ----------------------===//
//
// Plain open/pread/write loops: no iostreams (no exceptions, no locale) and
// exact control over what a short read or a full disk reports.
//
//===----------------------------------------------------------------------===//

#include "FileIo.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kiln {
namespace runtime {

std::string errnoText() { return std::strerror(errno); }

std::string printableExcerpt(const std::string &bytes) {
  const size_t kMaxShown = 40;
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < kMaxShown; ++i) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      static const char digits[] = "0123456789abcdef";
      out += "\\x";
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  if (bytes.size() > kMaxShown)
    out += "...";
  return out;
}

File::~File() {
  if (handle >= 0)
    ::close(handle);
}

bool File::openForRead(const std::string &path, std::string &error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot open '" + path + "': " + errnoText();
    return false;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    error = "cannot stat '" + path + "': " + errnoText();
    ::close(fd);
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    error = "cannot read '" + path + "': it is a directory";
    ::close(fd);
    return false;
  }
  handle = fd;
  bytes = st.st_size > 0 ? static_cast<uint64_t>(st.st_size) : 0;
  return true;
}

bool File::readAt(void *dst, size_t n, uint64_t offset) const {
  char *p = static_cast<char *>(dst);
  while (n > 0) {
    ssize_t got = ::pread(handle, p, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      return false;
    p += got;
    n -= static_cast<size_t>(got);
    offset += static_cast<uint64_t>(got);
  }
  return true;
}

static bool writeAll(int fd, const void *src, size_t n) {
  const char *p = static_cast<const char *>(src);
  while (n > 0) {
    ssize_t put = ::write(fd, p, n);
    if (put < 0 && errno == EINTR)
      continue;
    if (put <= 0)
      return false;
    p += put;
    n -= static_cast<size_t>(put);
  }
  return true;
}

bool writeFile(const std::string &path, const void *header, size_t headerSize,
               const void *data, size_t dataSize, std::string &error) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = "cannot write '" + path + "': " + errnoText();
    return false;
  }
  bool ok = writeAll(fd, header, headerSize) && writeAll(fd, data, dataSize);
  std::string why = ok ? "" : errnoText();
  if (::close(fd) != 0 && ok) {
    ok = false;
    why = errnoText();
  }
  if (!ok)
    error = "cannot write '" + path + "': " + why;
  return ok;
}

} // namespace runtime
} // namespace kiln
