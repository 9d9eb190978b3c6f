"""A run's dataset and models, built from its config before any data is decoded, so that
wiring errors (a missing stride, a wrong class count) cost no training time."""

from __future__ import annotations

from dataclasses import dataclass

from distill.core.config import ComponentConfig, RunConfig
from distill.core.engine.distillation import DistillerSuite
from distill.core.engine.runtime import Runtime
from distill.core.engine.streams import seeded
from distill.core.interfaces import Dataset, SegmentationModel, check_model_contract
from distill.core.registry import Registry


@dataclass
class Models:
    """What a run trains and distils with, built before any data is decoded."""

    teachers: list[SegmentationModel]
    student: SegmentationModel
    suite: DistillerSuite


def build_dataset(cfg: RunConfig, reg: Registry) -> Dataset:
    return reg.get("dataset", cfg.data.dataset.name).build(cfg.data.dataset.params)


def build_model(
    reg: Registry,
    kind: str,
    comp: ComponentConfig,
    dataset: Dataset,
    size: tuple[int, int],
    seed: int,
) -> SegmentationModel:
    """A model with ``seed``'s initial weights; torch's global stream is left as it was."""
    component = reg.get(kind, comp.name)  # type: ignore[arg-type]
    values = {**comp.params, "num_classes": dataset.num_classes, "in_channels": dataset.in_channels}
    with seeded(seed, f"build:{kind}"):
        model = component.build_model(values, size)
    check_model_contract(model, comp.name, size)
    return model


def build_models(cfg: RunConfig, reg: Registry, dataset: Dataset, runtime: Runtime) -> Models:
    """Everything first, so wiring errors (a missing stride, say) appear before any data
    is decoded or training time spent."""
    size = tuple(cfg.data.size)
    needs_teacher = any(reg.get("distiller", d.name).factory.needs for d in cfg.distillers)
    teachers = [
        runtime.prepare(build_model(reg, "teacher", comp, dataset, size, cfg.seed + 1 + i))
        for i, comp in enumerate(cfg.teachers if needs_teacher else [])
    ]
    student = runtime.prepare(build_model(reg, "student", cfg.student, dataset, size, cfg.seed))
    specs = [t.spec(c.name) for t, c in zip(teachers, cfg.teachers, strict=False)]
    with seeded(cfg.seed, "build:distillers"):
        members = [
            (
                d.name,
                reg.get("distiller", d.name).build(d.params, student.spec(cfg.student.name), specs),
            )
            for d in cfg.distillers
        ]
    suite = DistillerSuite(members, warmup_epochs=cfg.train.distill_warmup_epochs)
    return Models(teachers, student, suite.to(runtime.device))
