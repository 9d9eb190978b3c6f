"""Training curves from a run's per-epoch JSON-lines rows (losses and validation metrics).

One row of panels per training stage (each teacher, then the student), so stages that share
epoch numbers are never drawn as one line. Only per-epoch means are drawn: standard
deviations and case counts stay in the tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: runs happen on headless servers
import matplotlib.pyplot as plt  # noqa: E402

SCORES = ("val/mDice", "val/mIoU", "val/micro_Dice", "val/thresholded_jaccard")
DISTANCES = ("val/mASSD", "val/mHD95")


def _series(rows: Sequence[Mapping[str, Any]], key: str) -> tuple[list[float], list[float]]:
    xs, ys = [], []
    for i, row in enumerate(rows):
        value = row.get(key)
        if isinstance(value, (int, float)):
            xs.append(float(row.get("epoch", i + 1)))
            ys.append(float(value))
    return xs, ys


def curve_keys(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Keys to plot, grouped by panel: losses (``loss/...``), val scores, val distances."""
    keys: list[str] = []
    for row in rows:
        keys += [k for k in row if k not in keys]
    return {
        "losses": [k for k in keys if k.startswith("loss/")],
        "validation scores": [k for k in SCORES if k in keys],
        "validation distances (px)": [k for k in DISTANCES if k in keys],
    }


def plot_curves(metrics_jsonl_rows: list[dict], out_png: str | Path) -> Path:
    """One PNG: a row of panels per stage; x is ``epoch`` (row index if absent)."""
    stages: dict[str, list[dict]] = {}
    for row in metrics_jsonl_rows:
        stages.setdefault(str(row.get("stage", "training")), []).append(row)
    layout = {
        stage: {name: keys for name, keys in curve_keys(rows).items() if keys}
        for stage, rows in stages.items()
    }
    if not any(layout.values()):
        raise ValueError("no 'loss/...' or 'val/...' values in the metrics rows to plot")
    columns = max(len(groups) for groups in layout.values())
    fig, axes = plt.subplots(
        len(layout), columns, figsize=(5.0 * columns, 3.6 * len(layout)), squeeze=False
    )
    for r, (stage, groups) in enumerate(layout.items()):
        for c in range(columns):
            ax = axes[r][c]
            if c >= len(groups):
                ax.axis("off")
                continue
            name, keys = list(groups.items())[c]
            for key in keys:
                xs, ys = _series(stages[stage], key)
                ax.plot(
                    xs,
                    ys,
                    marker="o" if len(xs) < 30 else None,
                    markersize=3,
                    label=key.split("/", 1)[1],
                )
            ax.set_title(f"{stage}: {name}")
            ax.set_xlabel("epoch")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
    fig.tight_layout()
    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
