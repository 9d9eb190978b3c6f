"""Options shared by `run`, `sweep` and `config show`, and how they become a RunConfig.

Precedence, lowest first: defaults, --preset, --config FILE, flags, --set PATH=VALUE.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from distill.core.config import RunConfig, build_config, load_yaml, merge
from distill.core.presets import preset as preset_values


class ConfigOptions:
    teacher = typer.Option(
        None, "--teacher", "-t", help="teacher name; give twice for dual distillation"
    )
    student = typer.Option(None, "--student", "-s", help="student name")
    distiller = typer.Option(
        None, "--distiller", "-d", help="distiller name; repeat to combine (terms are summed)"
    )
    dataset = typer.Option(None, "--dataset", help="dataset name (default synthetic-derm)")
    data_root = typer.Option(None, "--data-root", help="folder holding the dataset")
    config = typer.Option(None, "--config", "-c", help="YAML run config", dir_okay=False)
    preset = typer.Option(
        None, "--preset", help="quick, full, isic2017, sipakmed (default: quick on CPU)"
    )
    set_ = typer.Option(None, "--set", help="override any field: PATH=VALUE (repeatable)")
    out = typer.Option(None, "--out", "-o", help="folder for run folders (default runs)")
    name = typer.Option(None, "--name", help="run folder name")
    device = typer.Option(None, "--device", help="auto, cpu, cuda, cuda:N")
    seed = typer.Option(None, "--seed", help="random seed")
    epochs = typer.Option(None, "--epochs", help="student epochs")
    teacher_epochs = typer.Option(None, "--teacher-epochs", help="teacher epochs (0: untrained)")
    size = typer.Option(None, "--size", help="training size: HEIGHT WIDTH")


def config_from_options(
    *,
    teacher: list[str] | None = None,
    student: str | None = None,
    distiller: list[str] | None = None,
    dataset: str | None = None,
    data_root: Path | None = None,
    config: Path | None = None,
    preset: str | None = None,
    set_: list[str] | None = None,
    out: Path | None = None,
    name: str | None = None,
    device: str | None = None,
    seed: int | None = None,
    epochs: int | None = None,
    teacher_epochs: int | None = None,
    size: tuple[int, int] | None = None,
) -> RunConfig:
    tree: dict[str, Any] = merge({}, preset_values(preset))
    if config is not None:
        tree = merge(tree, load_yaml(config))
    flags: dict[str, Any] = {}
    if teacher:
        flags["teachers"] = list(teacher)
    if student:
        flags["student"] = student
    if distiller:
        flags["distillers"] = list(distiller)
    if dataset or data_root:
        current = tree.get("data", {}).get("dataset", {"name": "synthetic-derm"})
        current = {"name": current} if isinstance(current, str) else dict(current)
        if dataset and dataset != current.get("name"):
            current = {"name": dataset}
        if data_root:
            current["data_root"] = str(data_root)
        flags["data"] = {"dataset": current}
    if size:
        flags.setdefault("data", {})["size"] = list(size)
    for key, value in (("out", out), ("name", name), ("seed", seed)):
        if value is not None:
            flags[key] = str(value) if isinstance(value, Path) else value
    if device:
        flags["runtime"] = {"device": device}
    if epochs is not None:
        flags["train"] = {"epochs": epochs}
    if teacher_epochs is not None:
        flags["teacher_train"] = {"epochs": teacher_epochs}
    return build_config(merge(tree, flags), set_ or [])
