//===- Profile.cpp - kernel slices as a Chrome trace ----------------------===//

#include "Profile.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include <sys/syscall.h>
#include <unistd.h>

namespace {

struct Slice {
  std::string name;  // the ONNX nodes, or the run's label
  std::string kernel; // the kernel function; empty for a run
  double startUs = 0, durUs = -1;
  long tid = 0;
};

std::atomic<bool> enabled{false};
std::mutex mutex;
std::vector<Slice> slices;
std::vector<size_t> open; // indices of slices begun and not ended

double nowUs() {
  static const auto origin = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::micro>(
             std::chrono::steady_clock::now() - origin)
      .count();
}

long threadId() { return static_cast<long>(::syscall(SYS_gettid)); }

void begin(std::string name, std::string kernel) {
  std::lock_guard<std::mutex> lock(mutex);
  Slice s;
  s.name = std::move(name);
  s.kernel = std::move(kernel);
  s.tid = threadId();
  s.startUs = nowUs();
  open.push_back(slices.size());
  slices.push_back(std::move(s));
}

void end() {
  double now = nowUs();
  std::lock_guard<std::mutex> lock(mutex);
  if (open.empty())
    return;
  Slice &s = slices[open.back()];
  open.pop_back();
  s.durUs = now - s.startUs;
}

void appendJsonString(std::string &out, const std::string &text) {
  out += '"';
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

} // namespace

/// `text` (a memref<Nxi8> as MLIR passes it) is the kernel function's name,
/// then one line per ONNX node fused into it.
extern "C" void kiln_profile_begin(const char *alloc, const char *data,
                                   int64_t offset, int64_t size,
                                   int64_t stride) {
  (void)alloc;
  (void)stride;
  if (!enabled.load(std::memory_order_relaxed))
    return;
  std::string text(data + offset, static_cast<size_t>(size));
  size_t nl = text.find('\n');
  std::string kernel = text.substr(0, nl);
  std::string nodes;
  for (size_t at = nl; at != std::string::npos;) {
    size_t next = text.find('\n', at + 1);
    if (!nodes.empty())
      nodes += " + ";
    nodes += text.substr(at + 1, next == std::string::npos ? std::string::npos
                                                           : next - at - 1);
    at = next;
  }
  begin(nodes.empty() ? kernel : nodes, kernel);
}

extern "C" void kiln_profile_end(const char *, const char *, int64_t, int64_t,
                                 int64_t) {
  if (enabled.load(std::memory_order_relaxed))
    end();
}

namespace kiln {
namespace runtime {

void enableProfile() {
  nowUs(); // the trace's time origin
  enabled.store(true);
}

void profileRunBegin(const std::string &label) {
  if (enabled.load())
    begin(label, "");
}

void profileRunEnd() {
  if (enabled.load())
    end();
}

bool writeProfile(const std::string &path, std::string &error) {
  std::string out = "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n";
  long pid = static_cast<long>(::getpid());
  bool first = true;
  std::lock_guard<std::mutex> lock(mutex);
  for (const Slice &s : slices) {
    if (s.durUs < 0)
      continue;
    if (!first)
      out += ",\n";
    first = false;
    char head[160];
    std::snprintf(head, sizeof head,
                  "{\"ph\":\"X\",\"pid\":%ld,\"tid\":%ld,\"ts\":%.3f,"
                  "\"dur\":%.3f,\"cat\":\"%s\",\"name\":",
                  pid, s.tid, s.startUs, s.durUs,
                  s.kernel.empty() ? "run" : "kernel");
    out += head;
    appendJsonString(out, s.name);
    if (!s.kernel.empty()) {
      out += ",\"args\":{\"kernel\":";
      appendJsonString(out, s.kernel);
      out += "}";
    }
    out += "}";
  }
  out += "\n]}\n";
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f) {
    error = "cannot write profile '" + path + "': " + std::strerror(errno);
    return false;
  }
  bool ok = std::fwrite(out.data(), 1, out.size(), f) == out.size();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok)
    error = "cannot write profile '" + path + "': " + std::strerror(errno);
  return ok;
}

} // namespace runtime
} // namespace kiln
