//===- Link.cpp - object + runtime + weights → executable -----------------===//
//
// Runs the system linker (clang++-22 driving lld) on the model object and
// libkiln_runtime.a, then appends the weights and the trailer that the
// runtime looks for. The C++ runtime libraries are linked statically so the
// executable needs only libc and libm.
//
//===----------------------------------------------------------------------===//

#include "compiler/Link/Link.h"

#include "runtime/WeightsFormat.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::kiln;
namespace fs = llvm::sys::fs;
namespace path = llvm::sys::path;

/// A raw_ostream that hashes and counts what passes through it to `os`.
namespace {
class HashingStream final : public llvm::raw_ostream {
public:
  explicit HashingStream(llvm::raw_ostream &os) : os(os) { SetUnbuffered(); }
  uint64_t hash() const { return hasher.digest(); }
  uint64_t count() const { return written; }

private:
  void write_impl(const char *ptr, size_t size) override {
    hasher.update(ptr, size);
    written += size;
    os.write(ptr, size);
  }
  uint64_t current_pos() const override { return written; }

  llvm::raw_ostream &os;
  ::kiln::runtime::Fnv1a64 hasher;
  uint64_t written = 0;
};
} // namespace

static std::string runtimeLibraryBesideKiln() {
  std::string exe =
      fs::getMainExecutable(nullptr, reinterpret_cast<void *>(&linkExecutable));
  llvm::SmallString<256> lib(path::parent_path(path::parent_path(exe)));
  path::append(lib, "lib", "libkiln_runtime.a");
  return std::string(lib);
}

/// Resolved when kiln starts, not when it links: a compile can take minutes,
/// and if the kiln binary is replaced meanwhile (a rebuild, an upgrade) its
/// /proc/self/exe no longer names a path.
static const std::string runtimeLibraryAtStartup = runtimeLibraryBesideKiln();

static std::string findRuntimeLibrary() { return runtimeLibraryAtStartup; }

static std::string findLinkerDriver() {
  for (const char *name : {"clang++-22", "clang++"}) {
    if (auto found = llvm::sys::findProgramByName(name,
                                                  {"/usr/lib/llvm-22/bin"}))
      return *found;
    if (auto found = llvm::sys::findProgramByName(name))
      return *found;
  }
  return "";
}

static std::string firstLine(llvm::StringRef text) {
  return text.trim().split('\n').first.str();
}

/// Writes padding, weights and trailer after `headBytes` bytes already in
/// `os`; checks the blob against the size and hash the manifest promises.
static LogicalResult appendWeights(llvm::raw_ostream &os, uint64_t headBytes,
                                   uint64_t weightsBytes, uint64_t weightsHash,
                                   const WeightsWriter &writer,
                                   std::string &error) {
  uint64_t pad = ::kiln::runtime::weightsPaddingFor(headBytes);
  os.write_zeros(pad);
  HashingStream hashing(os);
  if (failed(writer(hashing))) {
    error = "could not write the model's weights";
    return failure();
  }
  if (hashing.count() != weightsBytes || hashing.hash() != weightsHash) {
    error = "internal error: weights changed between hashing and writing";
    return failure();
  }
  ::kiln::runtime::WeightsTrailer trailer{headBytes + pad, weightsBytes,
                                        weightsHash};
  unsigned char bytes[::kiln::runtime::kWeightsTrailerBytes];
  ::kiln::runtime::encodeWeightsTrailer(trailer, bytes);
  os.write(reinterpret_cast<const char *>(bytes), sizeof(bytes));
  return success();
}

/// Writes `objects` into `dir` as model0.o, model1.o, ... and appends their
/// paths to `paths`.
static LogicalResult writeObjects(llvm::ArrayRef<llvm::SmallVector<char>> objects,
                                  llvm::StringRef dir,
                                  std::vector<std::string> &paths,
                                  std::string &error) {
  for (auto [i, object] : llvm::enumerate(objects)) {
    llvm::SmallString<128> objPath(dir);
    path::append(objPath, "model" + std::to_string(i) + ".o");
    std::error_code ec;
    llvm::raw_fd_ostream obj(objPath, ec);
    if (ec) {
      error = "cannot write '" + objPath.str().str() + "': " + ec.message();
      return failure();
    }
    obj.write(object.data(), object.size());
    paths.push_back(std::string(objPath));
  }
  return success();
}

/// Runs the linker driver with `args` (after the driver itself); its output
/// goes to a log whose first line is the error.
static LogicalResult runLinker(llvm::ArrayRef<std::string> args,
                               llvm::StringRef tmpDir, std::string &error) {
  std::string driver = findLinkerDriver();
  if (driver.empty()) {
    error = "clang++-22 not found (install clang-22 and lld-22)";
    return failure();
  }
  llvm::SmallString<128> logPath(tmpDir);
  path::append(logPath, "link.log");
  llvm::SmallVector<llvm::StringRef> argv = {driver};
  for (const std::string &a : args)
    argv.push_back(a);
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, logPath.str(),
                                                logPath.str()};
  std::string execError;
  int rc = llvm::sys::ExecuteAndWait(driver, argv, std::nullopt, redirects, 0,
                                     0, &execError);
  if (rc != 0) {
    auto log = llvm::MemoryBuffer::getFile(logPath);
    error = "link failed: " +
            (log ? firstLine((*log)->getBuffer()) : execError);
    return failure();
  }
  return success();
}

LogicalResult mlir::kiln::linkRelocatableObject(
    llvm::ArrayRef<llvm::SmallVector<char>> objects,
    const std::string &outputPath, std::string &error) {
  llvm::SmallString<128> tmpDir;
  if (fs::createUniqueDirectory("kiln-link", tmpDir)) {
    error = "cannot create a temporary directory";
    return failure();
  }
  auto cleanup = llvm::scope_exit([&] { fs::remove_directories(tmpDir); });
  std::vector<std::string> args = {"-fuse-ld=lld", "-nostdlib", "-r",
                                   "-Wl,--build-id=none", "-o", outputPath};
  if (failed(writeObjects(objects, tmpDir, args, error)))
    return failure();
  return runLinker(args, tmpDir, error);
}

LogicalResult mlir::kiln::linkExecutable(
    llvm::ArrayRef<llvm::SmallVector<char>> objects, uint64_t weightsBytes,
    uint64_t weightsHash, const WeightsWriter &writer,
    const LinkOptions &options, std::string &error) {
  std::string runtimeLib = findRuntimeLibrary();
  if (!fs::exists(runtimeLib)) {
    error = "runtime library not found at '" + runtimeLib + "'";
    return failure();
  }

  llvm::SmallString<128> tmpDir;
  if (fs::createUniqueDirectory("kiln-link", tmpDir)) {
    error = "cannot create a temporary directory";
    return failure();
  }
  auto cleanup = llvm::scope_exit([&] { fs::remove_directories(tmpDir); });
  llvm::SmallString<128> exePath(tmpDir);
  path::append(exePath, "model");
  std::vector<std::string> args = {
      "-fuse-ld=lld", "-static-libstdc++", "-static-libgcc",
      "-Wl,--build-id=none", "-Wl,-O1", "-o", std::string(exePath)};
  if (failed(writeObjects(objects, tmpDir, args, error)))
    return failure();
  for (const char *lib : {"-lpthread", "-lm", "-ldl"})
    args.push_back(lib);
  args.insert(args.end() - 3, runtimeLib);
  if (failed(runLinker(args, tmpDir, error)))
    return failure();

  auto linked = llvm::MemoryBuffer::getFile(exePath);
  if (!linked) {
    error = "cannot read the linked executable";
    return failure();
  }
  bool sidecar = weightsBytes > options.sidecarThreshold;
  std::string tmpOut = options.outputPath + ".kiln-tmp";
  auto removeTmpOut = llvm::scope_exit([&] { fs::remove(tmpOut); });
  {
    std::error_code ec;
    llvm::raw_fd_ostream out(tmpOut, ec);
    if (ec) {
      error = "cannot write '" + options.outputPath + "': " + ec.message();
      return failure();
    }
    llvm::StringRef head = (*linked)->getBuffer();
    out << head;
    if (weightsBytes && !sidecar &&
        failed(appendWeights(out, head.size(), weightsBytes, weightsHash,
                             writer, error)))
      return failure();
  }
  if (sidecar) {
    std::string sidecarPath = options.outputPath + ".weights";
    std::error_code ec;
    llvm::raw_fd_ostream out(sidecarPath, ec);
    if (ec) {
      error = "cannot write '" + sidecarPath + "': " + ec.message();
      return failure();
    }
    if (failed(appendWeights(out, 0, weightsBytes, weightsHash, writer, error)))
      return failure();
  }
  if (std::error_code ec = fs::rename(tmpOut, options.outputPath)) {
    error = "cannot write '" + options.outputPath + "': " + ec.message();
    return failure();
  }
  fs::setPermissions(options.outputPath, fs::all_read | fs::all_exe |
                                             fs::owner_write);
  return success();
}
