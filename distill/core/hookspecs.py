"""The pluggy hooks a plugin implements. Each hands the plugin a ``register`` callback:

    from distill import hookimpl

    @hookimpl
    def distill_register_students(register):
        register("tiny", TinyStudent)   # summary = first docstring line, params = TinyStudent.Params

``register(name, factory, *, params=None, summary=None)``: ``factory(validated_params, ...)``
builds the component; ``params`` defaults to ``factory.Params``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

PROJECT = "distill"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

Register = Callable[..., Any]


@hookspec
def distill_register_teachers(register: Register) -> None:
    """Register Teacher classes."""


@hookspec
def distill_register_students(register: Register) -> None:
    """Register Student classes."""


@hookspec
def distill_register_distillers(register: Register) -> None:
    """Register Distiller classes."""


@hookspec
def distill_register_fusion_blocks(register: Register) -> None:
    """Register FusionBlock classes."""


@hookspec
def distill_register_datasets(register: Register) -> None:
    """Register Dataset classes."""


@hookspec
def distill_register_loggers(register: Register) -> None:
    """Register Logger classes (trackers that mirror a run: TensorBoard, MLflow, ...)."""


@hookspec
def distill_register_commands(register: Register) -> None:
    """Register CLI commands: ``register(name, command, help=None)`` adds ``distill <name>``.

    ``command`` is a ``typer.Typer`` (a command group), a plain function (typer turns its
    parameters into options) or a click command. Only entry-point plugins are asked, when
    the CLI lists its commands or runs one it does not know; keep the module light (import
    torch inside the command, not at its top) so ``distill --help`` stays fast.
    """
