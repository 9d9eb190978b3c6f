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
from distill.core.errors import ConfigError
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
    (
        "log_to",
        Optional[list[str]],
        typer.Option(
            None,
            "--log-to",
            help="mirror the run to a tracker: tensorboard, mlflow or a plugin's (repeatable)",
        ),
    ),
]


@dataclass
class ConfigFlags:
    """The shared flags as given; :meth:`config` turns them into a validated RunConfig."""

    values: dict[str, Any]

    def config(self, **extra: Any) -> RunConfig:
        return config_from_options(**{**self.values, **extra})

    def given(self) -> tuple[dict[str, Any], list[str]]:
        """Only what was typed, as a config tree and ``--set`` overrides: what a resumed
        run is asked to change. A preset or config file would change everything."""
        values = {k: v for k, v in self.values.items() if v is not None}
        for whole in ("preset", "config"):
            if whole in values:
                raise ConfigError(
                    f"--{whole} cannot be combined with --resume: a resumed run "
                    "keeps its config; change single fields with --set"
                )
        overrides = values.pop("set_", [])
        return flag_tree(values, {}), list(overrides)


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
    log_to: list[str] | None = None,
) -> RunConfig:
    tree: dict[str, Any] = merge({}, preset_values(preset))
    if config is not None:
        tree = merge(tree, load_yaml(config))
    given = dict(
        teacher=teacher,
        student=student,
        distiller=distiller,
        dataset=dataset,
        data_root=data_root,
        out=out,
        name=name,
        device=device,
        seed=seed,
        epochs=epochs,
        teacher_epochs=teacher_epochs,
        size=size,
    )
    given["log_to"] = log_to
    return build_config(merge(tree, flag_tree(given, tree)), set_ or [])


def flag_tree(given: dict[str, Any], tree: dict[str, Any]) -> dict[str, Any]:
    """The config tree the flags stand for (``tree``: the preset and file they refine)."""
    flags: dict[str, Any] = {}
    if given.get("teacher"):
        flags["teachers"] = list(given["teacher"])
    if given.get("student"):
        flags["student"] = given["student"]
    if given.get("distiller"):
        flags["distillers"] = list(given["distiller"])
    dataset, data_root = given.get("dataset"), given.get("data_root")
    if dataset or data_root:
        current = tree.get("data", {}).get("dataset", {"name": "synthetic-derm"})
        current = {"name": current} if isinstance(current, str) else dict(current)
        if dataset and dataset != current.get("name"):
            current = {"name": dataset}
        if data_root:
            current["data_root"] = str(data_root)
        flags["data"] = {"dataset": current}
    if given.get("size"):
        flags.setdefault("data", {})["size"] = list(given["size"])
    for key in ("out", "name", "seed"):
        value = given.get(key)
        if value is not None:
            flags[key] = str(value) if isinstance(value, Path) else value
    if given.get("device"):
        flags["runtime"] = {"device": given["device"]}
    if given.get("epochs") is not None:
        flags["train"] = {"epochs": given["epochs"]}
    if given.get("teacher_epochs") is not None:
        flags["teacher_train"] = {"epochs": given["teacher_epochs"]}
    if given.get("log_to"):
        flags.setdefault("train", {})["loggers"] = with_loggers(tree, given["log_to"])
    return flags


def with_loggers(tree: dict[str, Any], names: list[str]) -> list[Any]:
    """The config file's loggers (with their settings) plus those ``--log-to`` names."""
    loggers = list(tree.get("train", {}).get("loggers") or [])
    known = {x if isinstance(x, str) else x.get("name") for x in loggers}
    return loggers + [name for name in dict.fromkeys(names) if name not in known]
