# shellcheck shell=bash
# shared_shapes.sh — sourced: the five models of ../shared/models in the order the issues list
# them, and the `--input-shape` bindings each is compiled with (the shapes the issues ask for:
# batch 1; BERT at seq 128; TinyLlama at seq 64). One definition for fill_shared_models.sh,
# check_shared_cuda.sh and test/gpu/prepare.sh.
# shellcheck disable=SC2034 # used by the scripts that source this
shared_models_all="resnet50 mobilenet_v2 bert_base vit_b_16 tinyllama_1b_2layer"
declare -A shared_shapes=(
  [resnet50]="--input-shape pixels=1x3x224x224"
  [mobilenet_v2]="--input-shape pixels=1x3x224x224"
  [vit_b_16]=""
  [bert_base]="--input-shape input_ids=1x128 --input-shape attention_mask=1x128"
  [tinyllama_1b_2layer]="--input-shape input_ids=1x64"
)
