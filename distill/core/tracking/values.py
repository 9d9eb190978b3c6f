"""What every tracker records, computed once so TensorBoard and MLflow show the same names.

Metric names are the ``metrics.jsonl`` keys prefixed with the stage (``student/val/mDice``,
``teacher:swin/loss/total``) and stepped by the stage's own epoch number, exactly the x and
the panels of ``curves.png``: two stages that share epoch numbers never share a line.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

NOT_METRICS = ("stage", "epoch", "step")


def row_metrics(row: dict[str, Any]) -> tuple[int, dict[str, float]]:
    """``(step, {"<stage>/<key>": value})`` for one metrics row; non-numbers are skipped."""
    stage = str(row.get("stage", "training"))
    step = int(row.get("epoch", row.get("step", 0)))
    values = {
        metric_name(f"{stage}/{key}"): float(value)
        for key, value in row.items()
        if key not in NOT_METRICS and _number(value)
    }
    return step, values


def result_metrics(test: dict[str, Any] | None) -> dict[str, float]:
    """The test payload as flat metrics: ``test/<name>`` for the summary,
    ``test/<class>/<metric>`` per foreground class, ``test/teacher:<name>/<metric>``."""
    if not test:
        return {}
    out = {f"test/{k}": float(v) for k, v in test.get("summary", {}).items() if _number(v)}
    for row in test.get("per_class", []):
        name = metric_name(str(row.get("class", row.get("class_index", "?"))))
        out.update(
            {f"test/{name}/{k}": float(v) for k, v in row.items() if k != "class" and _number(v)}
        )
        out.pop(f"test/{name}/class_index", None)
    for teacher in test.get("teachers", []):
        name = metric_name(f"teacher:{teacher.get('name', '?')}")
        out.update({f"test/{name}/{k}": float(v) for k, v in teacher.items() if _number(v)})
    return out


def flat_params(tree: Any, prefix: str = "") -> dict[str, str]:
    """A nested config as dotted keys (``train.lr``, ``teachers.0.name``) with string values:
    what trackers take as a run's parameters, and what ``--set`` would write."""
    if isinstance(tree, dict):
        items: list[tuple[str, Any]] = list(tree.items())
    elif isinstance(tree, list) and any(isinstance(x, (dict, list)) for x in tree):
        items = [(str(i), x) for i, x in enumerate(tree)]
    else:
        return {prefix: tree if isinstance(tree, str) else json.dumps(tree)} if prefix else {}
    out: dict[str, str] = {}
    for key, value in items:
        out.update(flat_params(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def metric_name(text: str) -> str:
    """Characters every tracker accepts in a name (MLflow's: letters, digits, ``_-. :/``)."""
    return re.sub(r"[^\w\-. :/]", "_", text)


def _number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )
