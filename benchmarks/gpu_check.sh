#!/usr/bin/env bash
# The GPU measurements of benchmarks/results/*/h200_* in one script sized for a 10-minute
# lease of a GPU machine whose Python lacks pydantic and kornia (carried as wheels in .whl/)
# and that sees the real ISIC sample only when it is copied into .isic/data/.
# Usage: bash benchmarks/gpu_check.sh OUT   (everything lands in OUT/gpu_results.tar.gz)
set -u
out=${1:?output folder}
res=/tmp/gpu-results
mkdir -p "$res"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1 DISTILL_QUIET=1
export DISTILL_SHARED_DATA=$PWD/.isic/data DISTILL_CACHE=/tmp/distill-cache
pack() { tar -czf "$out/gpu_results.tar.gz" -C "$res" . ; }
step() {  # step NAME SECONDS COMMAND...: time-boxed, logged, results packed after each
  local name=$1 limit=$2
  shift 2
  echo "=== $name (limit ${limit}s) $(date +%T)"
  # to a file, not a pipe: a killed command's stray children must not keep the step waiting
  timeout -k 10 "$limit" "$@" >"$res/$name.log" 2>&1
  echo "=== $name exit $? $(date +%T)"
  tail -n 25 "$res/$name.log"
  pack
}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$res/gpu.txt"
step tests 75 python3 -m pytest -q -p no:cacheprovider -o addopts="" \
  tests/engine/test_teacher_graphs.py tests/data/test_data_augment.py
step speed 80 python3 -m benchmarks.speed --device cuda --models mpdnet,swin,unet \
  --repeats 3 --out "$res/speed"
step speed_graphs 45 python3 -m benchmarks.speed --device cuda --skip-models \
  --set runtime.cuda_graphs=on --out "$res/speed_graphs"
step speed_graphs_b64 50 python3 -m benchmarks.speed --device cuda --skip-models \
  --batch 64 --set runtime.cuda_graphs=on --out "$res/speed_graphs_b64"
step data 30 python3 -m benchmarks.data --out "$res/data"
step accuracy 270 python3 -m benchmarks.accuracy --device cuda --time-limit 3.25 \
  --out "$res/accuracy" --work /tmp/acc-runs
exit 0
