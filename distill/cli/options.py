"""Options shared by `run`, `sweep` and `config show`, and how they become a RunConfig.

Precedence, lowest first: defaults, --preset, --config FILE, flags, --set PATH=VALUE.
A command decorated with :func:`config_options` gets every shared flag and receives the
result as one ``options: ConfigFlags`` argument.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import typer

from distill.core.config import RunConfig, build_config, load_yaml, merge
from distill.core.presets import preset as preset_values

# name, annotation, typer option: the flags every experiment command accepts
SHARED = [
    (
        "teacher",
        Optional[list[str]],
        typer.Option(
            None, "--teacher", "-t", help="teacher name; give twice for dual distillation"
        ),
    ),
    ("student", Optional[str], typer.Option(None, "--student", "-s", help="student name")),
    (
        "distiller",
        Optional[list[str]],
        typer.Option(
            None, "--distiller", "-d", help="distiller name; repeat to combine (terms are summed)"
        ),
    ),
    (
        "dataset",
        Optional[str],
        typer.Option(None, "--dataset", help="dataset name (default synthetic-derm)"),
    ),
    (
        "data_root",
        Optional[Path],
        typer.Option(None, "--data-root", help="folder holding the dataset"),
    ),
    (
        "config",
        Optional[Path],
        typer.Option(None, "--config", "-c", help="YAML run config", dir_okay=False),
    ),
    (
        "preset",
        Optional[str],
        typer.Option(
            None,
            "--preset",
            help="quick, full, isic2017, sipakmed (default: quick on CPU, full on GPU)",
        ),
    ),
    (
        "set_",
        Optional[list[str]],
        typer.Option(None, "--set", help="override any field: PATH=VALUE (repeatable)"),
    ),
    (
        "out",
        Optional[Path],
        typer.Option(None, "--out", "-o", help="folder for run folders (default runs)"),
    ),
    ("name", Optional[str], typer.Option(None, "--name", help="run folder name")),
    ("device", Optional[str], typer.Option(None, "--device", help="auto, cpu, cuda, cuda:N")),
    ("seed", Optional[int], typer.Option(None, "--seed", help="random seed")),
    ("epochs", Optional[int], typer.Option(None, "--epochs", help="student epochs")),
    (
        "teacher_epochs",
        Optional[int],
        typer.Option(None, "--teacher-epochs", help="teacher epochs (0: untrained)"),
    ),
    (
        "size",
        Optional[tuple[int, int]],
        typer.Option(None, "--size", help="training size: HEIGHT WIDTH"),
    ),
]


@dataclass
class ConfigFlags:
    """The shared flags as given; :meth:`config` turns them into a validated RunConfig."""

    values: dict[str, Any]

    def config(self, **extra: Any) -> RunConfig:
        return config_from_options(**{**self.values, **extra})


def config_options(*, exclude: tuple[str, ...] = ()) -> Callable[[Callable], Callable]:
    """Give a typer command every shared flag (minus ``exclude``) as ``options``."""

    def decorate(func: Callable) -> Callable:
        shared = [(n, a, o) for n, a, o in SHARED if n not in exclude]
        own = [p for p in inspect.signature(func).parameters.values() if p.name != "options"]

        @functools.wraps(func)
        def command(**kwargs: Any) -> Any:
            values = {n: kwargs.pop(n) for n, _, _ in shared}
            return func(options=ConfigFlags(values), **kwargs)

        params = own + [
            inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=o, annotation=a)
            for n, a, o in shared
        ]
        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        hints = {k: v for k, v in typing.get_type_hints(func).items() if k != "options"}
        command.__annotations__ = {**hints, **{n: a for n, a, _ in shared}}
        del command.__wrapped__  # typer must read the new signature, not the original
        return command

    return decorate


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
