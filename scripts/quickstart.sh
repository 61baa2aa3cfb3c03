#!/usr/bin/env bash
# quickstart.sh — from a fresh checkout to a compiled, checked model in one command.
#
# Installs what is missing (setup.sh), builds kiln (build.sh), trains a small CNN on
# scikit-learn's 8x8 digits (numpy only, seconds), compiles it to a standalone executable and
# checks that executable's accuracy and logits against onnxruntime (scripts/digits/).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build="${KILN_BUILD_DIR:-$root/build}"
out="$build/digits"
step() { printf '\n== %s\n' "$*"; }

step "1/5 setup: Debian packages and the Python venv (.venv)"
bash scripts/setup.sh

step "2/5 build: kiln into $build"
bash scripts/build.sh

step "3/5 train: a small CNN on the digits data set into $out"
.venv/bin/python scripts/digits/train.py --out "$out"

step "4/5 compile: $out/digits.onnx -> $out/digits"
time_start=$SECONDS
"$build/bin/kiln" compile "$out/digits.onnx" -o "$out/digits"
echo "compiled in $((SECONDS - time_start)) s: $(du -h "$out/digits" | cut -f1) executable, no runtime dependencies"

step "5/5 evaluate: run $out/digits on the test images, compare with onnxruntime"
.venv/bin/python scripts/digits/evaluate.py --dir "$out" --exe "$out/digits" --model "$out/digits.onnx"
