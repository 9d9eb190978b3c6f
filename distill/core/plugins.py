"""The plugin manager: built-ins and third-party packages load the same way.

Built-in plugins are the modules listed in :data:`BUILTIN_PLUGINS`, each named by its module
path: listed, not found by importing every module under :mod:`distill.plugins`, so startup
imports only plugins and a helper module is never mistaken for one. Third-party plugins are
entry points in the group ``distill``.
A plugin whose import or hook raises is reported by name and skipped, whatever it raises
(``sys.exit()`` included) except KeyboardInterrupt, which is the user's and stops the command;
``DISTILL_DISABLE_PLUGINS=a,b`` blocks plugins by name.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

import pluggy

from distill.core import hookspecs
from distill.core.errors import DuplicateComponentError
from distill.core.registry import Kind, Registry

ENTRY_POINT_GROUP = "distill"
DISABLE_ENV = "DISTILL_DISABLE_PLUGINS"
HOOKS: dict[str, Kind] = {
    "distill_register_teachers": "teacher",
    "distill_register_students": "student",
    "distill_register_distillers": "distiller",
    "distill_register_fusion_blocks": "fusion",
    "distill_register_datasets": "dataset",
    "distill_register_loggers": "logger",
}


@dataclass
class PluginFailure:
    plugin: str
    stage: str  # "import" or the hook name
    error: str
    details: str = ""


@dataclass(frozen=True)
class PluginCommand:
    """A CLI command a plugin registered: ``target`` is a typer app, a function (its
    parameters become options, as typer makes them) or a click command."""

    name: str
    target: Any
    help: str | None
    source: str


@dataclass
class PluginState:
    registry: Registry
    manager: pluggy.PluginManager
    plugins: dict[str, str] = field(default_factory=dict)  # name -> "builtin" | dist name
    failures: list[PluginFailure] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    commands: dict[str, PluginCommand] = field(default_factory=dict)  # load_commands only


BUILTIN_PLUGINS: tuple[str, ...] = (
    "distill.plugins.datasets.datalist",
    "distill.plugins.datasets.folder",
    "distill.plugins.datasets.images",
    "distill.plugins.datasets.isic2017",
    "distill.plugins.datasets.nnunet",
    "distill.plugins.datasets.sipakmed",
    "distill.plugins.datasets.synthetic_derm",
    "distill.plugins.datasets.synthetic_pap",
    "distill.plugins.distillers.at",
    "distill.plugins.distillers.cwd",
    "distill.plugins.distillers.dist",
    "distill.plugins.distillers.dual",
    "distill.plugins.distillers.fitnet",
    "distill.plugins.distillers.ifvd",
    "distill.plugins.distillers.kd",
    "distill.plugins.distillers.mpd",
    "distill.plugins.distillers.none",
    "distill.plugins.distillers.pseudo",
    "distill.plugins.distillers.skd",
    "distill.plugins.fusion.add",
    "distill.plugins.fusion.attention_gate",
    "distill.plugins.fusion.concat",
    "distill.plugins.fusion.selective",
    "distill.plugins.loggers.mlflow",
    "distill.plugins.loggers.tensorboard",
    "distill.plugins.students.attunet",
    "distill.plugins.students.cenet",
    "distill.plugins.students.deeplabv3plus",
    "distill.plugins.students.fatnet",
    "distill.plugins.students.hiformer",
    "distill.plugins.students.medt",
    "distill.plugins.students.missformer",
    "distill.plugins.students.mpdnet",
    "distill.plugins.students.swinunet",
    "distill.plugins.students.transfuse",
    "distill.plugins.students.transunet",
    "distill.plugins.students.uctransnet",
    "distill.plugins.students.unet",
    "distill.plugins.students.unetpp",
    "distill.plugins.students.unext",
    "distill.plugins.teachers.cnn",
    "distill.plugins.teachers.hybrid",
    "distill.plugins.teachers.swin",
)
"""Every built-in module that implements a hook (tests/core/test_plugins.py checks the list
against the source tree, so a new built-in that is not listed fails a test, not silently)."""


def builtin_modules() -> list[str]:
    """The built-in plugins' module paths, in load order."""
    return list(BUILTIN_PLUGINS)


def load_plugins(
    *, include_builtins: bool = True, include_entry_points: bool = True, warn: bool = True
) -> PluginState:
    """Build a fresh registry from every plugin that loads."""
    state = PluginState(Registry(), _manager())
    candidates: list[Candidate] = []
    if include_builtins:
        candidates += [
            (m, "builtin", lambda m=m: importlib.import_module(m)) for m in builtin_modules()
        ]
    if include_entry_points:
        candidates += _entry_point_candidates()
    _register_modules(state, candidates)

    for hook_name, kind in HOOKS.items():
        for impl in getattr(state.manager.hook, hook_name).get_hookimpls():
            label = _label(state, impl.plugin_name)

            def register(
                name: str,
                factory: Any,
                *,
                params: Any = None,
                summary: Any = None,
                _kind: Kind = kind,
                _label: str = label,
            ) -> None:
                state.registry.add(
                    _kind, name, factory, source=_label, params=params, summary=summary
                )

            if not _call_isolated(state, impl, hook_name, register):
                state.registry.remove_source(label)

    if warn:
        _warn(state.failures)
    return state


def load_commands(*, warn: bool = True) -> PluginState:
    """The CLI commands third-party plugins add through ``distill_register_commands``.

    Only entry-point plugins are imported, never the built-ins (their commands are the
    CLI's own modules): the CLI calls this to list its commands, so ``distill --help``
    stays as light as the installed plugins' top-level modules. Failures are isolated and
    reported like any plugin's; a name taken by a built-in command or by an earlier plugin
    is a failure of the later plugin, naming both.
    """
    state = PluginState(Registry(), _manager())
    _register_modules(state, _entry_point_candidates())
    for impl in state.manager.hook.distill_register_commands.get_hookimpls():
        label = _label(state, impl.plugin_name)
        added: list[str] = []

        def register(
            name: str,
            command: Any,
            *,
            help: str | None = None,
            _label: str = label,
            _added: list[str] = added,
        ) -> None:
            taken = state.commands.get(name)
            if taken is not None:
                raise DuplicateComponentError(
                    f"command '{name}' is registered twice: by '{taken.source}' and by '{_label}'"
                )
            state.commands[name] = PluginCommand(name, command, help, _label)
            _added.append(name)

        if not _call_isolated(state, impl, "distill_register_commands", register):
            for name in added:
                del state.commands[name]
    if warn:
        _warn(state.failures)
    return state


Candidate = tuple[str, str, Callable[[], Any]]  # (plugin name, origin, loader)


def _manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    return manager


def _entry_point_candidates() -> list[Candidate]:
    return [
        (ep.name, ep.dist.name if ep.dist is not None else "entry point", ep.load)
        for ep in entry_points(group=ENTRY_POINT_GROUP)
    ]


def _register_modules(state: PluginState, candidates: list[Candidate]) -> None:
    """Import each candidate (isolated) and register it with pluggy, unless it is blocked
    by name or its name is taken."""
    blocked = {n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()}
    for name, origin, loader in candidates:
        if name in blocked:
            state.manager.set_blocked(name)
            state.blocked.append(name)
            continue
        try:
            plugin = loader()
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - isolation is the point, sys.exit too
            state.failures.append(_failure(name, "import", exc))
            continue
        if state.manager.has_plugin(name):
            state.failures.append(
                PluginFailure(
                    name,
                    "register",
                    f"another plugin is already registered as '{name}' "
                    f"(from {state.plugins.get(name, 'unknown')}); this one, from {origin}, skipped",
                )
            )
            continue
        state.manager.register(plugin, name=name)
        state.plugins[name] = origin


def _label(state: PluginState, source: str) -> str:
    """How a plugin is named as a source: ``name`` for a built-in, ``name (dist)`` else."""
    origin = state.plugins.get(source, "")
    return source if origin in ("builtin", "") else f"{source} ({origin})"


def _call_isolated(state: PluginState, impl: Any, hook_name: str, register: Any) -> bool:
    """Call one plugin's hook; anything it raises but KeyboardInterrupt is recorded as its
    failure (False). Two plugins claiming one component name stays an error for the run."""
    try:
        impl.function(register=register)
    except KeyboardInterrupt:
        raise
    except DuplicateComponentError as exc:
        if hook_name != "distill_register_commands":
            raise
        state.failures.append(_failure(impl.plugin_name, hook_name, exc))
        return False
    except BaseException as exc:  # noqa: BLE001 - a plugin's sys.exit() too
        state.failures.append(_failure(impl.plugin_name, hook_name, exc))
        return False
    return True


def record_failure(state: PluginState, plugin: str, stage: str, exc: BaseException) -> None:
    """Record and report a plugin's failure found after loading (e.g. by the CLI, when a
    registered command cannot be used)."""
    state.failures.append(_failure(plugin, stage, exc))
    _warn(state.failures[-1:])


def _warn(failures: list[PluginFailure]) -> None:
    for f in failures:
        print(
            f"distill: warning: plugin '{f.plugin}' failed at {f.stage} and was skipped: {f.error}",
            file=sys.stderr,
        )


def _failure(plugin: str, stage: str, exc: BaseException) -> PluginFailure:
    """The failure as one line: the exception's name always (a bare ``sys.exit()`` has no
    message, and the name is what tells the user a plugin tried to end the program)."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return PluginFailure(plugin, stage, text, "".join(traceback.format_exception(exc)))


_STATE: PluginState | None = None
_COMMANDS: PluginState | None = None


def plugin_state() -> PluginState:
    """The process-wide plugin state, loaded on first use."""
    global _STATE
    if _STATE is None:
        _STATE = load_plugins()
    return _STATE


def registry() -> Registry:
    return plugin_state().registry


def plugin_commands() -> PluginState:
    """The process-wide plugin commands (:func:`load_commands`), loaded on first use."""
    global _COMMANDS
    if _COMMANDS is None:
        _COMMANDS = load_commands()
    return _COMMANDS


def reset() -> None:
    """Forget the loaded plugins (tests, and after installing a package at run time)."""
    global _STATE, _COMMANDS
    _STATE = _COMMANDS = None
