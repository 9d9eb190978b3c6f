"""The runs of the suite: fractions x seeds x methods, each a config for ``distill.run``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.mpdnet_grid import Budget as GridBudget
from benchmarks.mpdnet_grid import mpdnet_run
from distill.core.config import RunConfig

FRACTIONS = (0.1, 0.25, 0.5, 1.0)
REFERENCE = "alone"


@dataclass(frozen=True)
class Method:
    name: str  # "kd+U": kd with the unlabelled images
    distiller: str | None  # None: MPDNet alone
    unlabelled: bool = False


METHODS = (
    Method(REFERENCE, None),
    Method("kd", "kd"),
    Method("kd+U", "kd", True),
    Method("dual", "dual"),
    Method("dual+U", "dual", True),
    Method("pseudo", "pseudo"),
    Method("pseudo+U", "pseudo", True),
)


def methods_at(fraction: float, methods: tuple[Method, ...] | list[Method]) -> list[Method]:
    """The methods worth training at ``fraction``: with every mask kept there are no
    unlabelled images, so a "+U" run would repeat its method's run exactly."""
    return [m for m in methods if fraction < 1 or not m.unlabelled]


@dataclass(frozen=True)
class Budget(GridBudget):
    teacher: dict[str, Any]  # the teacher component (name and parameters)


QUICK = Budget(
    size=64,
    epochs=6,
    teacher_epochs=6,
    batch=16,
    teacher={"name": "swin", "embed_dim": 48, "depths": [1, 1, 2, 1], "num_heads": [2, 4, 8, 16]},
)
FULL = Budget(size=256, epochs=60, teacher_epochs=60, batch=16, teacher={"name": "swin"})


def dataset_config(name: str, data_root: Path | None) -> dict[str, Any]:
    if name == "isic2017-cc0":
        return {"name": name, **({"data_root": str(data_root)} if data_root else {})}
    return {"name": name}


def run_config(
    dataset: dict[str, Any],
    fraction: float,
    seed: int,
    method: Method,
    budget: Budget,
    work: Path,
    device: str,
) -> RunConfig:
    """One run: MPDNet at ``fraction`` of the labels, ``method``'s distillation."""
    name = f"{dataset['name']}-f{fraction:g}-{method.name}-s{seed}"
    teachers = [budget.teacher] if method.distiller else []
    return mpdnet_run(
        name,
        seed,
        dataset,
        teachers,
        method.distiller,
        budget,
        work,
        device,
        **{
            "data.labeled_fraction": fraction,
            "train.unlabeled_ratio": 1.0 if method.unlabelled else 0.0,
        },
    )
