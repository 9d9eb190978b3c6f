"""From YAML, flags and ``--set PATH=VALUE`` to a validated :class:`RunConfig`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from distill.core.config.run import RunConfig
from distill.core.errors import ConfigError
from distill.core.registry import format_validation_error

ALIASES = {"teacher": "teachers", "distiller": "distillers"}


def set_path(tree: dict[str, Any], path: str, value: Any) -> None:
    """Set ``a.b.c`` in a nested dict. ``teacher.x``/``distiller.x`` address the single
    entry of the list; ``distiller.kd.weight`` or ``distillers.1.weight`` pick one."""
    keys = path.split(".")
    if not all(keys):
        raise ConfigError(f"--set {path}: empty key in path")
    node: Any = tree
    for i, key in enumerate(keys):
        last = i == len(keys) - 1
        if isinstance(node, list):
            node = _list_item(node, key, ".".join(keys[:i]))
            if last:
                raise ConfigError(f"--set {path}: cannot replace a whole component this way")
            continue
        if not isinstance(node, dict):
            raise ConfigError(f"--set {path}: '{'.'.join(keys[:i])}' is not a section")
        alias = ALIASES.get(key)
        if alias and i == 0:
            key = alias
            items = node.get(key)
            if last:
                node[key] = value
                return
            if isinstance(items, list):
                items[:] = [{"name": x} if isinstance(x, str) else x for x in items]
            if isinstance(items, list) and len(items) == 1 and not _names(items, keys[i + 1]):
                node = items[0]
                continue
        if last:
            node[key] = value
            return
        if key in ("student", "dataset") and isinstance(node.get(key), str):
            node[key] = {"name": node[key]}
        node = node.setdefault(key, {})


def _names(items: list[Any], key: str) -> bool:
    return key.isdigit() or any(isinstance(x, dict) and x.get("name") == key for x in items)


def _list_item(items: list[Any], key: str, where: str) -> Any:
    for i, item in enumerate(items):
        if isinstance(item, str):
            items[i] = item = {"name": item}
        if key.isdigit() and int(key) == i or item.get("name") == key:
            return item
    names = [x["name"] if isinstance(x, dict) else x for x in items]
    raise ConfigError(f"--set: '{where}' has no entry '{key}' (entries: {names})")


def parse_override(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise ConfigError(f"--set expects PATH=VALUE, got '{text}'")
    path, raw = text.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return path.strip(), value


def load_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except FileNotFoundError:
        raise ConfigError(f"config file '{path}' does not exist") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"config file '{path}' is not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file '{path}' must hold a mapping at the top level")
    return data


def merge(defaults: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge mappings; lists and scalars in ``values`` replace the defaults."""
    out = dict(defaults)
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def build_config(
    base: dict[str, Any] | None = None, overrides: list[str] | tuple[str, ...] = ()
) -> RunConfig:
    """Apply ``--set`` overrides to a plain mapping and validate the result."""
    tree = merge(RunConfig().model_dump(mode="json", exclude_none=True), base or {})
    for text in overrides:
        set_path(tree, *parse_override(text))
    try:
        return RunConfig.model_validate(tree)
    except ValidationError as err:
        raise ConfigError(format_validation_error(err, "config", RunConfig)) from None
