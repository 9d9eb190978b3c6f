"""The public Python API; the CLI is a thin layer over these calls.

::

    import distill
    cfg = distill.config("quick", student="unet", distillers=["none"], **{"train.epochs": 2})
    run = distill.run(cfg)                       # a Run: the folder, read back
    scores = distill.evaluate(run, split="test")
    predictor = distill.load(run)                # needs no training data
    masks = predictor.predict(["lesion.jpg"])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distill.core.config import RunConfig, build_config, merge, set_path
from distill.core.presets import preset as preset_values
from distill.core.run import Run

if TYPE_CHECKING:
    from distill.core.metrics.aggregate import MetricsSummary

LIST_FIELDS = {"teacher": "teachers", "distiller": "distillers"}


def config(preset: str | None = None, /, **overrides: Any) -> RunConfig:
    """A validated run config: ``preset`` (quick, full, isic2017, sipakmed; default: quick on
    a CPU, full on a GPU), then ``overrides`` as nested dicts (``train={"epochs": 2}``),
    dotted keys (``**{"train.epochs": 2}``), or names (``student="unet"``,
    ``teachers=["swin", "cnn"]``, ``dataset="isic2017"``). Errors name the field, as
    ``--set`` does."""
    tree: dict[str, Any] = merge({}, preset_values(preset))
    for key, value in overrides.items():
        key = LIST_FIELDS.get(key, key)
        if key == "dataset":
            key = "data.dataset"
        if key in ("teachers", "distillers") and isinstance(value, str):
            value = [value]
        if "." in key:
            set_path(tree, key, _plain(value))
        elif isinstance(value, Mapping) and isinstance(tree.get(key), dict):
            tree[key] = merge(tree[key], _plain(value))
        else:
            tree[key] = _plain(value)
    return build_config(tree)


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def run(
    cfg: RunConfig | None = None,
    /,
    *,
    resume: str | Path | Run | None = None,
    progress: bool = True,
    retrain_teacher: bool = False,
    on_epoch: Callable[[int, float], None] | None = None,
    loggers: list[Any] | None = None,
) -> Run:
    """Train (teachers, then the student), test, and write the run folder; returns its
    :class:`Run`. ``resume`` continues a stopped run folder instead. ``progress=False``
    prints nothing. The config's ``train.loggers`` mirror the run to trackers; ``loggers``
    adds mirrors of your own (objects with ``start``, ``row`` and ``finish``)."""
    from distill.core.engine.experiment import run_experiment

    if cfg is None and resume is None:
        cfg = config()
    folder = Path(resume.path if isinstance(resume, Run) else resume) if resume else None
    result = run_experiment(
        cfg,
        resume=folder,
        silent=not progress,
        retrain_teacher=retrain_teacher,
        on_epoch=on_epoch,
        mirrors=loggers or (),
    )
    return Run.open(result.run_dir)


def evaluate(
    source: str | Path | Run,
    *,
    dataset: str | Mapping[str, Any] | None = None,
    split: str = "test",
    model: str = "student",
    device: str = "auto",
    tta: str | None = None,
) -> MetricsSummary:
    """Score a run's model on a split of its own dataset or of ``dataset`` (a name, or
    ``{"name": ..., "data_root": ...}``), normalised as it was trained; returns per-image,
    per-class and summary metrics (``.summary["mDice"]``). ``tta="flip"`` averages the
    predictions of the image and its flips."""
    from distill.core.evaluation import eval_dataset, load_trained, score_split

    run = source if isinstance(source, Run) else Run.open(Path(source))
    target = {"name": dataset} if isinstance(dataset, str) else dataset
    scores, _ = score_split(
        load_trained(run, model),
        eval_dataset(run, target),
        split,
        device=device,
        batch_size=run.config.eval.batch_size,
        spacing=run.config.eval.spacing,
        tta=tta,
    )
    return scores
