#!/usr/bin/env bash
# The GPU measurements behind benchmarks/results/*/h100_* and h200_*, as named steps, on a
# machine with a CUDA GPU and this project installed (pip install -e ".[dev]").
# Usage: bash benchmarks/gpu_check.sh OUT [STEP ...]   (default: tests speed data)
# Each step writes OUT/STEP.log and its suite's files under OUT/STEP/.
# Steps:
#   tests: the CUDA-only tests (teacher CUDA graphs, GPU augmentation, the suite's GPU cap)
#   speed, data: the two throughput suites (speed twice: plain, then teachers from CUDA graphs)
#   accuracy: the full accuracy grid, ACCURACY_JOBS (default 8) runs at a time
#   sweep: dual's loss weights and strides on the real sample (teachers reused from accuracy)
#   cnn-teacher: dual with Swin features and CNN logits, the teachers' mean, and a warm-up
set -u
out=${1:?output folder}
shift
steps=${*:-tests speed data}
mkdir -p "$out"
export HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1 DISTILL_QUIET=1
step() {  # step NAME COMMAND...: logged; a failing step does not stop the next
  local name=$1
  shift
  echo "=== $name $(date +%T)"
  "$@" >"$out/$name.log" 2>&1
  echo "=== $name exit $? $(date +%T)"
  tail -n 25 "$out/$name.log"
}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$out/gpu.txt"
accuracy=(python -m benchmarks.accuracy --device cuda --work "$out/accuracy-runs"
  --jobs "${ACCURACY_JOBS:-8}")
for s in $steps; do
  case $s in
    tests) step tests python -m pytest -q -p no:cacheprovider -o addopts="" \
      tests/engine/test_teacher_graphs.py tests/core/test_augment.py \
      tests/bench/test_accuracy_runner.py ;;
    speed) step speed python -m benchmarks.speed --device cuda --repeats 3 --out "$out/speed"
      step speed_graphs python -m benchmarks.speed --device cuda --skip-models \
        --set runtime.cuda_graphs=on --out "$out/speed_graphs" ;;
    data) step data python -m benchmarks.data --out "$out/data" ;;
    accuracy) step accuracy "${accuracy[@]}" --out "$out/accuracy" ;;
    sweep) step sweep "${accuracy[@]}" --datasets isic2017-cc0 \
      --methods mpdnet,mpdnet+dual --out "$out/dual_sweep" \
      --variant "coarse=mpdnet+dual distiller.dual.strides=[16,32]" \
      --variant "light=mpdnet+dual distiller.dual.weight_feature=0.2 distiller.dual.weight_context=0.2" \
      --variant "coarse-light=mpdnet+dual distiller.dual.strides=[16,32] distiller.dual.weight_feature=0.2 distiller.dual.weight_context=0.2" \
      --variant "logits-only=mpdnet+dual distiller.dual.weight_feature=0 distiller.dual.weight_context=0" ;;
    cnn-teacher) step cnn_teacher "${accuracy[@]}" --datasets isic2017-cc0 \
      --teachers swin,cnn --methods mpdnet,mpdnet+dual,mpdnet+kd --out "$out/cnn_teacher" \
      --variant "swinlogits=mpdnet+dual distiller.dual.logit_teacher_index=0" \
      --variant "cnnkd=mpdnet+kd distiller.kd.teacher=1" \
      --variant "ensemble=mpdnet+kd distiller.kd.ensemble=true" \
      --variant "ensemble=mpdnet+dual distiller.dual.logit_ensemble=true" \
      --variant "warmup=mpdnet+dual train.distill_warmup_epochs=2" ;;
    *) echo "unknown step $s" ;;
  esac
done
exit 0
