"""``distill score``: score any model's mask PNGs against ground-truth PNGs.

Works without a model or a run folder, so baselines from other code bases are scored with
exactly the metrics (and empty-mask policy) our own runs report.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from distill.cli.app import app, console, err_console
from distill.core.errors import ConfigError, DataError

if TYPE_CHECKING:
    from distill.core.metrics import MetricsSummary

MASK_SUFFIXES = (".png", ".bmp", ".tif", ".tiff", ".gif")
ISIC_ID = re.compile(r"ISIC_\d{7}")
STEM_SUFFIX = re.compile(
    r"(_|-)(segmentation|seg|pred|prediction|mask|gt|label|labels|truth)$", re.IGNORECASE
)


def match_key(path: Path) -> str:
    """``ISIC_nnnnnnn`` when the name holds one, else the stem without ``_pred``-like suffixes."""
    found = ISIC_ID.search(path.stem)
    if found:
        return found.group(0)
    stem = path.stem
    while STEM_SUFFIX.search(stem):
        stem = STEM_SUFFIX.sub("", stem)
    return stem


def index_masks(folder: Path, role: str) -> dict[str, Path]:
    """Mask files of a folder by match key; two files with one key is an error naming both."""
    if not folder.is_dir():
        raise ConfigError(f"--{role} '{folder}' is not a directory")
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in MASK_SUFFIXES or not path.is_file():
            continue
        key = match_key(path)
        if key in found:
            raise DataError(f"{found[key].name} and {path.name} in {folder} both match '{key}'")
        found[key] = path
    if not found:
        raise DataError(f"no mask images ({', '.join(MASK_SUFFIXES)}) in {folder}")
    return found


def read_labels(
    path: Path, num_classes: int, binarise: bool = False, ignore_index: int | None = None
) -> np.ndarray:
    """A mask file as class ids by the rules every dataset uses (``labels.to_labels``):
    clean binary (0/1, 0/255, 0/65535) or label values 0..C-1; anything else is an error
    naming the file, unless ``binarise`` (soft or anti-aliased masks) is asked for."""
    from distill.plugins.datasets.imageio import read_mask
    from distill.plugins.datasets.labels import to_labels

    return to_labels(read_mask(path), path, num_classes, ignore_index, binarise).astype(np.int64)


def parse_spacing(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError as exc:
        raise ConfigError(f"--spacing '{text}': expected MM or ROW_MM,COL_MM") from exc
    if len(values) not in (1, 2) or min(values) <= 0:
        raise ConfigError(f"--spacing '{text}': expected one or two positive numbers")
    return (values[0], values[-1])


def write_outputs(summary: MetricsSummary, out: Path) -> list[Path]:
    """scores.json (everything), per_image.csv and summary.csv."""
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "scores.json"
    json_path.write_text(json.dumps(summary.to_dict(), indent=2))
    per_image = out / "per_image.csv"
    with per_image.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(summary.per_image[0]))
        writer.writeheader()
        writer.writerows(summary.per_image)
    summary_csv = out / "summary.csv"
    with summary_csv.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["metric", "value"])
        writer.writerows(summary.summary.items())
    return [json_path, per_image, summary_csv]


def score_folders(
    pred_dir: Path,
    gt_dir: Path,
    num_classes: int = 2,
    spacing: tuple[float, float] | None = None,
    binarise: bool = False,
    ignore_index: int | None = None,
) -> MetricsSummary:
    """Match, check and score; raises ``typer.Exit(2)`` after listing every bad pair."""
    preds, gts = index_masks(pred_dir, "pred"), index_masks(gt_dir, "gt")
    missing = sorted(set(gts) - set(preds))
    extra = sorted(set(preds) - set(gts))
    if extra:
        err_console.print(
            f"[yellow]warning:[/] {len(extra)} prediction(s) without ground truth, ignored: "
            + ", ".join(preds[k].name for k in extra),
            highlight=False,
        )
    from distill.core.metrics import IGNORE_INDEX, SegmentationMetrics

    metrics = SegmentationMetrics(num_classes, spacing=spacing, ignore_index=IGNORE_INDEX)
    mismatched: list[str] = []
    keys = [k for k in sorted(gts) if k in preds]
    columns = (TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        for key in progress.track(keys):
            pred = read_labels(preds[key], num_classes, binarise)
            gt = read_labels(gts[key], num_classes, binarise, ignore_index)
            if pred.shape != gt.shape:
                mismatched.append(
                    f"{preds[key].name} is {pred.shape[1]}x{pred.shape[0]} but "
                    f"{gts[key].name} is {gt.shape[1]}x{gt.shape[0]} (WxH)"
                )
                continue
            metrics.update(pred, gt, ids=[key])
    problems = [f"missing prediction for {gts[k].name}" for k in missing] + mismatched
    if problems:
        err_console.print(
            f"[bold red]error:[/] {len(missing)} missing prediction(s) and {len(mismatched)} "
            "size mismatch(es); nothing scored",
            highlight=False,
        )
        for line in problems:
            err_console.print(f"  {line}", highlight=False)
        raise typer.Exit(2)
    return metrics.aggregate()


@app.command("score")
def score_command(
    pred: Path = typer.Option(..., "--pred", help="folder of predicted mask PNGs"),
    gt: Path = typer.Option(..., "--gt", help="folder of ground-truth mask PNGs"),
    classes: int = typer.Option(2, "--classes", min=2, help="classes, background included"),
    out: Path = typer.Option(
        Path("scores"), "--out", help="folder for scores.json, per_image.csv, summary.csv"
    ),
    spacing: str | None = typer.Option(
        None,
        "--spacing",
        help="pixel size in mm ('0.5' or 'ROW,COL'); distances in pixels if unset",
    ),
    binarise: bool = typer.Option(
        False, "--binarise", help="soft or anti-aliased binary masks: foreground = value > half"
    ),
    ignore_index: int | None = typer.Option(
        None, "--ignore-index", help="ground-truth value of pixels that count for nothing"
    ),
) -> None:
    """Score prediction masks against ground truth (files matched by ISIC id or file stem)."""
    summary = score_folders(pred, gt, classes, parse_spacing(spacing), binarise, ignore_index)
    from distill.core.report.tables import metrics_table

    console.print(metrics_table(summary, title=f"{pred.name} vs {gt.name}"))
    for path in write_outputs(summary, out):
        console.print(f"wrote {path}", highlight=False, soft_wrap=True)
