"""Metric tables for people: rich tables for the terminal, Markdown tables for reports (and,
in ``latex``, the same columns for papers)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.table import Table

from distill.core.metrics import MetricsSummary

# (summary key, column header, decimals); distances get fewer decimals than ratios.
SUMMARY_COLUMNS = (
    ("mIoU", "mIoU", 4),
    ("mDice", "mDice", 4),
    ("mASSD", "mASSD", 2),
    ("mHD95", "mHD95", 2),
    ("micro_IoU", "micro IoU", 4),
    ("micro_Dice", "micro Dice", 4),
    ("thresholded_jaccard", "ISIC thr. Jaccard", 4),
    ("pixel_accuracy", "pixel acc.", 4),
    ("sensitivity", "sensitivity", 4),
    ("specificity", "specificity", 4),
)
CLASS_COLUMNS = (
    ("iou", "IoU", 4),
    ("dice", "Dice", 4),
    ("assd", "ASSD", 2),
    ("hd95", "HD95", 2),
    ("micro_iou", "micro IoU", 4),
    ("micro_dice", "micro Dice", 4),
    ("sensitivity", "sensitivity", 4),
    ("specificity", "specificity", 4),
)
# Which per-class key sits under each summary column in the per-class rows.
SUMMARY_TO_CLASS = {
    "mIoU": "iou",
    "mDice": "dice",
    "mASSD": "assd",
    "mHD95": "hd95",
    "micro_IoU": "micro_iou",
    "micro_Dice": "micro_dice",
    "thresholded_jaccard": "tjaccard",
    "sensitivity": "sensitivity",
    "specificity": "specificity",
}


def fixed(value: float, decimals: int) -> str:
    """``value`` to ``decimals`` places, without the '-' of a negative that rounds to zero."""
    text = f"{value:.{decimals}f}"
    return text.lstrip("-") if float(text) == 0 else text


def format_value(row: Mapping[str, Any], key: str, decimals: int = 4) -> str:
    """``mean ± std`` when ``<key>_std`` is in the row, the bare value otherwise."""
    value = row.get(key)
    if value is None:
        return "-"
    if not is_number(value):
        return str(value)
    if isinstance(value, int) and f"{key}_std" not in row:
        return str(value)  # counts stay counts
    text = fixed(value, decimals)
    std = row.get(f"{key}_std")
    return f"{text} ± {std:.{decimals}f}" if isinstance(std, (int, float)) else text


def _as_parts(summary: MetricsSummary | Mapping[str, Any]) -> tuple[dict, list[dict], str]:
    if isinstance(summary, MetricsSummary):
        summary = summary.to_dict()
    scalars = dict(summary.get("summary", summary))
    unit = summary.get("distance_unit", "pixels")
    return scalars, list(summary.get("per_class", [])), unit


def metrics_table(summary: MetricsSummary | Mapping[str, Any], title: str = "Metrics") -> Table:
    """One row of means (± std over images) and, for several classes, one row per class.

    Accepts a :class:`MetricsSummary`, its ``to_dict()``, or a flat summary mapping.
    """
    scalars, per_class, unit = _as_parts(summary)
    columns = [c for c in SUMMARY_COLUMNS if c[0] in scalars]
    n = int(scalars.get("n_images", 0))
    caption = f"distances in {unit}; mean ± std over {n} images"
    if scalars.get("one_empty"):
        caption += f"; {int(scalars['one_empty'])} image/class pairs with exactly one empty mask"
    table = Table(title=title, caption=caption)
    table.add_column("", style="bold")
    for _, header, _ in columns:
        table.add_column(header, justify="right")
    table.add_row("mean", *(format_value(scalars, k, d) for k, _, d in columns))
    if len(per_class) > 1:
        for row in per_class:
            cells = []
            for key, _, decimals in columns:
                class_key = SUMMARY_TO_CLASS.get(key)
                cells.append(format_value(row, class_key, decimals) if class_key else "")
            table.add_row(str(row.get("class", "?")), *cells, style="dim")
    return table


ColumnSpec = tuple[str, str, int]  # (row key, header, decimals)


def column_specs(
    columns: Sequence[str | tuple[str, str] | tuple[str, str, int]],
) -> list[ColumnSpec]:
    """Columns given as keys, ``(key, header)`` or ``(key, header, decimals)``, spelled out."""
    specs = []
    for column in columns:
        if isinstance(column, str):
            specs.append((column, column, 4))
        else:
            key, header, *rest = column
            specs.append((key, header, rest[0] if rest else 4))
    return specs


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def markdown_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str | tuple[str, str] | tuple[str, str, int]],
) -> str:
    """A paste-ready Markdown table. ``columns`` are keys, ``(key, header)`` or
    ``(key, header, decimals)``; numbers with a ``<key>_std`` beside them show ``mean ± std``."""
    specs = column_specs(columns)

    def numeric(key: str) -> bool:  # numbers right-aligned, text (and the first column) left
        return not any(isinstance(row.get(key), str) for row in rows)

    lines = [
        "| " + " | ".join(header for _, header, _ in specs) + " |",
        "| "
        + " | ".join("---:" if i and numeric(key) else "---" for i, (key, _, _) in enumerate(specs))
        + " |",
    ]
    for row in rows:
        cells = [format_value(row, key, decimals).replace("|", "\\|") for key, _, decimals in specs]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
