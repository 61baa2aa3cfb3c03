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
# Extra arguments go to gpu_check.py (--runs N, --no-torch-compile).
set -uo pipefail
cd "$(dirname "$0")/../.."
if [ ! -d .gpu/exe ]; then
  echo "error: .gpu/exe missing: run test/gpu/prepare.sh on a build machine and carry .gpu" >&2
  exit 2
fi
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv,noheader || true
echo "target: $(cat .gpu/target 2>/dev/null)"
ldd .gpu/exe/ops_mix 2>/dev/null | sed 's/^/ldd: /'
# One executable alone first: a clear error here (driver, arch, memory) explains the rest.
.gpu/exe/ops_mix --bench 3 || echo "ops_mix --bench failed (exit $?)"
# Built for a newer arch than any lent GPU: expect one "cannot run this executable" line.
if [ -x .gpu/extra/ops_mix_sm120_only ]; then
  .gpu/extra/ops_mix_sm120_only --bench 1 && echo "UNEXPECTED: sm_120-only executable ran"
fi
json=${OUT:+$OUT/gpu_results.json}
python3 test/gpu/gpu_check.py .gpu ${json:+--json "$json"} "$@"
