"""A whole run: build from a RunConfig, stage 1 (teachers), stage 2 (student), test, report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distill.core.colour import constant_split
from distill.core.config import RunConfig, resolve
from distill.core.engine.batches import DeviceSplit, TrainBatches
from distill.core.engine.build import Models, build_dataset, build_models
from distill.core.engine.checkpoint import load_checkpoint
from distill.core.engine.evaluate import Evaluation, evaluate
from distill.core.engine.loop import Stage, fit
from distill.core.engine.progress import TrainingProgress
from distill.core.engine.record import data_fingerprint, start_record
from distill.core.engine.reporting import export_student, write_run_report
from distill.core.engine.runtime import Runtime
from distill.core.engine.scarcity import (
    labelled_subset,
    unlabelled_batches,
    unlabelled_images,
    unlabelled_pool,
)
from distill.core.engine.stop import Interrupted, StopRequests, stop_requests
from distill.core.engine.streams import ModuleStream
from distill.core.engine.teacher_graphs import graph_teachers
from distill.core.engine.teacher_stage import StageContext, TeacherPlan, prepare_teacher
from distill.core.interfaces import Dataset, SegmentationModel
from distill.core.plugins import registry as get_registry
from distill.core.registry import Registry
from distill.core.run import Run, RunMirror
from distill.core.tracking import build_loggers

SPLITS = ("train", "val", "test")
TRAINING = ("train", "unlabelled")  # kept on the device when data.on_device


@dataclass
class RunResult:
    run_dir: Path
    test: dict[str, float]
    best_val: float
    teacher_test: list[dict[str, float]] = field(default_factory=list)


def run_experiment(
    cfg: RunConfig | None,
    *,
    resume: Path | None = None,
    quiet: bool = False,
    silent: bool = False,
    retrain_teacher: bool = False,
    on_epoch: Callable[[int, float], None] | None = None,
    mirrors: Sequence[RunMirror] = (),
    resumed_cfg: RunConfig | None = None,
) -> RunResult:
    """Run one experiment, or with ``resume`` continue a run folder from its checkpoints
    (``resumed_cfg``: its config with the changes a resume may make, see
    :func:`distill.core.engine.resume.resumed_config`). ``quiet`` prints plain lines instead
    of progress bars; ``silent`` prints nothing (runs side by side, whose lines would
    interleave). ``on_epoch(epoch, val_mDice)`` is called after each student epoch (sweeps
    prune there); ``mirrors`` follow the run folder as it is written (trackers)."""
    reg = get_registry()
    if resume is not None:
        from distill.core.engine.resume import resumed_config

        cfg = resumed_cfg or resumed_config(Run.open(resume), {}, [])[0]
    elif cfg is None:
        raise ValueError("run_experiment needs a config or a run folder to resume")
    runtime = Runtime(cfg.runtime)
    dataset = build_dataset(cfg, reg)
    injected = {
        "num_classes": dataset.num_classes,
        "in_channels": dataset.in_channels,
        "img_size": list(cfg.data.size),
    }
    cfg = resolve(cfg, reg, injected)
    main = runtime.dist.main  # under torchrun only rank 0 writes files and shows progress
    path = Path(cfg.out) / cfg.run_name()
    trackers = build_loggers(cfg, main=main, registry=reg)  # a bad one fails before the claim
    run = Run.create(path, resume=resume is not None) if main else Run(path)
    run.mirrors = [*mirrors, trackers] if main else []
    with stop_requests() as stop, TrainingProgress(quiet=quiet, silent=silent or not main) as bar:
        try:
            result = _train_and_test(
                cfg,
                reg,
                dataset,
                runtime,
                run,
                bar,
                stop,
                resume is not None,
                retrain_teacher,
                on_epoch,
            )
        except Interrupted:
            _end(run, main, "interrupted")
            raise
        except BaseException as err:
            _end(run, main, "failed", f"{type(err).__name__}: {err}".splitlines()[0])
            raise
    _end(run, main, "finished")
    return result


def _end(run: Run, main: bool, status: str, error: str | None = None) -> None:
    if not main:
        return
    if (run.path / Run.CONFIG).is_file():
        run.set_status(status, error)  # type: ignore[arg-type]
        for mirror in run.mirrors:
            mirror.finish(run, status)
        failures = [f for m in run.mirrors for f in getattr(m, "failures", [])]
        if failures:
            run.update(tracking_failures=failures)
    run.release()


def _train_and_test(
    cfg: RunConfig,
    reg: Registry,
    dataset: Dataset,
    runtime: Runtime,
    run: Run,
    progress: TrainingProgress,
    stop: StopRequests,
    resume: bool,
    retrain_teacher: bool,
    on_epoch: Callable[[int, float], None] | None,
) -> RunResult:
    size = tuple(cfg.data.size)
    progress.note(f"run folder {run.path}  device {runtime.describe()}")
    models = build_models(cfg, reg, dataset, runtime)
    colour = cfg.data.colour_constancy  # shades of grey on every split, as at prediction
    arrays = {name: constant_split(dataset.load(name, size), colour) for name in SPLITS}
    arrays["train"], spare = labelled_subset(arrays["train"], cfg.data.labeled_fraction, cfg.seed)
    pool = unlabelled_pool([spare, unlabelled_images(cfg, reg, size)], dataset.in_channels)
    if pool is not None:
        arrays["unlabelled"] = pool
    splits = {
        name: DeviceSplit(
            part,
            dataset,
            runtime.device,
            on_device=cfg.data.on_device if name in TRAINING else False,
        )
        for name, part in arrays.items()
    }
    progress.note(
        " ".join(f"{k}={len(v)}" for k, v in splits.items())
        + f" images at {size[0]}x{size[1]}, {dataset.num_classes} classes"
    )
    fingerprint = data_fingerprint([arrays[name] for name in SPLITS])
    if runtime.dist.main:
        counts = {f"{name}_images": len(part) for name, part in arrays.items()}
        start_record(run, cfg, dataset, models, fingerprint, counts)
    stop.check("before training")
    ctx = StageContext(run, runtime, progress, splits, stop)
    teacher_tests = train_teachers(cfg, models, ctx, fingerprint, resume, retrain_teacher)
    result = train_student(cfg, models, ctx, resume, on_epoch)
    runtime.dist.barrier()  # rank 0 has written best.pt
    stop.check("before testing")
    best = load_checkpoint(run.files().best, map_location=runtime.device)
    models.student.load_state_dict(best["model"])
    test = test_model(models.student, splits["test"], runtime, cfg, dataset)
    if runtime.dist.main:
        export_student(models.student, run)
        write_run_report(
            run,
            cfg,
            dataset,
            splits["test"],
            test,
            teacher_tests,
            best_epoch=int(best["epoch"]) + 1,
        )
    progress.note(
        f"[green]done[/]: test mDice {test.summary['mDice']:.4f}  "
        f"mIoU {test.summary['mIoU']:.4f}  report {run.path / Run.REPORT}"
    )
    return RunResult(run.path, test.summary, result.best_score, teacher_tests)


def train_teachers(
    cfg: RunConfig,
    models: Models,
    ctx: StageContext,
    fingerprint: str,
    resume: bool,
    retrain: bool,
) -> list[dict[str, Any]]:
    tests = []
    for i, (comp, model) in enumerate(zip(cfg.teachers, models.teachers, strict=False)):
        prepare_teacher(TeacherPlan(i, comp, model, cfg, fingerprint, resume, retrain), ctx)
        model.eval().requires_grad_(False)
        ctx.stop.check(f"after teacher {comp.name}")
        test = test_model(model, ctx.splits["test"], ctx.runtime, cfg, None)
        tests.append({"name": comp.name, **test.summary})
    return tests


def train_student(
    cfg: RunConfig,
    models: Models,
    ctx: StageContext,
    resume: bool,
    on_epoch: Callable[[int, float], None] | None,
):
    runtime, suite = ctx.runtime, models.suite
    if runtime.compile:
        models.student.compile()  # in place: state-dict keys stay unchanged
    stage = Stage(
        name="student",
        model=models.student,
        cfg=cfg.train,
        batches=TrainBatches(
            ctx.splits["train"],
            cfg.train.batch_size,
            cfg.data.augment,
            cfg.seed,
            cfg.train.steps_per_epoch,
        ),
        val=ctx.splits["val"],
        files=ctx.run.files("student"),
        dropout=ModuleStream(cfg.seed, "dropout", runtime.device),
        suite=suite if len(suite.members) else None,
        teachers=graph_teachers(models.teachers, runtime.cuda_graphs),
        eval=cfg.eval,
        unlabelled=unlabelled_batches(cfg, suite, ctx),
    )
    main = runtime.dist.main
    return fit(
        stage,
        runtime,
        ctx.progress,
        ctx.run.log,
        ctx.stop,
        resume=resume,
        truncate_log=ctx.run.truncate if main else None,
        on_epoch=on_epoch,
    )


def test_model(
    model: SegmentationModel,
    split: DeviceSplit,
    runtime: Runtime,
    cfg: RunConfig,
    dataset: Dataset | None,
) -> Evaluation:
    names = dataset.class_names if dataset is not None else None
    return evaluate(model, split, runtime, cfg.eval.batch_size, cfg.eval.spacing, names)
