#!/usr/bin/env bash
# prepare.sh — on a build machine (no GPU needed): build kiln, generate the e2e models and
# compile each for the GPU into .gpu/ (in .gitignore), for run_on_device.sh to carry.
#
# The GPU machine has no LLVM/MLIR 22 to build kiln with, so the compiler runs here and
# only the executables (which need nothing but libc and, at run time, the NVIDIA driver)
# travel. Then, from a session with a device:
#   run(command="bash test/gpu/run_on_device.sh", carry=[".gpu"], timeout_s=600)
#
# --shared also compiles the models of ../shared/models (all five, or a comma-separated
# subset) with the bindings of scripts/shared_shapes.sh into .gpu/shared/<name>/. Their
# weights (19-428 MB each) are too big to carry, so each is compiled with --weights=sidecar
# and the sidecar is replaced by a recipe (test/gpu/weights_recipe.py split: pieces of the
# filled model's tensors plus a residual of a few KB) that run_on_device.sh joins back after
# filling the weightless model.onnx (copied here with tools/fill_weights.py) on the device.
# weights.sha256 keeps the sidecar's sha256 as sha256sum wrote it, an independent check.
# The carried folder is limited to 64 MiB; this fails above 60 MiB.
#
# usage: test/gpu/prepare.sh [--size 64] [--target cuda:sm_80,sm_90] [--bench-size 224]
#                            [--shared [all|NAME,NAME...]] [--no-generated]
#   --bench-size N   also compiles the generated models at NxN images as <name>_N (0: skip).
#   --no-generated   only the shared models (with --shared).
# KILN=path/to/kiln uses that compiler as it is (e.g. a snapshot); otherwise scripts/build.sh
# builds $KILN_BUILD_DIR (default build/) and its bin/kiln is used. KILN_SHARED overrides
# ../shared (as for scripts/fill_shared_models.sh, which fills the models).
set -euo pipefail
cd "$(dirname "$0")/../.."
size=64
bench_size=224
target=cuda:sm_80,sm_90
shared=""
generated=1
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size=$2; shift 2 ;;
    --bench-size) bench_size=$2; shift 2 ;;
    --target) target=$2; shift 2 ;;
    --shared)
      if [ $# -gt 1 ] && [ "${2#--}" = "$2" ]; then shared=$2; shift 2; else shared=all; shift; fi ;;
    --no-generated) generated=0; shift ;;
    *) echo "error: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
if [ "$generated" = 0 ] && [ -z "$shared" ]; then
  echo "error: --no-generated without --shared leaves nothing to prepare" >&2
  exit 2
fi
# shellcheck source=scripts/shared_shapes.sh
source scripts/shared_shapes.sh
[ "$shared" = all ] && shared=$shared_models_all
shared=${shared//,/ }
for m in $shared; do
  if [ -z "${shared_shapes[$m]+set}" ]; then
    echo "error: --shared: unknown model '$m' (one of: $shared_models_all)" >&2
    exit 2
  fi
done
if [ -n "${KILN:-}" ]; then
  kiln=$KILN
else
  scripts/build.sh kiln >/dev/null
  kiln="${KILN_BUILD_DIR:-build}/bin/kiln"
fi
if [ ! -x "$kiln" ]; then
  echo "error: no kiln compiler at $kiln" >&2
  exit 2
fi
py=.venv/bin/python
rm -rf .gpu && mkdir -p .gpu
echo "$target" > .gpu/target

if [ "$generated" = 1 ]; then
  mkdir -p .gpu/models .gpu/exe
  $py test/models/make_models.py .gpu/models --size "$size" \
    --only resnet_style mobilenet_v2_style ops_mix >/dev/null
  if [ "$bench_size" != 0 ]; then
    tmp=$(mktemp -d)
    $py test/models/make_models.py "$tmp" --size "$bench_size" \
      --only resnet_style mobilenet_v2_style >/dev/null
    for f in "$tmp"/*.onnx; do
      n=$(basename "$f" .onnx)
      cp "$f" ".gpu/models/${n}_${bench_size}.onnx"
    done
    rm -rf "$tmp"
  fi
  for f in .gpu/models/*.onnx; do
    n=$(basename "$f" .onnx)
    echo "prepare: compiling $n for $target" >&2
    "$kiln" compile "$f" --target "$target" -q -o ".gpu/exe/$n"
  done
  # The driver paths: ops_mix for sm_80 only runs on a Hopper GPU through the PTX JIT
  # (a numerics check like the others); for sm_120 only it must refuse an older GPU.
  cp .gpu/models/ops_mix.onnx .gpu/models/ops_mix_sm80_only.onnx
  "$kiln" compile .gpu/models/ops_mix.onnx --target cuda:sm_80 -q -o .gpu/exe/ops_mix_sm80_only
  mkdir -p .gpu/extra
  "$kiln" compile .gpu/models/ops_mix.onnx --target cuda:sm_120 -q -o .gpu/extra/ops_mix_sm120_only
fi

if [ -n "$shared" ]; then
  shared_root="${KILN_SHARED:-../shared}"
  mkdir -p .gpu/shared
  cp "$shared_root/tools/fill_weights.py" .gpu/shared/
  cp test/gpu/weights_recipe.py .gpu/shared/
  for m in $shared; do
    filled="$(bash scripts/fill_shared_models.sh "$m")"
    d=.gpu/shared/$m
    mkdir -p "$d"
    echo "prepare: compiling shared $m for $target ${shared_shapes[$m]}" >&2
    # shellcheck disable=SC2086 # the shapes are separate words
    "$kiln" compile "$filled" --target "$target" ${shared_shapes[$m]} --weights=sidecar -q \
      -o "$d/$m"
    echo "${shared_shapes[$m]}" > "$d/input_shapes"
    (cd "$d" && sha256sum "$m.weights" > weights.sha256)
    $py test/gpu/weights_recipe.py split "$d/$m.weights" "$filled" "$d"
    rm "$d/$m.weights"
    cp "$shared_root/models/$m/model.onnx" "$d/model.onnx"
  done
fi

bytes=$(du -sb .gpu | cut -f1)
limit=$((60 * 1024 * 1024))
echo "prepare: .gpu holds $((bytes / 1024 / 1024)) MiB ($bytes bytes; carry limit 64 MiB)" >&2
if [ "$bytes" -gt "$limit" ]; then
  du -sb .gpu/* .gpu/shared/* 2>/dev/null | sort -rn | head -8 >&2
  echo "error: .gpu is over 60 MiB: prepare fewer models (--shared NAME,NAME, --no-generated)" >&2
  exit 1
fi
echo "prepare: done; now run test/gpu/run_on_device.sh on the GPU machine, carrying .gpu" >&2
