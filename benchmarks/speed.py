"""Speed: CPU latency per model, GPU bf16 throughput per model, and the training pipeline.

Run as ``python -m benchmarks.speed`` (``--models a,b`` to limit, ``--device cuda`` for the
GPU columns and the GPU pipeline). The pipeline part times one full distillation step
(teacher forward + student forward/backward + distiller + augmentation) three ways in one
process: the project's engine (decoded cache on the device, batched on-device augmentation,
``train_step``, bf16 and channels-last on a GPU), a conventional PyTorch loop (fp32,
DataLoader decoding JPEG/PNG files with PIL, torchvision transforms per sample), and the
ideal (the same step on one pre-made device batch). Warm-up steps are excluded; each figure
is the median over repeats. Writes benchmarks/results/speed/{speed.json,speed.md,speed.png}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import torch

from benchmarks.environment import environment, environment_line

OUT = Path(__file__).resolve().parent / "results" / "speed"
TARGETS = {"cuda": {"vs_conventional": 3.0, "of_ideal": 0.75}, "cpu": {"vs_conventional": 1.5}}


def gpu_training_throughput(
    model: torch.nn.Module, size: int, batch: int, repeats: int, warmup: int = 3
) -> float:
    """Images/s of forward + backward + AdamW step under bf16 autocast, channels-last."""
    import torch.nn.functional as F

    model = model.cuda().to(memory_format=torch.channels_last).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x = torch.randn(batch, 3, size, size, device="cuda").contiguous(
        memory_format=torch.channels_last
    )
    y = torch.randint(0, 2, (batch, size, size), device="cuda")
    times = []
    for i in range(warmup + repeats):
        torch.cuda.synchronize()
        start = time.perf_counter()
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = F.cross_entropy(model(x).logits.float(), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        torch.cuda.synchronize()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    model.cpu()
    return batch / statistics.median(times)


def model_speeds(args: argparse.Namespace) -> list[dict[str, Any]]:
    from benchmarks.size import all_models, build

    models = all_models()
    if args.models:
        wanted = args.models.split(",")
        missing = sorted(set(wanted) - {name for _, name in models})
        if missing:
            raise SystemExit(f"unknown model(s) {missing}; known: {[n for _, n in models]}")
        models = [m for m in models if m[1] in wanted]
    rows = []
    for kind, name in models:
        row: dict[str, Any] = {"kind": kind, "name": name}
        try:
            time_model(row, build(kind, name, args.size, 2).eval(), args)
        except Exception as err:  # one model out of GPU memory must not lose the others
            row["error"] = f"{type(err).__name__}: {err}".splitlines()[0]
            print(f"  {kind:7s} {name:14s} failed: {row['error']}", flush=True)
        else:
            print(f"  {kind:7s} {name:14s} " + _brief(row), flush=True)
        if args.device.startswith("cuda"):
            torch.cuda.empty_cache()
        rows.append(row)
    return rows


def time_model(row: dict[str, Any], model: torch.nn.Module, args: argparse.Namespace) -> None:
    """Fills ``row`` as it goes, so a late failure keeps what was measured before it."""
    from distill.core.profile import (
        count_macs,
        count_parameters,
        cpu_latency_ms,
        gpu_bf16_throughput,
    )

    size = (args.size, args.size)
    row["params_m"] = count_parameters(model) / 1e6
    row["gmacs"] = count_macs(model, size) / 1e9
    row["cpu_ms_per_image"] = cpu_latency_ms(model, size, args.repeats, 1)
    if args.device.startswith("cuda"):
        model.cuda()
        row["gpu_bf16_infer_img_per_s"] = gpu_bf16_throughput(model, size, args.batch_gpu, 10)
        row["gpu_bf16_train_img_per_s"] = gpu_training_throughput(
            model, args.size, args.batch_gpu, 10
        )


def _brief(row: dict[str, Any]) -> str:
    text = f"CPU {row['cpu_ms_per_image']:.1f} ms/img"
    if "gpu_bf16_infer_img_per_s" in row:
        text += (
            f", GPU bf16 infer {row['gpu_bf16_infer_img_per_s']:.0f} img/s, "
            f"train {row['gpu_bf16_train_img_per_s']:.0f} img/s"
        )
    return text


def pipeline_checks(pipe: dict[str, Any], device_type: str) -> list[dict[str, Any]]:
    target = TARGETS[device_type]
    checks = [
        {
            "check": f"engine >= {target['vs_conventional']:g}x conventional ({device_type})",
            "pass": pipe["engine_vs_conventional"] >= target["vs_conventional"],
            "detail": f"{pipe['engine_vs_conventional']:.2f}x",
        }
    ]
    if "of_ideal" in target:
        checks.append(
            {
                "check": f"engine >= {100 * target['of_ideal']:.0f}% of ideal ({device_type})",
                "pass": pipe["engine_of_ideal"] >= target["of_ideal"],
                "detail": f"{100 * pipe['engine_of_ideal']:.0f}%",
            }
        )
    return checks


def check_lines(checks: list[dict[str, Any]]) -> list[str]:
    return [f"{'PASS' if c['pass'] else 'FAIL'}: {c['check']} ({c['detail']})" for c in checks]


def markdown(result: dict[str, Any]) -> str:
    lines = ["# Speed", ""]
    if result["models"]:
        gpu = any("gpu_bf16_infer_img_per_s" in r for r in result["models"])
        lines += [
            f"## Per model at {result['size']}x{result['size']}",
            "",
            f"CPU: median latency of one image (batch 1, eval, no_grad, "
            f"{result['env']['torch_threads']} threads, {result['repeats']} runs)."
            + (
                f" GPU: bf16 autocast, batch {result['batch_gpu']}, inference (eval, "
                "inference_mode) and one training step (forward, backward, AdamW), median."
                if gpu
                else ""
            ),
            "",
            "| kind | name | params (M) | GMACs | CPU ms/img"
            + (" | GPU infer img/s | GPU train img/s |" if gpu else " |"),
            "|---|---|---:|---:|---:|" + ("---:|---:|" if gpu else ""),
        ]
        columns = [("params_m", ".2f"), ("gmacs", ".2f"), ("cpu_ms_per_image", ".1f")]
        if gpu:
            columns += [("gpu_bf16_infer_img_per_s", ".0f"), ("gpu_bf16_train_img_per_s", ".0f")]
        for r in result["models"]:
            cells = [format(r[k], f) if k in r else "-" for k, f in columns]
            lines.append(f"| {r['kind']} | {r['name']} | " + " | ".join(cells) + " |")
        failed = [f"- {r['name']} failed: {r['error']}" for r in result["models"] if "error" in r]
        lines += ["", *failed, ""] if failed else [""]
    pipe = result.get("pipeline")
    if pipe:
        lines += [
            "## Training pipeline",
            "",
            f"One distillation step: teacher {pipe['teacher']} (frozen) + student "
            f"{pipe['student']} (forward, backward, AdamW) + distiller {pipe['distiller']} + "
            f"augmentation; {pipe['dataset']} at {pipe['size']}x{pipe['size']}, batch "
            f"{pipe['batch']}, on {pipe['device']}. {pipe['warmup']} warm-up steps excluded; "
            f"images/s is the median of {pipe['repeats']} windows of {pipe['steps']} steps.",
            "",
            "| pipeline | images/s | all windows |",
            "|---|---:|---|",
        ]
        for key, label in PIPELINE_LABELS.items():
            if key not in pipe:
                continue
            runs = ", ".join(f"{v:.1f}" for v in pipe[f"{key}_all"])
            lines.append(f"| {label.format(**pipe)} | {pipe[key]:.1f} | {runs} |")
        lines += [
            "",
            f"Engine vs conventional: **{pipe['engine_vs_conventional']:.2f}x**; engine vs "
            f"ideal: **{100 * pipe['engine_of_ideal']:.0f}%**"
            + (
                f"; the engine at fp32: {pipe['engine_fp32_vs_conventional']:.2f}x conventional."
                if "engine_fp32" in pipe
                else "."
            ),
            "",
            *[f"- {line}" for line in check_lines(result["checks"])],
            "",
        ]
    lines += [f"Total time {result['seconds']:.0f} s.", "", environment_line(result["env"])]
    return "\n".join(lines) + "\n"


PIPELINE_LABELS = {
    "conventional": "conventional: fp32, DataLoader ({workers} workers) + PIL decode of "
    "{source} files + torchvision per sample",
    "engine": "engine: device cache + BatchAugment + train_step ({precision})",
    "ideal": "ideal: same step on one pre-made device batch ({precision})",
    "engine_fp32": "engine at fp32: the same data path and step without autocast",
}


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [p for p in ("models", "pipeline") if result.get(p)]
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4.5), squeeze=False)
    for ax, panel in zip(axes[0], panels, strict=True):
        if panel == "models":
            timed = [r for r in result["models"] if "cpu_ms_per_image" in r]
            rows = sorted(timed, key=lambda r: r["cpu_ms_per_image"])
            ax.barh([r["name"] for r in rows], [r["cpu_ms_per_image"] for r in rows])
            ax.set_xscale("log")
            ax.set_xlabel(f"CPU ms per image at {result['size']}x{result['size']} (log)")
            ax.set_title("Inference latency (lower is better)")
        else:
            pipe = result["pipeline"]
            keys = [k for k in PIPELINE_LABELS if k in pipe]
            colours = ["#999999", "#2a7fff", "#55aa55", "#8fb8ff"][: len(keys)]
            ax.barh(keys, [pipe[k] for k in keys], color=colours)
            ax.set_xlabel("images / s (higher is better)")
            ax.set_title(
                f"Distillation step on {pipe['device']}: {pipe['engine_vs_conventional']:.2f}x "
                f"conventional, {100 * pipe['engine_of_ideal']:.0f}% of ideal",
                fontsize=10,
            )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def engine_amp(precision: str, on_gpu: bool) -> str:
    """``runtime.amp`` for the engine's step (a --set runtime.amp=... given later wins)."""
    from distill.core.engine.runtime import cpu_computes_bf16

    if precision == "auto":
        return "bf16" if on_gpu or cpu_computes_bf16() else "off"
    return "bf16" if precision == "bf16" else "off"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.speed", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--models", help="comma-separated model names (default: all)")
    parser.add_argument("--size", type=int, default=256, help="per-model input size")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per model (median)")
    parser.add_argument("--batch-gpu", type=int, default=16, help="per-model GPU batch")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--skip-models", action="store_true", help="pipeline only")
    parser.add_argument("--skip-pipeline", action="store_true", help="per-model numbers only")
    parser.add_argument(
        "--precision",
        choices=["auto", "fp32", "bf16"],
        default="auto",
        help="the engine's: auto = bf16 autocast where the device computes bf16 natively (a "
        "GPU, or a CPU with AVX512-BF16 or AMX), else fp32; the conventional loop is fp32",
    )
    parser.add_argument("--teacher", default="swin")
    parser.add_argument("--student", default="mpdnet")
    parser.add_argument("--distiller", default="mpd")
    parser.add_argument("--dataset", default="synthetic-derm")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="pipeline config override, e.g. teacher.backbone=resnet18 (repeatable)",
    )
    parser.add_argument("--pipeline-size", type=int, help="default 256 on GPU, 128 on CPU")
    parser.add_argument(
        "--batch",
        type=int,
        help="pipeline batch (default 64 on a GPU, where batch 16 leaves the step bound by "
        "kernel launches, not data; 8 on a CPU)",
    )
    parser.add_argument("--steps", type=int, help="steps per timed window (default 20 GPU, 4 CPU)")
    parser.add_argument("--pipeline-repeats", type=int, default=5, help="timed windows (median)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    parser.add_argument("--workers", type=int, help="conventional DataLoader workers (CPU: 2)")
    parser.add_argument("--source-size", default="384,512", help="H,W of the image files")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    os.environ.setdefault("DISTILL_QUIET", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    on_gpu = args.device.startswith("cuda")
    if on_gpu and not torch.cuda.is_available():
        parser.error("--device cuda was asked for, but torch sees no CUDA device")
    start = time.perf_counter()
    result: dict[str, Any] = {"suite": "speed", "size": args.size, "repeats": args.repeats}
    result["batch_gpu"] = args.batch_gpu
    result["models"] = [] if args.skip_models else model_speeds(args)
    result["checks"] = []
    if not args.skip_pipeline:
        from benchmarks.speed_pipeline import PipelineSettings, measure_pipeline

        settings = PipelineSettings(
            teacher=args.teacher,
            student=args.student,
            distiller=args.distiller,
            dataset=args.dataset,
            device=args.device,
            size=args.pipeline_size or (256 if on_gpu else 128),
            batch=args.batch or (64 if on_gpu else 8),
            steps=args.steps or (20 if on_gpu else 4),
            repeats=args.pipeline_repeats,
            warmup=args.warmup,
            workers=args.workers
            if args.workers is not None
            else (min(8, os.cpu_count() or 2) if on_gpu else 2),
            source_size=tuple(int(v) for v in args.source_size.split(",")),
            overrides=(f"runtime.amp={engine_amp(args.precision, on_gpu)}", *args.overrides),
        )
        result["pipeline"] = measure_pipeline(settings)
        result["checks"] = pipeline_checks(result["pipeline"], "cuda" if on_gpu else "cpu")
    result["seconds"] = time.perf_counter() - start
    result["env"] = environment(
        args.device, argv=None if argv is None else ["python", "-m", "benchmarks.speed", *argv]
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "speed.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "speed.md").write_text(markdown(result))
    plot(result, args.out / "speed.png")
    if result.get("pipeline"):
        pipe = result["pipeline"]
        print(
            f"pipeline images/s: conventional {pipe['conventional']:.1f}, engine "
            f"{pipe['engine']:.1f}, ideal {pipe['ideal']:.1f}"
        )
    for line in check_lines(result["checks"]):
        print(line)
    print(f"wrote {args.out}/speed.{{json,md,png}} in {result['seconds']:.0f} s")
    return result


if __name__ == "__main__":
    main()
