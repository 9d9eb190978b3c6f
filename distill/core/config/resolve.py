"""Each component's parameters checked against the component's own model, with the
dataset's facts (classes, channels, size) filled in."""

from __future__ import annotations

from typing import Any

from distill.core.config.run import RunConfig
from distill.core.config.sections import ComponentConfig
from distill.core.errors import ConfigError
from distill.core.registry import Kind, Registry

INJECTED = ("num_classes", "in_channels", "img_size")


def resolve_component(
    registry: Registry,
    kind: Kind,
    comp: ComponentConfig,
    where: str,
    injected: dict[str, Any] | None = None,
) -> ComponentConfig:
    """Validate a component's parameters and fill in its defaults."""
    component = registry.get(kind, comp.name)
    values = dict(comp.params)
    fields = component.params.model_fields
    for key, value in (injected or {}).items():
        if key not in fields:
            continue
        if key in values and key != "img_size" and values[key] != value:
            raise ConfigError(
                f"{where}.{key} = {values[key]!r} but the dataset gives {value!r}; "
                "remove it, it is taken from the data"
            )
        values[key] = value
    validated = component.validate(values, where=f"{where} ({comp.name})")
    dumped = validated.model_dump(mode="json")
    for key in INJECTED:
        dumped.pop(key, None)
    return ComponentConfig(name=comp.name, **dumped)


def resolve(
    cfg: RunConfig, registry: Registry, injected: dict[str, Any] | None = None
) -> RunConfig:
    """Validate every component against its parameter model; unknown names list valid ones."""
    resolved = cfg.model_copy(deep=True)
    resolved.data.dataset = resolve_component(registry, "dataset", cfg.data.dataset, "data.dataset")
    if cfg.data.unlabeled is not None:
        resolved.data.unlabeled = resolve_component(
            registry, "dataset", cfg.data.unlabeled, "data.unlabeled"
        )
    resolved.student = resolve_component(registry, "student", cfg.student, "student", injected)
    resolved.teachers = [
        resolve_component(registry, "teacher", t, f"teachers.{i}", injected)
        for i, t in enumerate(cfg.teachers)
    ]
    resolved.distillers = [
        resolve_component(registry, "distiller", d, f"distillers.{i}")
        for i, d in enumerate(cfg.distillers)
    ]
    resolved.train.loggers = [
        resolve_component(registry, "logger", c, f"train.loggers.{i}")
        for i, c in enumerate(cfg.train.loggers)
    ]
    needs_teacher = any(registry.get("distiller", d.name).factory.needs for d in cfg.distillers)
    if needs_teacher and not cfg.teachers:
        names = ", ".join(d.name for d in cfg.distillers)
        raise ConfigError(f"distiller(s) {names} need a teacher: add --teacher NAME")
    return resolved
