#!/usr/bin/env bash
# fill_shared_models.sh — gives the weightless graphs of ../shared/models deterministic random
# weights (once), into build/bench-models/<model>.onnx, and prints those paths.
#
# Usage: scripts/fill_shared_models.sh MODEL...   (`all` = the five models of the issues)
# KILN_SHARED overrides ../shared; KILN_BUILD_DIR the build folder.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
shared="${KILN_SHARED:-$root/../shared}"
build="${KILN_BUILD_DIR:-$root/build}"
models="$build/bench-models"
mkdir -p "$models"

# shellcheck source=scripts/shared_shapes.sh
source scripts/shared_shapes.sh
selected="$*"
[ "$selected" = all ] && selected="$shared_models_all"
for m in $selected; do
  if [ ! -f "$shared/models/$m/model.onnx" ]; then
    echo "fill_shared_models: no model $shared/models/$m/model.onnx" >&2
    exit 2
  fi
  if [ ! -f "$models/$m.onnx" ]; then
    echo "fill_shared_models: filling $m with random weights -> $models/$m.onnx" >&2
    .venv/bin/python "$shared/tools/fill_weights.py" "$shared/models/$m/model.onnx" \
      "$models/$m.onnx.tmp" >&2
    mv "$models/$m.onnx.tmp" "$models/$m.onnx"
  fi
  echo "$models/$m.onnx"
done
