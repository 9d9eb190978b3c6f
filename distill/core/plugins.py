"""The plugin manager: built-ins and third-party packages load the same way.

Built-in plugins are the modules under :mod:`distill.plugins` that implement a hook; each
is named by its module path. Third-party plugins are entry points in the group ``distill``.
A plugin whose import or hook raises is reported by name and skipped;
``DISTILL_DISABLE_PLUGINS=a,b`` blocks plugins by name.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import traceback
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from types import ModuleType
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
}


@dataclass
class PluginFailure:
    plugin: str
    stage: str  # "import" or the hook name
    error: str
    details: str = ""


@dataclass
class PluginState:
    registry: Registry
    manager: pluggy.PluginManager
    plugins: dict[str, str] = field(default_factory=dict)  # name -> "builtin" | dist name
    failures: list[PluginFailure] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)


def builtin_modules() -> list[str]:
    """Every module under distill.plugins (plugins are those that implement a hook)."""
    import distill.plugins as root

    return sorted(
        info.name
        for info in pkgutil.walk_packages(root.__path__, prefix=root.__name__ + ".")
        if not info.ispkg or info.name.count(".") > 2
    )


def _has_hooks(module: ModuleType) -> bool:
    return any(hasattr(module, hook) for hook in HOOKS)


def load_plugins(
    *, include_builtins: bool = True, include_entry_points: bool = True, warn: bool = True
) -> PluginState:
    """Build a fresh registry from every plugin that loads."""
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    state = PluginState(Registry(), manager)
    blocked = {n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()}

    candidates: list[tuple[str, str, Any]] = []  # (plugin name, origin, loader)
    if include_builtins:
        candidates += [
            (m, "builtin", lambda m=m: importlib.import_module(m)) for m in builtin_modules()
        ]
    if include_entry_points:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            origin = ep.dist.name if ep.dist is not None else "entry point"
            candidates.append((ep.name, origin, ep.load))

    for name, origin, loader in candidates:
        if name in blocked:
            manager.set_blocked(name)
            state.blocked.append(name)
            continue
        try:
            plugin = loader()
        except Exception as exc:  # noqa: BLE001 - isolation is the point
            state.failures.append(_failure(name, "import", exc))
            continue
        if origin == "builtin" and not _has_hooks(plugin):
            continue
        if manager.has_plugin(name):
            state.failures.append(
                PluginFailure(
                    name,
                    "register",
                    f"another plugin is already registered as '{name}' "
                    f"(from {state.plugins.get(name, 'unknown')}); this one, from {origin}, skipped",
                )
            )
            continue
        manager.register(plugin, name=name)
        state.plugins[name] = origin

    for hook_name, kind in HOOKS.items():
        for impl in getattr(manager.hook, hook_name).get_hookimpls():
            source = impl.plugin_name
            origin = state.plugins.get(source, "")
            label = source if origin in ("builtin", "") else f"{source} ({origin})"

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

            try:
                impl.function(register=register)
            except DuplicateComponentError:
                raise
            except Exception as exc:  # noqa: BLE001
                state.registry.remove_source(label)
                state.failures.append(_failure(source, hook_name, exc))

    if warn:
        for f in state.failures:
            print(
                f"distill: warning: plugin '{f.plugin}' failed at {f.stage} and was "
                f"skipped: {f.error}",
                file=sys.stderr,
            )
    return state


def _failure(plugin: str, stage: str, exc: BaseException) -> PluginFailure:
    return PluginFailure(
        plugin, stage, f"{type(exc).__name__}: {exc}", "".join(traceback.format_exception(exc))
    )


_STATE: PluginState | None = None


def plugin_state() -> PluginState:
    """The process-wide plugin state, loaded on first use."""
    global _STATE
    if _STATE is None:
        _STATE = load_plugins()
    return _STATE


def registry() -> Registry:
    return plugin_state().registry


def reset() -> None:
    """Forget the loaded plugins (tests, and after installing a package at run time)."""
    global _STATE
    _STATE = None
