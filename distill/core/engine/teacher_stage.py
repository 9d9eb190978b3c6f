"""Stage 1 for one teacher: load a given checkpoint, reuse a stored one, or train it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from distill.core.config import ComponentConfig, RunConfig
from distill.core.engine.batches import DeviceSplit, TrainBatches
from distill.core.engine.checkpoint import extract_state_dict, load_checkpoint
from distill.core.engine.loop import Stage, fit
from distill.core.engine.progress import TrainingProgress
from distill.core.engine.runtime import Runtime
from distill.core.engine.stop import StopRequests
from distill.core.engine.streams import ModuleStream
from distill.core.engine.teacher_store import store_teacher, stored_teacher, teacher_key
from distill.core.errors import DistillError
from distill.core.interfaces import SegmentationModel
from distill.core.run import Run


@dataclass
class TeacherPlan:
    """Everything stage 1 needs to settle one teacher."""

    index: int
    comp: ComponentConfig
    model: SegmentationModel
    cfg: RunConfig
    data_fingerprint: str
    resume: bool = False
    retrain: bool = False

    @property
    def key(self) -> str:
        return teacher_key(self.cfg, self.comp, self.data_fingerprint)


@dataclass
class StageContext:
    """What every stage of one run shares."""

    run: Run
    runtime: Runtime
    progress: TrainingProgress
    splits: dict[str, DeviceSplit]
    stop: StopRequests


def prepare_teacher(plan: TeacherPlan, ctx: StageContext) -> None:
    """Give ``plan.model`` its trained weights, and record where they came from."""
    given = plan.cfg.teacher_train.checkpoint
    if given is not None:
        path = given_checkpoint(Path(given))
        plan.model.load_state_dict(extract_state_dict(load_checkpoint(path), "model"))
        return record(plan, ctx, f"loaded {path}", source=str(path))
    if reuse_stored(plan, ctx):
        return
    if plan.cfg.teacher_train.epochs == 0:
        ctx.progress.note(f"teacher {plan.comp.name}: teacher_train.epochs is 0, used untrained")
        return
    train(plan, ctx)


def given_checkpoint(path: Path) -> Path:
    """A weights file, or a run folder: its first teacher, else its student."""
    if not path.is_dir():
        return path
    run = Run.open(path)
    teacher = run.files("teacher0").best
    return teacher if teacher.exists() else run.files("student").best


def reuse_stored(plan: TeacherPlan, ctx: StageContext) -> bool:
    stored = stored_teacher(plan.key)
    if not stored.exists() or plan.retrain or plan.cfg.teacher_train.retrain:
        return False
    try:
        weights = load_checkpoint(stored, ctx.runtime.device)["model"]
        plan.model.load_state_dict(weights)
    except (DistillError, KeyError, RuntimeError) as err:
        reason = str(err).splitlines()[0]
        ctx.progress.note(
            f"[yellow]teacher {plan.comp.name}: the stored teacher {stored} is unreadable "
            f"({reason}); training it again[/]"
        )
        return False
    record(
        plan,
        ctx,
        f"reusing trained teacher {stored.name} (--retrain-teacher to train again)",
        source=str(stored),
        key=plan.key,
    )
    return True


def train(plan: TeacherPlan, ctx: StageContext) -> None:
    cfg, tcfg = plan.cfg, plan.cfg.teacher_train
    seed = cfg.seed + 1000 + plan.index
    stage = Stage(
        name=f"teacher:{plan.comp.name}",
        model=plan.model,
        cfg=tcfg,
        batches=TrainBatches(
            ctx.splits["train"], tcfg.batch_size, cfg.data.augment, seed, tcfg.steps_per_epoch
        ),
        val=ctx.splits["val"],
        files=ctx.run.files(f"teacher{plan.index}"),
        dropout=ModuleStream(seed, "dropout", ctx.runtime.device),
        eval=cfg.eval,
    )
    main = ctx.runtime.dist.main
    result = fit(
        stage,
        ctx.runtime,
        ctx.progress,
        ctx.run.log,
        ctx.stop,
        resume=plan.resume,
        truncate_log=ctx.run.truncate if main else None,
    )
    ctx.runtime.dist.barrier()  # rank 0 has written the best checkpoint
    best = load_checkpoint(stage.files.best, ctx.runtime.device)
    plan.model.load_state_dict(best["model"])
    if main:
        path = store_teacher(plan.key, plan.model.state_dict(), result.best_score)
        ctx.run.record_teacher(
            plan.index,
            name=plan.comp.name,
            source=str(path),
            key=plan.key,
            val_mDice=result.best_score,
        )


def record(plan: TeacherPlan, ctx: StageContext, note: str, **facts: object) -> None:
    if ctx.runtime.dist.main:
        ctx.run.record_teacher(plan.index, name=plan.comp.name, **facts)
    ctx.progress.note(f"teacher {plan.comp.name}: {note}")
