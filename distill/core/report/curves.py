"""Training curves from a run's per-epoch JSON-lines rows (losses and validation metrics)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: runs happen on headless servers
import matplotlib.pyplot as plt  # noqa: E402

# Validation metrics measured in pixels/mm go on their own axis, away from [0, 1] scores.
DISTANCE_MARKERS = ("assd", "hd95", "hd")


def _is_distance(key: str) -> bool:
    name = key.split("/", 1)[-1].lower()
    return any(name.endswith(marker) for marker in DISTANCE_MARKERS)


def _series(rows: Sequence[Mapping[str, Any]], key: str) -> tuple[list[float], list[float]]:
    xs, ys = [], []
    for i, row in enumerate(rows):
        value = row.get(key)
        if isinstance(value, (int, float)):
            xs.append(float(row.get("epoch", i)))
            ys.append(float(value))
    return xs, ys


def curve_keys(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Keys to plot, grouped by panel: losses (``loss/...``), val scores, val distances."""
    keys: list[str] = []
    for row in rows:
        keys += [k for k in row if k not in keys]
    losses = [k for k in keys if k.startswith("loss/")]
    val = [k for k in keys if k.startswith("val/")]
    return {
        "losses": losses,
        "validation scores": [k for k in val if not _is_distance(k)],
        "validation distances": [k for k in val if _is_distance(k)],
    }


def plot_curves(metrics_jsonl_rows: list[dict], out_png: str | Path) -> Path:
    """One PNG, one panel per group that has data; x is ``epoch`` (row index if absent)."""
    groups = {name: keys for name, keys in curve_keys(metrics_jsonl_rows).items() if keys}
    if not groups:
        raise ValueError("no 'loss/...' or 'val/...' values in the metrics rows to plot")
    fig, axes = plt.subplots(1, len(groups), figsize=(5.0 * len(groups), 3.8), squeeze=False)
    for ax, (name, keys) in zip(axes[0], groups.items(), strict=True):
        for key in keys:
            xs, ys = _series(metrics_jsonl_rows, key)
            ax.plot(xs, ys, marker="o" if len(xs) < 30 else None, markersize=3, label=key)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
