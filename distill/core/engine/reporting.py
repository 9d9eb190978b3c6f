"""The end of a run: test metrics as JSON, curves, overlays of best and worst cases, report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from distill.core.config import RunConfig, to_yaml
from distill.core.engine.batches import DeviceSplit
from distill.core.engine.evaluate import Evaluation
from distill.core.engine.loop import read_jsonl
from distill.core.interfaces import Dataset
from distill.core.report.curves import plot_curves
from distill.core.report.overlays import overlay_grid
from distill.core.report.report import write_report


def write_run_report(
    run_dir: Path,
    cfg: RunConfig,
    dataset: Dataset,
    test_split: DeviceSplit,
    test: Evaluation,
    teacher_tests: list[dict[str, Any]],
    best_epoch: int,
) -> None:
    payload = test.scores.to_dict()
    payload["teachers"] = teacher_tests
    payload["best_epoch"] = best_epoch
    (run_dir / "test_metrics.json").write_text(json.dumps(payload, indent=2))

    rows = read_jsonl(run_dir / "metrics.jsonl")
    curves = run_dir / "curves.png"
    plot_curves(rows, curves)

    overlays = None
    if cfg.eval.overlays:
        dice = [row["mDice"] for row in payload["per_image"]]
        overlays = overlay_grid(
            test_split.images.permute(0, 2, 3, 1).cpu().numpy(),
            test_split.masks.cpu().numpy(),
            test.preds,
            dice,
            list(test_split.ids),
            run_dir / "overlays" / "test_best_worst.png",
            dataset.num_classes,
            per_row=max(1, cfg.eval.overlays // 2),
        )
    teachers = "; ".join(
        f"{t['name']}: test mDice {t['mDice']:.4f}, mIoU {t['mIoU']:.4f}" for t in teacher_tests
    )
    extra = {
        "dataset": cfg.data.dataset.name,
        "best epoch (val mDice)": best_epoch,
        "teachers": teachers or "none (no distillation)",
    }
    write_report(
        run_dir, to_yaml(cfg), payload["summary"], payload["per_class"], curves, overlays, extra
    )
