"""Is the int8 model worth shipping? Its mDice and latency beside fp32, on the same images.

mDice is scored at the model's size against the split's masks, as the run's own test was,
with the project's metrics (no surface distances: they do not change the verdict and
dominate the time). "Loses more than 0.5 mDice" means 0.5 points on the 0-100 scale
(0.005 on the 0-1 scale every table prints).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from distill.deploy.latency import median_ms
from distill.deploy.ort import OrtBackend
from distill.deploy.preprocess import Preprocess
from distill.deploy.samples import Samples

MAX_LOSS = 0.005  # 0.5 mDice points
REPEATS = 10


def mdice(labels: np.ndarray, masks: np.ndarray, num_classes: int) -> float:
    from distill.core.metrics import SegmentationMetrics

    metrics = SegmentationMetrics(num_classes, surface=False)
    metrics.update(labels, masks)
    return float(metrics.aggregate().summary["mDice"])


def _labels(backend: OrtBackend, x: np.ndarray, batch: int = 8) -> np.ndarray:
    return np.concatenate([backend(x[i : i + batch]).argmax(1) for i in range(0, len(x), batch)])


def compare_int8(
    fp32: Path, int8: Path, pre: Preprocess, scored: Samples | None, threads: int
) -> dict[str, Any]:
    full, quant = OrtBackend(fp32, threads), OrtBackend(int8, threads)
    one = pre.batch(np.zeros((1, *pre.size, pre.in_channels), np.uint8))
    result: dict[str, Any] = {
        "file": int8.name,
        "fp32_ms": median_ms(lambda: full(one), REPEATS),
        "int8_ms": median_ms(lambda: quant(one), REPEATS),
        "latency": f"batch 1 at {pre.size[0]}x{pre.size[1]}, {threads} thread(s), median of "
        f"{REPEATS}",
    }
    result["speedup"] = result["fp32_ms"] / result["int8_ms"]
    result["slower"] = result["int8_ms"] >= result["fp32_ms"]
    if scored is None or not scored.real:
        result.update(
            scored_on=None, mDice_fp32=None, mDice_int8=None, mDice_change=None, loses_too_much=None
        )
    else:
        x = pre.batch(scored.images)
        classes = int(full(x[:1]).shape[1])
        a, b = _labels(full, x), _labels(quant, x)
        fp, q = mdice(a, scored.masks, classes), mdice(b, scored.masks, classes)
        result.update(
            scored_on=scored.source,
            mDice_fp32=fp,
            mDice_int8=q,
            mDice_change=q - fp,
            pixel_agreement=float((a == b).mean()),
            loses_too_much=(fp - q) > MAX_LOSS,
        )
    result["verdict"] = verdict(result)
    return result


def verdict(r: dict[str, Any]) -> str:
    """One plain sentence for the card and the export's output."""
    speed = (
        f"int8 is SLOWER than fp32 ({r['int8_ms']:.1f} vs {r['fp32_ms']:.1f} ms)"
        if r["slower"]
        else f"int8 is {r['speedup']:.2f}x faster ({r['int8_ms']:.1f} vs {r['fp32_ms']:.1f} ms)"
    )
    if r.get("mDice_change") is None:
        return f"{speed}; its accuracy was not measured (no labelled images here)"
    change = 100 * r["mDice_change"]
    loss = "; it LOSES MORE THAN 0.5 mDice points" if r["loses_too_much"] else ""
    return f"{speed}; mDice changes by {change:+.2f} points on {r['scored_on']}{loss}"
