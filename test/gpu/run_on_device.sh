#!/usr/bin/env bash
# run_on_device.sh — on the lent GPU machine: kiln's CUDA executables (built by prepare.sh
# on a build machine and carried in .gpu/) against onnxruntime CPU outputs, then timed
# against PyTorch eager and torch.compile(mode="reduce-overhead"). Also checks the
# executables' error path for a GPU arch they cannot serve, when the device is not one
# of the compiled archs. Full results go to $OUT/gpu_results.json (when $OUT is set);
# the table comes last.
#
#   run(command="bash test/gpu/run_on_device.sh", carry=[".gpu"], timeout_s=600)
#
# With .gpu/shared (prepare.sh --shared), each shared model's weights are first rebuilt in
# WORK/<name>/ (default ${TMPDIR:-/tmp}/kiln-gpu-work; kept while the machine stays warm, so
# a second call skips the fill): tools/fill_weights.py fills the weightless model.onnx,
# weights_recipe.py join rebuilds <name>.weights from it and the carried recipe (sha256
# checked, then checked again by sha256sum against what prepare.sh recorded), beside a copy
# of the executable. A model whose weights cannot be rebuilt is reported and skipped.
# Everything with torch.compile (tens of seconds per model and dtype) does not fit the
# 10-minute limit of one call: torch.compile stops being started after --budget-s (360 s),
# so a single call still ends with a table. For every column, split the run:
#   bash test/gpu/run_on_device.sh --no-shared
#   bash test/gpu/run_on_device.sh --no-generated --models resnet50,mobilenet_v2,vit_b_16
#   bash test/gpu/run_on_device.sh --no-generated --models bert_base,tinyllama_1b_2layer
# (each with carry=[".gpu"]; $OUT/gpu_results.json holds each call's rows).
#
# --dry-run does all of it except the GPU runs and torch: it fills, joins and verifies the
# weights, computes the onnxruntime references, and starts each shared executable once
# (`--bench 1`: the runtime checks its weights' size and hash before it looks for a GPU, so
# "no NVIDIA driver" is the expected stop). On a build machine, after prepare.sh --shared,
# this checks that the rebuilt weights are byte-identical to kiln's and accepted:
#   bash test/gpu/run_on_device.sh --dry-run
#
# Other arguments go to gpu_check.py (--models a,b, --no-generated, --no-shared, --runs N,
# --no-torch, --no-torch-compile, --budget-s S); --work DIR to both.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
dry_run=0
no_shared=0
models=""
work="${TMPDIR:-/tmp}/kiln-gpu-work"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry_run=1; args+=("$1"); shift ;;
    --models) models=$2; args+=("$1" "$2"); shift 2 ;;
    --no-shared) no_shared=1; args+=("$1"); shift ;;
    --work) work=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
if [ ! -d .gpu/exe ] && [ ! -d .gpu/shared ]; then
  echo "error: .gpu/exe and .gpu/shared missing: run test/gpu/prepare.sh on a build machine and carry .gpu" >&2
  exit 2
fi
# The build machine's venv when there is one (a dry run); the device's python3 otherwise.
py=python3
[ -x .venv/bin/python ] && py=.venv/bin/python
export PYTHONUNBUFFERED=1

if [ "$dry_run" = 0 ]; then
  nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv,noheader || true
  echo "target: $(cat .gpu/target 2>/dev/null)"
  if [ -x .gpu/exe/ops_mix ]; then
    ldd .gpu/exe/ops_mix 2>/dev/null | sed 's/^/ldd: /'
    # One executable alone first: a clear error here (driver, arch, memory) explains the rest.
    .gpu/exe/ops_mix --bench 3 || echo "ops_mix --bench failed (exit $?)"
  fi
  # Built for a newer arch than any lent GPU: expect one "cannot run this executable" line.
  if [ -x .gpu/extra/ops_mix_sm120_only ]; then
    .gpu/extra/ops_mix_sm120_only --bench 1 && echo "UNEXPECTED: sm_120-only executable ran"
  fi
fi

status=0
if [ -d .gpu/shared ] && [ "$no_shared" = 0 ]; then
  for sdir in .gpu/shared/*/; do
    m=$(basename "$sdir")
    [ -f "$sdir/recipe.json" ] || continue
    case ",${models:-$m}," in *",$m,"*) ;; *) continue ;; esac
    w="$work/$m"
    mkdir -p "$w"
    start=$(date +%s)
    if [ ! -f "$w/filled.onnx" ]; then
      if ! $py .gpu/shared/fill_weights.py "$sdir/model.onnx" "$w/filled.onnx.tmp" 2>"$w/fill.log"; then
        echo "shared $m: FAILED to fill the weights: $(tail -1 "$w/fill.log")"
        status=1
        continue
      fi
      mv "$w/filled.onnx.tmp" "$w/filled.onnx"
    fi
    cp "$sdir/$m" "$w/$m"
    sums="$PWD/${sdir%/}/weights.sha256"
    if $py .gpu/shared/weights_recipe.py join "$sdir" "$w/filled.onnx" "$w/$m.weights" \
         && (cd "$w" && sha256sum --quiet -c "$sums"); then
      echo "shared $m: weights rebuilt and byte-identical to kiln's ($(( $(date +%s) - start )) s)"
    else
      echo "shared $m: FAILED to rebuild the weights; skipping it"
      rm -f "$w/$m.weights"
      status=1
    fi
  done
fi

json=${OUT:+$OUT/gpu_results.json}
$py test/gpu/gpu_check.py .gpu --work "$work" ${json:+--json "$json"} "${args[@]}" || status=1
exit $status
