#!/usr/bin/env bash
# The GPU measurements of benchmarks/results/*/h200_* in one short script, for a lent GPU
# machine whose Python lacks pydantic and kornia (carried as wheels in .whl/) and that sees
# the real ISIC sample only when it is copied into .isic/data/. Usage: bash benchmarks/gpu_check.sh OUT
set -u
out=${1:?output folder}
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1 DISTILL_QUIET=1
export DISTILL_SHARED_DATA=$PWD/.isic/data DISTILL_CACHE=/tmp/distill-cache
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
timeout 75 python3 -m benchmarks.speed --device cuda --models mpdnet,swin,unet --repeats 3 \
  --out "$out/speed"
timeout 135 python3 -m benchmarks.accuracy --device cuda --datasets isic2017-cc0 \
  --methods mpdnet,mpdnet+dual,unet-32 --seeds 1 --epochs 12 --teacher-epochs 15 --jobs 3 \
  --out "$out/accuracy" --work /tmp/acc-runs
exit 0
