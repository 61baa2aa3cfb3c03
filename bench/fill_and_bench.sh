#!/usr/bin/env bash
# fill_and_bench.sh — benchmarks kiln on real exporter outputs (resnet50, mobilenet_v2).
#
# The graphs in ../shared/models come without weights; fill_weights.py gives them deterministic
# random ones (once) into build/bench-models/, then bench.py compares kiln with onnxruntime.
# Extra arguments go to bench.py (e.g. --rounds 3). KILN_SHARED overrides ../shared.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
shared="${KILN_SHARED:-$root/../shared}"
build="${KILN_BUILD_DIR:-$root/build}"
models="$build/bench-models"
mkdir -p "$models"

args=()
for m in resnet50 mobilenet_v2; do
  if [ ! -f "$models/$m.onnx" ]; then
    echo "fill_and_bench: filling $m with random weights -> $models/$m.onnx" >&2
    .venv/bin/python "$shared/tools/fill_weights.py" "$shared/models/$m/model.onnx" \
      "$models/$m.onnx.tmp"
    mv "$models/$m.onnx.tmp" "$models/$m.onnx"
  fi
  args+=(--model "$models/$m.onnx")
done
exec .venv/bin/python bench/bench.py "${args[@]}" --input-shape pixels=1x3x224x224 "$@"
