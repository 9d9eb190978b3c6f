"""Deployment latency: PyTorch eager fp32 vs onnxruntime fp32 and int8, batch 1, on this CPU.

    python -m benchmarks.deploy [--repeats 20] [--size 256] [--threads 1 2]

For mpdnet, unet (base width 32), the swin teacher and one hybrid baseline (transfuse), at
2 classes: the median of ``--repeats`` timed calls after 3 warm-up calls (the one rule of
:func:`distill.deploy.latency.median_ms`), with 1 and with 2 threads. int8 is onnxruntime
static quantization (as ``distill export --quantize int8``) calibrated on 8 real ISIC
images. Models are randomly initialised: latency does not depend on the weights, and the
accuracy cost of int8 needs a trained model (``distill export --quantize int8`` reports
it per run), so this suite does not measure accuracy. Results go to
benchmarks/results/deploy/ as JSON and Markdown, with the machine and versions.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.environment import environment, environment_line
from distill.core.plugins import registry
from distill.deploy.latency import median_ms
from distill.deploy.onnx_export import export_onnx, fixed_size
from distill.deploy.ort import OrtBackend
from distill.deploy.preprocess import Preprocess
from distill.deploy.quantize import quantize_int8
from distill.deploy.torch_backend import TorchBackend

MODELS = [
    ("student", "mpdnet", {}),
    ("student", "unet", {"base_width": 32}),
    ("teacher", "swin", {}),
    ("student", "transfuse", {}),
]
OUT = Path("benchmarks/results/deploy")


def calibration(pre: Preprocess, count: int = 8) -> np.ndarray:
    from distill.plugins.datasets.isic2017 import default_shared_root

    root = default_shared_root()  # the CC0 sample beside the repository, when present
    files = sorted((root / "ISIC-2017_Training_Data").glob("*.jpg"))[:count] if root else []
    if files:
        return pre.batch(np.stack([pre.decode(f).pixels for f in files]))
    rng = np.random.default_rng(0)
    return pre.batch(rng.integers(0, 256, (count, *pre.size, 3), dtype=np.uint8))


def time_model(kind: str, name: str, params: dict, args, tmp: Path) -> list[dict[str, Any]]:
    size = (args.size, args.size)
    torch.manual_seed(0)
    model = registry().get(kind, name).build_model({"num_classes": 2, **params}, size).eval()
    pre = Preprocess(size, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    fp32, int8 = tmp / f"{name}.onnx", tmp / f"{name}.int8.onnx"
    export_onnx(
        model,
        fp32,
        size=size,
        in_channels=3,
        label=f"{kind} {name}",
        dynamic_size=not fixed_size(model),
    )
    quantize_int8(fp32, int8, calibration(pre))
    x = pre.batch(np.zeros((1, *size, 3), np.uint8))
    rows = []
    for threads in args.threads:
        torch.set_num_threads(threads)
        eager, full, quant = (
            TorchBackend(model, "cpu"),
            OrtBackend(fp32, threads),
            OrtBackend(int8, threads),
        )
        row = {
            "model": name,
            "kind": kind,
            "params": params,
            "threads": threads,
            "params_m": sum(p.numel() for p in model.parameters()) / 1e6,
        }
        for key, call in (("torch_ms", eager), ("ort_fp32_ms", full), ("ort_int8_ms", quant)):
            row[key] = median_ms(lambda call=call: call(x), args.repeats)
        print(row, flush=True)
        rows.append(row)
    return rows


def targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The three ratio targets, per thread count, as met or missed."""
    found = []
    for threads in sorted({r["threads"] for r in rows}):
        by = {r["model"]: r for r in rows if r["threads"] == threads}
        mpd, swin = by["mpdnet"], by["swin"]
        checks = [
            (
                "mpdnet onnxruntime vs swin teacher PyTorch",
                swin["torch_ms"] / mpd["ort_fp32_ms"],
                20,
            ),
            ("mpdnet onnxruntime vs mpdnet PyTorch eager", mpd["torch_ms"] / mpd["ort_fp32_ms"], 2),
            ("mpdnet int8 vs fp32 onnxruntime", mpd["ort_fp32_ms"] / mpd["ort_int8_ms"], 1),
        ]
        for what, ratio, need in checks:
            found.append(
                {
                    "threads": threads,
                    "check": what,
                    "ratio": ratio,
                    "target": need,
                    "met": ratio > need if need == 1 else ratio >= need,
                }
            )
    return found


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Deployment latency (CPU, batch 1)",
        "",
        environment_line(result["environment"]),
        "",
        result["note"],
        "",
        "| model | params (M) | threads | PyTorch eager fp32 (ms) | onnxruntime fp32 (ms) "
        "| onnxruntime int8 (ms) |",
        "|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['model']} | {r['params_m']:.2f} | {r['threads']} | {r['torch_ms']:.1f} "
            f"| {r['ort_fp32_ms']:.1f} | {r['ort_int8_ms']:.1f} |"
        )
    lines += ["", "| threads | target | ratio | needed | met |", "|---|---|---|---|---|"]
    for t in result["targets"]:
        need = ">1" if t["target"] == 1 else f">={t['target']}"
        lines.append(
            f"| {t['threads']} | {t['check']} | {t['ratio']:.2f}x | {need} | "
            f"{'yes' if t['met'] else 'NO'} |"
        )
    lines += [
        "",
        "int8 accuracy: not measured here (random weights); `distill export --quantize "
        "int8` reports the mDice change of a trained run.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, name, params in MODELS:
            rows += time_model(kind, name, params, args, Path(tmp))
    result = {
        "environment": environment("cpu", argv),
        "rows": rows,
        "targets": targets(rows),
        "repeats": args.repeats,
        "size": args.size,
        "note": f"Median of {args.repeats} timed runs after 3 warm-up runs, "
        f"{args.size}x{args.size}. Measured on a CPU shared with other engineers' jobs "
        "(2 cores): absolute times are noisy, ratios within this run less so.",
    }
    from distill.deploy.provenance import versions

    result["environment"].update({k: versions()[k] for k in ("onnx", "onnxruntime")})
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "deploy.json").write_text(json.dumps(result, indent=2))
    (args.out / "deploy.md").write_text(markdown(result))
    print(markdown(result))
    return result


if __name__ == "__main__":
    main()
