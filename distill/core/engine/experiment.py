"""A whole run: build from a RunConfig, stage 1 (teachers), stage 2 (student), test, report."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import yaml

from distill.core.config import ComponentConfig, RunConfig, resolve, to_yaml
from distill.core.engine.batches import DeviceSplit, TrainBatches
from distill.core.engine.checkpoint import extract_state_dict, load_checkpoint, write_atomic
from distill.core.engine.distillation import DistillerSuite
from distill.core.engine.evaluate import evaluate
from distill.core.engine.loop import Stage, fit, read_jsonl
from distill.core.engine.progress import TrainingProgress
from distill.core.engine.reporting import write_run_report
from distill.core.engine.runtime import Runtime, rng_kept, seed_everything
from distill.core.engine.teacher_graphs import graph_teachers
from distill.core.engine.teacher_store import store_teacher, stored_teacher, teacher_key
from distill.core.errors import ConfigError
from distill.core.interfaces import Dataset, SegmentationModel, check_model_contract
from distill.core.plugins import registry as get_registry
from distill.core.registry import Registry

CONFIG_FILE = "config.yaml"
METRICS_FILE = "metrics.jsonl"
TEST_FILE = "test_metrics.json"


@dataclass
class RunResult:
    run_dir: Path
    test: dict[str, float]
    best_val: float
    teacher_test: list[dict[str, float]] = field(default_factory=list)


def load_run_config(run_dir: Path) -> RunConfig:
    path = Path(run_dir) / CONFIG_FILE
    if not path.is_file():
        raise ConfigError(f"'{run_dir}' is not a run folder: it has no {CONFIG_FILE}")
    return RunConfig.model_validate(yaml.safe_load(path.read_text()))


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
    component = reg.get(kind, comp.name)  # type: ignore[arg-type]
    values = {**comp.params, "num_classes": dataset.num_classes, "in_channels": dataset.in_channels}
    torch.manual_seed(seed)
    model = component.build_model(values, size)
    check_model_contract(model, comp.name, size)
    return model


class RunFolder:
    """The files of one run; metrics rows are appended as JSON lines."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.metrics = self.path / METRICS_FILE

    def log(self, row: dict[str, Any]) -> None:
        with self.metrics.open("a") as handle:
            handle.write(json.dumps(row) + "\n")

    def truncate(self, stage: str, epochs_done: int) -> None:
        """On resume, drop rows of epochs that will be trained again."""
        rows = [
            r
            for r in read_jsonl(self.metrics)
            if not (r.get("stage") == stage and r.get("epoch", 0) > epochs_done)
        ]
        self.metrics.write_text("".join(json.dumps(r) + "\n" for r in rows))


def prepare_run_dir(cfg: RunConfig, resume: bool) -> RunFolder:
    run_dir = Path(cfg.out) / cfg.run_name()
    if run_dir.exists() and (run_dir / CONFIG_FILE).exists() and not resume:
        raise ConfigError(
            f"run folder '{run_dir}' already exists: continue it with --resume {run_dir}, "
            "or choose another --name"
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    return RunFolder(run_dir)


def run_experiment(
    cfg: RunConfig | None,
    *,
    resume: Path | None = None,
    quiet: bool = False,
    silent: bool = False,
    retrain_teacher: bool = False,
    on_epoch: Callable[[int, float], None] | None = None,
) -> RunResult:
    """Run one experiment, or with ``resume`` continue a run folder from its checkpoints.
    ``quiet`` prints plain lines instead of progress bars; ``silent`` prints nothing (runs
    side by side, whose lines would interleave). ``on_epoch(epoch, val_mDice)`` is called
    after each student epoch (sweeps prune there)."""
    reg = get_registry()
    if resume is not None:  # the folder may have moved since: it is where it is now
        cfg = load_run_config(resume)
        cfg = cfg.model_copy(update={"out": Path(resume).parent, "name": Path(resume).name})
    elif cfg is None:
        raise ValueError("run_experiment needs a config or a run folder to resume")
    seed_everything(cfg.seed)
    runtime = Runtime(cfg.runtime)
    dataset = build_dataset(cfg, reg)
    injected = {
        "num_classes": dataset.num_classes,
        "in_channels": dataset.in_channels,
        "img_size": list(cfg.data.size),
    }
    cfg = resolve(cfg, reg, injected)
    main = runtime.dist.main  # under torchrun only rank 0 writes files and shows progress
    folder = prepare_run_dir(cfg, resume is not None or not main)
    size = tuple(cfg.data.size)

    with TrainingProgress(quiet=quiet, silent=silent or not main) as progress:
        progress.note(f"run folder {folder.path}  device {runtime.describe()}")
        # Build everything first, so wiring errors (a missing stride, say) appear before
        # any data is decoded or training time spent.
        needs_teacher = any(reg.get("distiller", d.name).factory.needs for d in cfg.distillers)
        teachers = [
            runtime.prepare(build_model(reg, "teacher", comp, dataset, size, cfg.seed + 1 + i))
            for i, comp in enumerate(cfg.teachers if needs_teacher else [])
        ]
        student = runtime.prepare(build_model(reg, "student", cfg.student, dataset, size, cfg.seed))
        specs = [t.spec(c.name) for t, c in zip(teachers, cfg.teachers, strict=False)]
        student_spec = student.spec(cfg.student.name)
        suite = DistillerSuite(
            [
                (d.name, reg.get("distiller", d.name).build(d.params, student_spec, specs))
                for d in cfg.distillers
            ],
            warmup_epochs=cfg.train.distill_warmup_epochs,
        ).to(runtime.device)

        splits = {
            name: DeviceSplit(
                dataset.load(name, size),
                dataset,
                runtime.device,
                on_device=cfg.data.on_device if name == "train" else False,
            )
            for name in ("train", "val", "test")
        }
        progress.note(
            " ".join(f"{k}={len(v)}" for k, v in splits.items())
            + f" images at {size[0]}x{size[1]}, {dataset.num_classes} classes"
        )

        if main:
            (folder.path / CONFIG_FILE).write_text(to_yaml(cfg))  # marks the run as started

        teacher_tests = []
        for i, (comp, model) in enumerate(zip(cfg.teachers, teachers, strict=False)):
            with rng_kept():  # the student trains alike after a trained or a stored teacher
                train_teacher(
                    cfg,
                    i,
                    comp,
                    model,
                    splits,
                    runtime,
                    progress,
                    folder,
                    resume is not None,
                    retrain_teacher,
                )
            model.eval().requires_grad_(False)
            test = evaluate(
                model,
                splits["test"],
                runtime,
                cfg.eval.batch_size,
                cfg.eval.spacing,
                dataset.class_names,
            )
            teacher_tests.append({"name": comp.name, **test.summary})

        if runtime.compile:
            student.compile()  # in place: state-dict keys stay unchanged
        stage = Stage(
            name="student",
            model=student,
            cfg=cfg.train,
            batches=TrainBatches(
                splits["train"],
                cfg.train.batch_size,
                cfg.data.augment,
                cfg.seed,
                cfg.train.steps_per_epoch,
            ),
            val=splits["val"],
            last_path=folder.path / "last.pt",
            best_path=folder.path / "best.pt",
            suite=suite if len(suite.members) else None,
            teachers=graph_teachers(teachers, runtime.cuda_graphs),
            eval=cfg.eval,
        )
        result = fit(
            stage,
            runtime,
            progress,
            folder.log,
            resume=resume is not None,
            truncate_log=folder.truncate if main else None,
            on_epoch=on_epoch,
        )
        runtime.dist.barrier()  # rank 0 has written best.pt

        best = load_checkpoint(folder.path / "best.pt", map_location=runtime.device)
        student.load_state_dict(best["model"])
        test = evaluate(
            student,
            splits["test"],
            runtime,
            cfg.eval.batch_size,
            cfg.eval.spacing,
            dataset.class_names,
        )
        if main:
            export_student(student, folder.path)
            write_run_report(
                folder.path,
                cfg,
                dataset,
                splits["test"],
                test,
                teacher_tests,
                best_epoch=int(best["epoch"]) + 1,
            )
        progress.note(
            f"[green]done[/]: test mDice {test.summary['mDice']:.4f}  "
            f"mIoU {test.summary['mIoU']:.4f}  report {folder.path / 'report.md'}"
        )
    return RunResult(folder.path, test.summary, result.best_score, teacher_tests)


def train_teacher(
    cfg: RunConfig,
    index: int,
    comp: ComponentConfig,
    model: SegmentationModel,
    splits: dict[str, DeviceSplit],
    runtime: Runtime,
    progress: TrainingProgress,
    folder: RunFolder,
    resume: bool,
    retrain: bool,
) -> None:
    """Stage 1 for one teacher: load a given checkpoint, reuse a stored one, or train."""
    tcfg = cfg.teacher_train
    main = runtime.dist.main

    def record(**facts: Any) -> None:
        if main:
            (folder.path / f"teacher{index}.json").write_text(
                json.dumps({"name": comp.name, **facts})
            )

    if tcfg.checkpoint is not None:
        path = Path(tcfg.checkpoint)
        if path.is_dir():
            path = (
                path / "teacher0_best.pt"
                if (path / "teacher0_best.pt").exists()
                else path / "best.pt"
            )
        model.load_state_dict(extract_state_dict(load_checkpoint(path), "model"))
        record(source=str(path))
        progress.note(f"teacher {comp.name}: loaded {path}")
        return
    key = teacher_key(cfg, comp)
    stored = stored_teacher(key)
    if stored.exists() and not (retrain or tcfg.retrain):
        model.load_state_dict(load_checkpoint(stored, runtime.device)["model"])
        record(source=str(stored), key=key)
        progress.note(
            f"teacher {comp.name}: reusing trained teacher {stored.name} "
            "(--retrain-teacher to train again)"
        )
        return
    if tcfg.epochs == 0:
        progress.note(f"teacher {comp.name}: teacher_train.epochs is 0, used untrained")
        return
    stage = Stage(
        name=f"teacher:{comp.name}",
        model=model,
        cfg=tcfg,
        batches=TrainBatches(
            splits["train"],
            tcfg.batch_size,
            cfg.data.augment,
            cfg.seed + 1000 + index,
            tcfg.steps_per_epoch,
        ),
        val=splits["val"],
        last_path=folder.path / f"teacher{index}_last.pt",
        best_path=folder.path / f"teacher{index}_best.pt",
        eval=cfg.eval,
    )
    result = fit(
        stage,
        runtime,
        progress,
        folder.log,
        resume=resume,
        truncate_log=folder.truncate if main else None,
    )
    runtime.dist.barrier()  # rank 0 has written the best checkpoint
    model.load_state_dict(load_checkpoint(stage.best_path, runtime.device)["model"])
    if main:
        path = store_teacher(key, model.state_dict(), result.best_score)
        record(source=str(path), key=key, val_mDice=result.best_score)


def export_student(student: SegmentationModel, run_dir: Path) -> None:
    """The deployable student: its weights only, no connectors, as safetensors."""
    from safetensors.torch import save_file

    state = {k: v.detach().cpu().contiguous() for k, v in student.state_dict().items()}
    write_atomic(run_dir / "student.safetensors", lambda tmp: save_file(state, str(tmp)))
