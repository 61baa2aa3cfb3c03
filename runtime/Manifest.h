//===- Manifest.h - The compiled model's self-description -------*- C++ -*-===//
//
// A compiled model carries a text manifest (`kiln_manifest`, runtime/ABI.md)
// naming its arena size, weights and the name/dtype/shape of each input and
// output. The runtime parses it once at start-up; everything it checks about
// the user's tensors is checked against this.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_MANIFEST_H
#define KILN_RUNTIME_MANIFEST_H

#include "Tensor.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kiln {
namespace runtime {

/// One dim of a manifest shape: a size, or a symbol bound at run time.
struct Dim {
  int64_t size = 0;
  std::string symbol; // non-empty: symbolic
  bool isSymbolic() const { return !symbol.empty(); }
};

struct TensorSpec {
  std::string name;
  DType dtype = DType::F32;
  std::vector<Dim> shape;
};

/// One compiled code path (`cpu_path` record): its name as given to
/// `--cpu` (`x86-64-v3`), the LLVM CPU it was tuned for, and the features
/// (runtime/CpuFeatures.h names) its code may use.
struct CpuPath {
  std::string name;
  std::string cpu;
  std::vector<std::string> features;
};

struct Manifest {
  uint64_t arenaBytes = 0;
  uint64_t weightsBytes = 0;
  uint64_t weightsHash = 0;
  /// The model returns its output buffers (runtime/ABI.md) instead of
  /// writing into the runtime's.
  bool returnedOutputs = false;
  /// `cpu` (also when the record is absent) or `cuda:sm_80,sm_90`.
  std::string target = "cpu";
  bool onGpu() const { return target.compare(0, 5, "cuda:") == 0; }
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
  /// The CPU code paths, in the order of the object's `kiln_cpu_entries`;
  /// empty for an object that defines a single `kiln_entry`.
  std::vector<CpuPath> cpuPaths;
};

/// Parses the manifest text; on failure `error` says which line is wrong.
bool parseManifest(const char *text, Manifest &manifest, std::string &error);

/// The manifest's spelling of a shape (`batchx3x224x224`, `scalar`).
std::string formatSpecShape(const std::vector<Dim> &shape);

/// Symbol name -> size, plus which input bound it (for messages).
struct DimBindings {
  std::map<std::string, int64_t> sizes;
  std::map<std::string, std::string> boundBy;
};

/// Checks an input's actual shape against its spec and binds its symbolic
/// dims, consistently with earlier inputs.
bool bindInputShape(const TensorSpec &spec, const std::vector<int64_t> &shape,
                    DimBindings &bindings, std::string &error);

/// Resolves a spec's shape from bound symbols; fails on an unbound one.
bool resolveShape(const TensorSpec &spec, const char *kind,
                  const DimBindings &bindings, std::vector<int64_t> &shape,
                  std::string &error);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_MANIFEST_H
