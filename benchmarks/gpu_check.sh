#!/usr/bin/env bash
# The GPU measurements of benchmarks/results/*/h100_* and h200_* as steps sized for a
# 10-minute lease of a GPU machine whose Python lacks pydantic and kornia (carried as wheels
# in .whl/) and that sees the real ISIC sample only when it is copied into .isic/data/;
# benchmarks/gpu_carry.sh prepares both, and the device call names them in its carry.
# Usage: [DEADLINE=EPOCH_SECONDS] bash benchmarks/gpu_check.sh OUT [STEP ...]   (default:
# every step; everything lands in OUT/gpu_results.tar.gz, packed again after each step; with
# DEADLINE, no step runs past it: each is cut short, or skipped under 30 s left)
# Steps:
#   mps: the later steps' processes share the GPU through NVIDIA's Multi-Process Service,
#        so the small kernels of parallel runs execute side by side instead of taking
#        turns; skipped where the daemon is missing or a client cannot start
#   tests: the CUDA-only tests
#   price (only when named): one seed of every method on every dataset, then what the
#        full grid of three seeds would take at the same number of runs at a time
#   accuracy: full mode, must end within 8 minutes (reuses price's runs)
#   sweep: dual's loss weights and strides on the real sample, reusing accuracy's teachers
#   speed, data: the two throughput suites
#   cnn-teacher (only when named): dual with Swin features and CNN logits on the real sample
set -u
out=${1:?output folder}
shift
steps=${*:-mps tests accuracy sweep speed data}
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
  if [ -n "${DEADLINE:-}" ]; then
    local left=$((DEADLINE - $(date +%s) - 5))
    if [ "$left" -lt 30 ]; then echo "=== $name skipped: ${left}s left"; return; fi
    [ "$left" -lt "$limit" ] && limit=$left
  fi
  echo "=== $name (limit ${limit}s) $(date +%T)"
  # to a file, not a pipe: a killed command's stray children must not keep the step waiting
  timeout -k 10 "$limit" "$@" >"$res/$name.log" 2>&1
  echo "=== $name exit $? $(date +%T)"
  tail -n 25 "$res/$name.log"
  pack
}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$res/gpu.txt"
# how busy the GPU was and how much of its memory was taken, every 2 s, for every step
nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv -l 2 \
  >"$res/gpu_samples.csv" 2>/dev/null &
sampler=$!
start_mps() {  # environment.py records the sharing mode from CUDA_MPS_PIPE_DIRECTORY
  if ! command -v nvidia-cuda-mps-control >/dev/null; then
    echo "mps: no daemon here" | tee -a "$res/gpu.txt"
    return
  fi
  export CUDA_MPS_PIPE_DIRECTORY=/tmp/mps-pipe CUDA_MPS_LOG_DIRECTORY=/tmp/mps-log
  mkdir -p "$CUDA_MPS_PIPE_DIRECTORY" "$CUDA_MPS_LOG_DIRECTORY"
  nvidia-cuda-mps-control -d
  if timeout -k 5 60 python3 -c "import torch; torch.ones(1, device='cuda').sum().item()"; then
    echo "mps: on" | tee -a "$res/gpu.txt"
    trap 'echo quit | nvidia-cuda-mps-control; kill $sampler' EXIT
  else
    echo quit | nvidia-cuda-mps-control
    unset CUDA_MPS_PIPE_DIRECTORY CUDA_MPS_LOG_DIRECTORY
    echo "mps: daemon started but a client could not; off" | tee -a "$res/gpu.txt"
  fi
}
trap 'kill $sampler' EXIT
accuracy=(python3 -m benchmarks.accuracy --device cuda --work /tmp/acc-runs)
for s in $steps; do
  case $s in
    mps) start_mps ;;
    tests) step tests 90 python3 -m pytest -q -p no:cacheprovider -o addopts="" \
      tests/engine/test_teacher_graphs.py tests/data/test_data_augment.py \
      tests/bench/test_accuracy_runner.py ;;
    # no new run after 7 minutes: what is cut shows in the table as a partial status
    # ACCURACY_MINUTES (default 7) shortens it to a throughput probe on a short lease;
    # ACCURACY_JOBS sets the runs at a time (the suite's default: 8); the runs going at the
    # cut-off may end up to 9 minutes in, so that a grid slightly too long is timed to its end;
    # the longest runs start first, priced from ACCURACY_PRICES (an earlier GPU grid)
    accuracy) step accuracy 540 "${accuracy[@]}" --time-limit "${ACCURACY_MINUTES:-7}" \
      ${ACCURACY_JOBS:+--jobs "$ACCURACY_JOBS"} --out "$res/accuracy" \
      --longest-first "${ACCURACY_PRICES:-benchmarks/results/accuracy/h200_mps_e8.json}" ;;
    # PRICE_MINUTES (default 5) caps the probe; the estimate works from an empty folder so
    # that it prices the whole grid, not only what the probe left
    price) step price 360 "${accuracy[@]}" --seeds 1 --time-limit "${PRICE_MINUTES:-5}" \
        ${ACCURACY_JOBS:+--jobs "$ACCURACY_JOBS"} --out "$res/price"
      step estimate 60 python3 -m benchmarks.accuracy --device cuda --work /tmp/acc-estimate \
        --estimate "$res/price/accuracy.json" ;;
    sweep) step sweep 150 "${accuracy[@]}" --datasets isic2017-cc0 \
      --methods mpdnet,mpdnet+dual --time-limit 1.5 --out "$res/dual_sweep" \
      --variant "coarse=mpdnet+dual distiller.dual.strides=[16,32]" \
      --variant "light=mpdnet+dual distiller.dual.weight_feature=0.2 distiller.dual.weight_context=0.2" \
      --variant "coarse-light=mpdnet+dual distiller.dual.strides=[16,32] distiller.dual.weight_feature=0.2 distiller.dual.weight_context=0.2" \
      --variant "logits-only=mpdnet+dual distiller.dual.weight_feature=0 distiller.dual.weight_context=0" ;;
    # dual with a CNN teacher for its logit path (DESIGN's reading), both teachers' mean
    # (multi-teacher KD) and a distillation warm-up, on the real sample;
    # not in the default steps: run it alone or after accuracy (its Swin teachers are reused)
    cnn-teacher) step cnn_teacher 300 "${accuracy[@]}" --datasets isic2017-cc0 \
      --teachers swin,cnn --methods mpdnet,mpdnet+dual,mpdnet+kd --time-limit 4 \
      --out "$res/cnn_teacher" \
      --variant "swinlogits=mpdnet+dual distiller.dual.logit_teacher_index=0" \
      --variant "cnnkd=mpdnet+kd distiller.kd.teacher=1" \
      --variant "ensemble=mpdnet+kd distiller.kd.ensemble=true" \
      --variant "ensemble=mpdnet+dual distiller.dual.logit_ensemble=true" \
      --variant "warmup=mpdnet+dual train.distill_warmup_epochs=2" ;;
    # every model's bf16 throughput, and the pipeline at its GPU default, batch 64 (about 100 s
    # with three models, 40 s without; a model that fails, out of memory say, is reported)
    speed) step speed 300 python3 -m benchmarks.speed --device cuda --repeats 3 --out "$res/speed"
      step speed_graphs 90 python3 -m benchmarks.speed --device cuda --skip-models \
        --set runtime.cuda_graphs=on --out "$res/speed_graphs" ;;
    data) step data 30 python3 -m benchmarks.data --out "$res/data" ;;
    *) echo "unknown step $s" ;;
  esac
done
exit 0
