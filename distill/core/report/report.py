"""``report.md``: one readable page per run tying metrics, curves, overlays and config together.

The page states how every number was computed (metric definitions, averaging order and the
empty-mask policy with its counts), so a table copied into a paper carries its meaning along.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from distill.core.metrics import EMPTY_MASK_POLICY, METRIC_DEFINITIONS, MetricsSummary
from distill.core.report.tables import CLASS_COLUMNS, SUMMARY_COLUMNS, markdown_table


def _image_link(path: str | Path | None, run_dir: Path, alt: str) -> str:
    if path is None or not Path(path).exists():
        return f"_({alt}: not produced)_"
    target = Path(path).resolve()
    relative = os.path.relpath(target, run_dir.resolve())
    return f"![{alt}]({Path(relative).as_posix()})"


def _summary_mapping(test_summary: MetricsSummary | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(test_summary, MetricsSummary):
        return {**test_summary.summary, "distance_unit": test_summary.to_dict()["distance_unit"]}
    return dict(test_summary.get("summary", test_summary))


def _extra_section(extra: Mapping[str, Any]) -> list[str]:
    if not extra:
        return []
    rows = [
        {"item": str(k), "value": v if not isinstance(v, float) else f"{v:.6g}"}
        for k, v in extra.items()
    ]
    return ["## Run details", "", markdown_table(rows, [("item", "item"), ("value", "value")])]


def _config_text(config_yaml: str | Path | None) -> str:
    if config_yaml is None:
        return ""
    if isinstance(config_yaml, Path) or (
        "\n" not in str(config_yaml) and str(config_yaml).endswith((".yaml", ".yml"))
    ):
        path = Path(config_yaml)
        if path.is_file():
            return path.read_text()
    return str(config_yaml)


def write_report(
    out: str | Path,
    config_yaml: str | Path | None,
    test_summary: MetricsSummary | Mapping[str, Any],
    per_class: Sequence[Mapping[str, Any]],
    curves_png: str | Path | None,
    overlays_png: str | Path | None,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write the report to ``out`` (a run's ``report.md``) and return its path; images are
    linked relative to its folder.

    ``config_yaml`` is the resolved config as YAML text (or a path to it); ``test_summary`` a
    :class:`MetricsSummary` or its ``summary`` mapping; ``extra`` any further facts to list
    (parameters, GMACs, teacher checkpoint, timings...).
    """
    out = Path(out)
    run_dir = out.parent
    run_dir.mkdir(parents=True, exist_ok=True)
    summary = _summary_mapping(test_summary)
    unit = summary.get("distance_unit", "pixels")
    n_images = int(summary.get("n_images", 0))
    summary_columns = [(k, h, d) for k, h, d in SUMMARY_COLUMNS if k in summary]
    class_columns = [("class", "class")] + [
        (k, h, d) for k, h, d in CLASS_COLUMNS if any(k in row for row in per_class)
    ]
    lines = [
        f"# Run report: {run_dir.name}",
        "",
        f"Test set: {n_images} images. Values are mean ± standard deviation over images; "
        f"distances (ASSD, HD95) are in {unit}.",
        "",
        "## Test metrics",
        "",
        markdown_table([summary], summary_columns),
    ]
    if per_class:
        lines += ["## Per-class metrics", "", markdown_table(per_class, class_columns)]
    lines += [
        "## Empty masks",
        "",
        EMPTY_MASK_POLICY,
        "",
        f"- image/class pairs with exactly one mask empty: {int(summary.get('one_empty', 0))}",
        f"- image/class pairs with both masks empty: {int(summary.get('both_empty', 0))}",
        "",
        "## Training curves",
        "",
        _image_link(curves_png, run_dir, "training curves"),
        "",
        "## Predictions (best and worst test cases)",
        "",
        "Ground truth contours in green, predictions in magenta (per-class colours for "
        "multi-class tasks, see the figure legend).",
        "",
        _image_link(overlays_png, run_dir, "prediction overlays"),
        "",
    ]
    lines += _extra_section(extra or {})
    lines += ["## Metric definitions", ""]
    lines += [f"- **{name}**: {text}" for name, text in METRIC_DEFINITIONS.items()]
    lines += ["", "## Configuration", "", "```yaml", _config_text(config_yaml).rstrip(), "```", ""]
    out.write_text("\n".join(lines))
    return out
