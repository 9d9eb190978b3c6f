"""A trained model taken out of its run: rebuilt without the training data, and scored on
any dataset's split with the normalisation it was trained with. What an image needs before
the model sees it is the deployment's :class:`~distill.deploy.preprocess.Preprocess`, the
same record a bundle carries."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from distill.core.colour import constant_split
from distill.core.config import ComponentConfig, RuntimeConfig
from distill.core.errors import ConfigError
from distill.core.interfaces import Dataset, SegmentationModel
from distill.core.metrics.aggregate import MetricsSummary
from distill.core.run import Run
from distill.deploy.preprocess import INTENSITY_FIELDS, Preprocess


@dataclass
class TrainedModel:
    model: SegmentationModel
    preprocess: Preprocess  # size, mean/std, channels, intensity rule: as trained
    class_names: tuple[str, ...]  # background included
    label: str  # "student mpdnet"

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def recorded_data(run: Run) -> dict[str, Any]:
    """The data facts the run recorded; folders from before the record build their dataset
    to learn them (it must then be present)."""
    if run.data is not None:
        return run.data
    from distill.core.engine.build import build_dataset
    from distill.core.plugins import registry

    dataset = build_dataset(run.config, registry())
    return {
        "size": run.config.data.size,
        "mean": dataset.mean,
        "std": dataset.std,
        "class_names": dataset.class_names,
        "in_channels": dataset.in_channels,
    }


def run_preprocess(run: Run) -> Preprocess:
    """How the run's images were prepared, plus the dataset's intensity rule, so a 16-bit
    or DICOM image is scaled at prediction as it was in training."""
    data = recorded_data(run)
    params = run.config.data.dataset.params
    intensity = {k: params[k] for k in INTENSITY_FIELDS if params.get(k) is not None}
    return Preprocess(
        size=(int(data["size"][0]), int(data["size"][1])),
        mean=tuple(map(float, data["mean"])),
        std=tuple(map(float, data["std"])),
        in_channels=int(data["in_channels"]),
        intensity=intensity,
        colour_constancy=data.get("colour_constancy", run.config.data.colour_constancy),
    )


def load_trained(run: Run, model: str = "student") -> TrainedModel:
    """``student`` (its best checkpoint) or ``teacherN``, in eval mode on the CPU."""
    from distill.core.engine.checkpoint import load_weights
    from distill.core.engine.streams import seeded
    from distill.core.plugins import registry
    from distill.core.run import teacher_index

    cfg, pre = run.config, run_preprocess(run)
    names = tuple(recorded_data(run)["class_names"])
    if model == "student":
        comp, kind = cfg.student, "student"
    else:
        index = teacher_index(model)
        if index >= len(cfg.teachers):
            raise ConfigError(f"run '{run.path}' has {len(cfg.teachers)} teacher(s), no {model}")
        comp, kind = cfg.teachers[index], "teacher"
    values = {**comp.params, "num_classes": len(names), "in_channels": pre.in_channels}
    with seeded(cfg.seed, "load"):
        net = registry().get(kind, comp.name).build_model(values, pre.size)  # type: ignore[arg-type]
    net.load_state_dict(load_weights(run.weights(model), "model", net))
    return TrainedModel(net.eval(), pre, names, f"{kind} {comp.name}")


def eval_dataset(run: Run | None, dataset: Mapping[str, Any] | None) -> Dataset:
    """``dataset`` ({"name": ..., params}), or the run's own."""
    from distill.core.plugins import registry

    if dataset is None:
        if run is None:
            raise ConfigError("evaluate: name a dataset (a bundle carries none)")
        comp = run.config.data.dataset
    else:
        comp = ComponentConfig(**dataset)
    return registry().get("dataset", comp.name).build(comp.params)


def score_split(
    trained: TrainedModel,
    dataset: Dataset,
    split: str,
    *,
    device: str = "auto",
    batch_size: int = 16,
    spacing: float | None = None,
    tta: str | None = None,
) -> tuple[MetricsSummary, float]:
    """Metrics of ``trained`` on ``dataset``'s ``split`` and the seconds predicting took."""
    from distill.core.engine.batches import DeviceSplit
    from distill.core.engine.evaluate import evaluate
    from distill.core.engine.runtime import Runtime

    pre = trained.preprocess
    if dataset.num_classes != trained.num_classes:
        raise ConfigError(
            f"dataset '{dataset.name}' has {dataset.num_classes} classes, the "
            f"model {trained.num_classes}"
        )
    runtime = Runtime(RuntimeConfig(device=device))
    runtime.prepare(trained.model)
    arrays = constant_split(dataset.load(split, pre.size), pre.colour_constancy)
    data = DeviceSplit(arrays, dataset, runtime.device, on_device=False, stats=(pre.mean, pre.std))
    started = time.perf_counter()
    result = evaluate(
        trained.model, data, runtime, batch_size, spacing, trained.class_names, tta=tta
    )
    return result.scores, time.perf_counter() - started
