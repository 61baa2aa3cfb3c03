#!/usr/bin/env bash
# check_shared_cuda.sh — compiles every model of ../shared/models for the NVIDIA target
# (`--target cuda:sm_80,sm_90` by default), which assembles each arch's PTX with ptxas, and
# prints one line per model (compile seconds, executable size). Then, unless --no-host, the
# same kernels as the host emulation (`--target cuda:host`: the tiled contractions' phases and
# tensor-core steps run on the CPU) against onnxruntime on seeded inputs
# (scripts/compare_with_ort.py: relative L2 <= 1e-4, 2e-2 for f16 outputs). No GPU needed. Run
# by .ci/run after the test suite when ../shared is present (tests never read ../shared).
#
# Usage: scripts/check_shared_cuda.sh [--no-host] [TARGET]   KILN_SHARED overrides ../shared.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
shared="${KILN_SHARED:-$root/../shared}"
build="${KILN_BUILD_DIR:-$root/build}"
host=1
if [ "${1:-}" = --no-host ]; then
  host=0
  shift
fi
target="${1:-cuda:sm_80,sm_90}"
out="$build/shared-cuda"
mkdir -p "$out"

# shellcheck source=scripts/shared_shapes.sh
source scripts/shared_shapes.sh
models=()
for dir in "$shared"/models/*/; do
  [ -f "$dir/model.onnx" ] && models+=("$(basename "$dir")")
done
if [ ${#models[@]} -eq 0 ]; then
  echo "check_shared_cuda: no models under $shared/models" >&2
  exit 2
fi

failed=0
for m in "${models[@]}"; do
  onnx="$(bash scripts/fill_shared_models.sh "$m")"
  start=$(date +%s)
  # shellcheck disable=SC2086 # the shapes are separate words
  if "$build/bin/kiln" compile "$onnx" --target "$target" ${shared_shapes[$m]:-} \
       -o "$out/$m" 2> "$out/$m.log"; then
    printf 'check_shared_cuda: %-20s %s ok  %4ds  %s\n' "$m" "$target" \
      $(( $(date +%s) - start )) "$(du -h "$out/$m" | cut -f1)"
    rm -f "$out/$m" "$out/$m.weights"  # weights make these large; the check is the compile
  else
    echo "check_shared_cuda: $m FAILED for $target:" >&2
    tail -5 "$out/$m.log" >&2
    failed=1
  fi
  [ "$host" = 1 ] || continue
  # shellcheck disable=SC2086
  if ! "$build/bin/kiln" compile "$onnx" --target cuda:host ${shared_shapes[$m]:-} \
       -o "$out/$m.host" 2> "$out/$m.host.log"; then
    echo "check_shared_cuda: $m FAILED for cuda:host:" >&2
    tail -5 "$out/$m.host.log" >&2
    failed=1
    continue
  fi
  # shellcheck disable=SC2086 # --input-shape NAME=... pairs, minus the flag
  if ! .venv/bin/python scripts/compare_with_ort.py "$m" "$onnx" "$out/$m.host" \
       ${shared_shapes[$m]//--input-shape /} --workdir "$out/$m.compare" | sed 's/^/check_shared_cuda: cuda:host /'; then
    failed=1
  fi
  rm -rf "$out/$m.host" "$out/$m.host.weights" "$out/$m.compare"
done
exit $failed
