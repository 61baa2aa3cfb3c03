#!/usr/bin/env bash
# prepare.sh — on a build machine (no GPU needed): build kiln, generate the e2e models and
# compile each for the GPU into .gpu/ (in .gitignore), for run_on_device.sh to carry.
#
# The GPU machine has no LLVM/MLIR 22 to build kiln with, so the compiler runs here and
# only the executables (which need nothing but libc and, at run time, the NVIDIA driver)
# travel. Then, from a session with a device:
#   run(command="bash test/gpu/run_on_device.sh", carry=[".gpu"], timeout_s=600)
#
# usage: test/gpu/prepare.sh [--size 64] [--target cuda:sm_80,sm_90] [--bench-size 224]
#   --bench-size N also compiles the models at NxN images as <name>_N (0: skip).
set -euo pipefail
cd "$(dirname "$0")/../.."
size=64
bench_size=224
target=cuda:sm_80,sm_90
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size=$2; shift 2 ;;
    --bench-size) bench_size=$2; shift 2 ;;
    --target) target=$2; shift 2 ;;
    *) echo "error: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
scripts/build.sh kiln >/dev/null
py=.venv/bin/python
rm -rf .gpu && mkdir -p .gpu/models .gpu/exe
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
  build/bin/kiln compile "$f" --target "$target" -q -o ".gpu/exe/$n"
done
# The driver paths: ops_mix for sm_80 only runs on a Hopper GPU through the PTX JIT
# (a numerics check like the others); for sm_120 only it must refuse an older GPU.
cp .gpu/models/ops_mix.onnx .gpu/models/ops_mix_sm80_only.onnx
build/bin/kiln compile .gpu/models/ops_mix.onnx --target cuda:sm_80 -q -o .gpu/exe/ops_mix_sm80_only
mkdir -p .gpu/extra
build/bin/kiln compile .gpu/models/ops_mix.onnx --target cuda:sm_120 -q -o .gpu/extra/ops_mix_sm120_only
echo "$target" > .gpu/target
du -sh .gpu >&2
echo "prepare: done; now run test/gpu/run_on_device.sh on the GPU machine, carrying .gpu" >&2
