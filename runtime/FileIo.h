//===- FileIo.h - Small checked POSIX file helpers --------------*- C++ -*-===//
//
// Every read of user-given files goes through these so short reads, EINTR
// and unreadable paths turn into one message instead of garbage or a crash.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_FILEIO_H
#define KILN_RUNTIME_FILEIO_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace kiln {
namespace runtime {

/// An open file descriptor, closed on scope exit.
class File {
public:
  File() = default;
  ~File();
  File(const File &) = delete;
  File &operator=(const File &) = delete;

  /// Opens for reading; on failure `error` is "cannot open PATH: reason".
  bool openForRead(const std::string &path, std::string &error);
  int fd() const { return handle; }
  uint64_t size() const { return bytes; }
  /// Reads exactly `n` bytes at `offset`; false on a short read or error.
  bool readAt(void *dst, size_t n, uint64_t offset) const;

private:
  int handle = -1;
  uint64_t bytes = 0;
};

/// Writes `header` then `data` to `path` (created or truncated).
bool writeFile(const std::string &path, const void *header, size_t headerSize,
               const void *data, size_t dataSize, std::string &error);

/// Bytes taken from a file, made safe to quote in a one-line message:
/// control and non-ASCII bytes become \xNN, and long text is cut.
std::string printableExcerpt(const std::string &bytes);

/// strerror(errno) as a std::string.
std::string errnoText();

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_FILEIO_H
