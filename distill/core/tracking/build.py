"""Trackers from a config: ``train.loggers`` names registered loggers (``--log-to NAME``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from distill.core.tracking.logger_set import LoggerSet
from distill.core.tracking.study import StudyTracking

if TYPE_CHECKING:
    from distill.core.config import RunConfig
    from distill.core.registry import Registry


def build_loggers(
    cfg: RunConfig, *, main: bool = True, registry: Registry | None = None
) -> LoggerSet:
    """The run's loggers, built now so a bad name, field or missing package is an error
    before training; under ``torchrun`` only the main rank (``main``) logs anything."""
    if not main:
        return LoggerSet()
    reg = registry or _registry()
    return LoggerSet(
        (comp.name, reg.get("logger", comp.name).build(comp.params)) for comp in cfg.train.loggers
    )


def build_study_tracking(cfg: RunConfig, *, registry: Registry | None = None) -> StudyTracking:
    """The study-level side of the trials' loggers (those whose class has a ``Study``)."""
    reg = registry or _registry()
    studies = []
    for comp in cfg.train.loggers:
        component = reg.get("logger", comp.name)
        study = getattr(component.factory, "Study", None)
        if study is not None:
            studies.append((comp.name, study(component.validate(comp.params))))
    return StudyTracking(studies)


def _registry() -> Registry:
    from distill.core.plugins import registry

    return registry()
