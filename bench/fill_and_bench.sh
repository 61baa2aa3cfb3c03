#!/usr/bin/env bash
# fill_and_bench.sh — benchmarks kiln on real exporter outputs from ../shared/models.
#
# The graphs in ../shared/models come without weights; scripts/fill_shared_models.sh gives them
# deterministic random ones (once) into build/bench-models/, then bench.py compares kiln with onnxruntime
# (outputs checked first, then latency A/B interleaved).
# KILN_BENCH_MODELS picks the models (default: resnet50 mobilenet_v2; `all` = the five below).
# Extra arguments go to bench.py (e.g. --rounds 3). KILN_SHARED overrides ../shared.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
selected="${KILN_BENCH_MODELS:-resnet50 mobilenet_v2}"
[ "$selected" = all ] && selected="resnet50 mobilenet_v2 bert_base vit_b_16 tinyllama_1b_2layer"

# The shapes the issues ask for: batch 1; BERT at seq 128; TinyLlama at seq 64.
shapes=(--input-shape pixels=1x3x224x224
        --input-shape bert_base:input_ids=1x128 --input-shape bert_base:attention_mask=1x128
        --input-shape tinyllama_1b_2layer:input_ids=1x64)

paths="$(bash scripts/fill_shared_models.sh $selected)"
args=()
for path in $paths; do
  args+=(--model "$path")
done
exec .venv/bin/python bench/bench.py "${args[@]}" "${shapes[@]}" "$@"
