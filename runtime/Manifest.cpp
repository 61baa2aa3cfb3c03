//===- Manifest.cpp - Parsing the manifest and binding symbolic dims ------===//
//
// The manifest is produced by our own compiler, but the runtime still treats
// it as input: a malformed line is reported, never trusted. Symbolic dims are
// bound from the inputs the user gives (same name, same size) and then used
// to size the outputs.
//
//===----------------------------------------------------------------------===//

#include "Manifest.h"

#include <cctype>
#include <set>

namespace kiln {
namespace runtime {

static std::vector<std::string> splitOn(const std::string &s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    if (pos == std::string::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

static bool parseUnsigned(const std::string &s, uint64_t &out) {
  if (s.empty() || s.size() > 19)
    return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  out = v;
  return true;
}

static bool parseHash(const std::string &s, uint64_t &out) {
  if (s.size() != 16)
    return false;
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else
      return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  out = v;
  return true;
}

static bool parseShape(const std::string &s, std::vector<Dim> &shape) {
  shape.clear();
  if (s == "scalar")
    return true;
  for (const std::string &part : splitOn(s, 'x')) {
    if (part.empty())
      return false;
    Dim d;
    if (std::isdigit(static_cast<unsigned char>(part[0]))) {
      uint64_t v;
      if (!parseUnsigned(part, v) || v > static_cast<uint64_t>(INT64_MAX))
        return false;
      d.size = static_cast<int64_t>(v);
    } else {
      d.symbol = part;
    }
    shape.push_back(d);
  }
  return true;
}

bool parseManifest(const char *text, Manifest &m, std::string &error) {
  std::vector<std::string> lines = splitOn(text ? text : "", '\n');
  bool sawHeader = false, sawArena = false, sawWeights = false;
  std::set<std::string> inputNames, outputNames;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string &line = lines[i];
    if (line.empty())
      continue;
    std::vector<std::string> f = splitOn(line, ' ');
    auto bad = [&](const char *why) {
      error = "corrupt model manifest, line " + std::to_string(i + 1) + " ('" +
              line + "'): " + why;
      return false;
    };
    if (!sawHeader) {
      if (f.size() != 2 || f[0] != "kiln-manifest")
        return bad("expected 'kiln-manifest 1' first");
      if (f[1] != "1")
        return bad("unsupported manifest version (this runtime reads 1)");
      sawHeader = true;
    } else if (f[0] == "arena_bytes") {
      if (f.size() != 2 || !parseUnsigned(f[1], m.arenaBytes))
        return bad("expected 'arena_bytes <N>'");
      sawArena = true;
    } else if (f[0] == "weights_bytes") {
      if (f.size() != 3 || !parseUnsigned(f[1], m.weightsBytes) ||
          !parseHash(f[2], m.weightsHash))
        return bad("expected 'weights_bytes <N> <16 hex digits>'");
      sawWeights = true;
    } else if (f[0] == "returned_outputs") {
      if (f.size() != 2 || (f[1] != "0" && f[1] != "1"))
        return bad("expected 'returned_outputs <0|1>'");
      m.returnedOutputs = f[1] == "1";
    } else if (f[0] == "input" || f[0] == "output") {
      TensorSpec spec;
      if (f.size() != 4 || f[1].empty())
        return bad("expected '<input|output> <name> <dtype> <shape>'");
      spec.name = f[1];
      if (!parseManifestDType(f[2], spec.dtype))
        return bad("unknown dtype");
      if (!parseShape(f[3], spec.shape))
        return bad("malformed shape");
      bool isInput = f[0] == "input";
      std::set<std::string> &names = isInput ? inputNames : outputNames;
      if (!names.insert(spec.name).second)
        return bad("duplicate name");
      (isInput ? m.inputs : m.outputs).push_back(std::move(spec));
    } else if (f[0] == "cpu_path") {
      if (f.size() != 4 || f[1].empty() || f[2].empty())
        return bad("expected 'cpu_path <name> <cpu> <feature,...|->'");
      CpuPath path{f[1], f[2], {}};
      if (f[3] != "-") {
        for (std::string &feature : splitOn(f[3], ',')) {
          if (feature.empty())
            return bad("empty feature name");
          path.features.push_back(std::move(feature));
        }
      }
      m.cpuPaths.push_back(std::move(path));
    } else if (f[0] == "target") {
      if (f.size() != 2 || (f[1] != "cpu" && f[1].compare(0, 5, "cuda:") != 0))
        return bad("expected 'target cpu' or 'target cuda:sm_XX[,...]'");
      m.target = f[1];
    } else {
      return bad("unknown record");
    }
  }
  if (!sawHeader || !sawArena || !sawWeights) {
    error = "corrupt model manifest: missing the kiln-manifest, arena_bytes "
            "or weights_bytes record";
    return false;
  }
  return true;
}

std::string formatSpecShape(const std::vector<Dim> &shape) {
  if (shape.empty())
    return "scalar";
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += 'x';
    s +=
        shape[i].isSymbolic() ? shape[i].symbol : std::to_string(shape[i].size);
  }
  return s;
}

bool bindInputShape(const TensorSpec &spec, const std::vector<int64_t> &shape,
                    DimBindings &bindings, std::string &error) {
  auto mismatch = [&] {
    error = "input '" + spec.name + "': expected shape " +
            formatSpecShape(spec.shape) + ", got " + formatShape(shape);
    return false;
  };
  if (shape.size() != spec.shape.size())
    return mismatch();
  // Check the static dims first so the message for a plain wrong shape does
  // not depend on what earlier inputs bound.
  for (size_t i = 0; i < shape.size(); ++i)
    if (!spec.shape[i].isSymbolic() && spec.shape[i].size != shape[i])
      return mismatch();
  // Bind into a copy so a failing input leaves no half-made bindings.
  DimBindings next = bindings;
  for (size_t i = 0; i < shape.size(); ++i) {
    const Dim &d = spec.shape[i];
    if (!d.isSymbolic())
      continue;
    auto it = next.sizes.find(d.symbol);
    if (it == next.sizes.end()) {
      next.sizes[d.symbol] = shape[i];
      next.boundBy[d.symbol] = spec.name;
    } else if (it->second != shape[i]) {
      const std::string &other = next.boundBy[d.symbol];
      error = "input '" + spec.name + "': dim '" + d.symbol + "' is " +
              std::to_string(shape[i]) + " (shape " + formatShape(shape) +
              ") but " + std::to_string(it->second) +
              (other == spec.name ? " earlier in the same input"
                                  : " in input '" + other + "'");
      return false;
    }
  }
  bindings = std::move(next);
  return true;
}

bool resolveShape(const TensorSpec &spec, const char *kind,
                  const DimBindings &bindings, std::vector<int64_t> &shape,
                  std::string &error) {
  shape.clear();
  for (const Dim &d : spec.shape) {
    if (!d.isSymbolic()) {
      shape.push_back(d.size);
      continue;
    }
    auto it = bindings.sizes.find(d.symbol);
    if (it == bindings.sizes.end()) {
      error = std::string(kind) + " '" + spec.name + "': symbolic dim '" +
              d.symbol + "' (shape " + formatSpecShape(spec.shape) +
              ") is not bound by any input";
      return false;
    }
    shape.push_back(it->second);
  }
  return true;
}

} // namespace runtime
} // namespace kiln
