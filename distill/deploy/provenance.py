"""Where a bundle came from: the component as rebuilt, its test scores, library versions.

Only what the run folder knows is recorded; a missing fact stays ``None`` rather than a
guess, and the model card says "not recorded".
"""

from __future__ import annotations

import importlib.metadata
import platform
import statistics
from typing import Any

SUMMARY_KEYS = (
    "mDice",
    "mIoU",
    "mASSD",
    "mHD95",
    "sensitivity",
    "specificity",
    "micro_Dice",
    "micro_IoU",
    "n_images",
)
CLASS_KEYS = ("class", "class_index", "dice", "iou", "assd", "hd95", "sensitivity", "specificity")
PACKAGES = ("distill", "torch", "onnx", "onnxruntime", "numpy", "pillow", "timm")


def component_key(which: str) -> str:
    """The run record's key for ``student`` / ``teacher`` / ``teacherN``."""
    if which == "student":
        return which
    from distill.core.run import teacher_index

    return f"teacher{teacher_index(which)}"


def component_spec(run: Any, which: str, trained: Any) -> dict[str, Any]:
    """Name and parameters that rebuild the model. Weights come from the bundle, so
    ``pretrained`` and weight files are switched off: a bundle never downloads nor reads
    a file outside itself."""
    key = component_key(which)
    cfg = run.config
    comp = cfg.student if key == "student" else cfg.teachers[int(key[len("teacher") :])]
    params = {}
    for name, value in comp.params.items():
        if name == "pretrained":
            value = False
        elif name.endswith("weights_file"):
            value = None
        params[name] = value
    kind = "student" if key == "student" else "teacher"
    return {
        "kind": kind,
        "which": key,
        "component": comp.name,
        "params": params,
        "label": trained.label,
    }


def test_metrics(test: dict[str, Any], which: str) -> dict[str, Any] | None:
    """The run's test scores of this model with their spread (std over test images)."""
    key = component_key(which)
    if key != "student":
        teachers = test.get("teachers") or []
        index = int(key[len("teacher") :])
        return {"summary": teachers[index], "per_class": []} if index < len(teachers) else None
    if not test.get("summary"):
        return None
    summary = dict(test["summary"])
    for metric in ("mDice", "mIoU", "mASSD", "mHD95"):
        summary.setdefault(f"{metric}_std", _spread(test.get("per_image", []), metric))
    wanted = {*SUMMARY_KEYS, *(f"{k}_std" for k in SUMMARY_KEYS)}
    per_class = [
        {k: v for k, v in row.items() if k in CLASS_KEYS or k.removesuffix("_std") in CLASS_KEYS}
        for row in test.get("per_class", [])
    ]
    return {
        "summary": {k: v for k, v in summary.items() if k in wanted},
        "per_class": per_class,
        "best_epoch": test.get("best_epoch"),
    }


def _spread(per_image: list[dict[str, Any]], metric: str) -> float | None:
    values = [r[metric] for r in per_image if isinstance(r.get(metric), (int, float))]
    return statistics.pstdev(values) if len(values) > 1 else None


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found
