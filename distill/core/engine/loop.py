"""One training stage: epochs of steps, validation, checkpoints, resume, guards.

The same loop trains a teacher (task loss only) and the student (task loss plus the
distillers' named terms), so both get resume, early stopping and the non-finite guards.
A stage is a :class:`Stage` (what to train) run by a :class:`StageLoop` (its optimizer,
its :class:`LoopState` and its :class:`Checkpointer`): one training epoch, then one
validate-and-checkpoint step, until the budget is spent or a stop is asked for.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from distill.core.config import EvalConfig, TrainConfig
from distill.core.engine.batches import DeviceSplit, TrainBatches
from distill.core.engine.checkpoint import load_checkpoint
from distill.core.engine.checkpointer import Checkpointer
from distill.core.engine.distillation import DistillerSuite, FrozenTeacher, teacher_outputs
from distill.core.engine.evaluate import evaluate
from distill.core.engine.losses import task_loss
from distill.core.engine.progress import TrainingProgress
from distill.core.engine.runtime import Runtime
from distill.core.engine.scarcity import EndlessBatches, strong_view
from distill.core.engine.stop import StopRequests
from distill.core.engine.streams import ModuleStream
from distill.core.errors import DistillError
from distill.core.interfaces import SegmentationModel
from distill.core.run import ModelFiles

Log = Callable[[dict[str, Any]], None]


class NonFiniteLossError(DistillError):
    """A loss term became NaN or infinite; the last good checkpoint is kept."""


@dataclass
class Stage:
    name: str  # "teacher:swin" or "student"
    model: SegmentationModel
    cfg: TrainConfig
    batches: TrainBatches
    val: DeviceSplit
    files: ModelFiles
    dropout: ModuleStream
    suite: DistillerSuite | None = None
    teachers: list[FrozenTeacher] = field(default_factory=list)
    eval: EvalConfig = field(default_factory=EvalConfig)
    unlabelled: EndlessBatches | None = None  # images without masks: distillation only

    def modules(self) -> dict[str, nn.Module]:
        """What a checkpoint holds: the model and the distillers' connectors."""
        return {"model": self.model} | ({"suite": self.suite} if self.suite is not None else {})


@dataclass
class LoopState:
    """Where a stage is; saved in the resume state as plain data."""

    epoch: int = 0
    step: int = 0  # steps done in the current epoch
    best: float = -math.inf
    best_epoch: int = -1
    stale: int = 0  # epochs since the best
    running: dict[str, float] = field(default_factory=dict)  # loss sums this epoch
    count: int = 0  # steps summed in ``running``


@dataclass
class StageResult:
    best_score: float
    best_epoch: int
    epochs_run: int
    stopped_early: bool = False


def trainable(stage: Stage) -> list[nn.Parameter]:
    return [p for m in stage.modules().values() for p in m.parameters() if p.requires_grad]


def fit(
    stage: Stage,
    runtime: Runtime,
    progress: TrainingProgress,
    log: Log,
    stop: StopRequests,
    resume: bool = False,
    truncate_log: Callable[[str, int], None] | None = None,
    on_epoch: Callable[[int, float], None] | None = None,
) -> StageResult:
    """Train ``stage`` to its epoch budget. ``on_epoch(epoch, val_mDice)`` may raise to stop
    (a sweep's pruner does), after that epoch's checkpoint is written."""
    loop = StageLoop(stage, runtime, progress, log, stop)
    if resume:
        loop.restore()
        if truncate_log:  # without a resume state the stage starts over: all its rows go
            truncate_log(stage.name, loop.state.epoch)
    progress.stage(stage.name, stage.cfg.epochs, loop.state.epoch)
    stopped_early = False
    while loop.state.epoch < stage.cfg.epochs:
        row = loop.train_epoch()
        stopped_early = loop.validate_and_checkpoint(row, on_epoch)
        if stopped_early:
            break
    state = loop.state
    return StageResult(state.best, state.best_epoch, state.epoch, stopped_early)


class StageLoop:
    """The optimizer, schedule, state and checkpoints of one stage being trained."""

    def __init__(
        self,
        stage: Stage,
        runtime: Runtime,
        progress: TrainingProgress,
        log: Log,
        stop: StopRequests,
    ) -> None:
        from distill.core.engine.schedule import build_optimizer, build_scheduler

        self.stage, self.runtime, self.progress, self.log, self.stop = (
            stage,
            runtime,
            progress,
            log,
            stop,
        )
        cfg = stage.cfg
        self.optimizer = build_optimizer(trainable(stage), cfg)
        self.updates_per_epoch = max(1, stage.batches.steps // cfg.accumulate)
        self.scheduler = build_scheduler(self.optimizer, cfg, self.updates_per_epoch)
        self.state = LoopState()
        self.checkpoints = Checkpointer(
            stage.name, stage.files, main=runtime.dist.main, resume_state=cfg.resume_state
        )
        self.forward_model = runtime.dist.wrap(stage.model, runtime.device)  # DDP: torchrun

    # ----- resume -----------------------------------------------------------------------
    def resume_blob(self) -> dict[str, Any]:
        stage = self.stage
        blob = {
            "model": stage.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "loop": asdict(self.state),
            "batches": stage.batches.state_dict(),
            "dropout": stage.dropout.state_dict(),
            "stage": stage.name,
        }
        if stage.suite is not None:
            blob["suite"] = stage.suite.state_dict()
        if stage.unlabelled is not None:
            blob["unlabelled"] = stage.unlabelled.state_dict()
        return blob

    def restore(self) -> None:
        stage = self.stage
        if not stage.files.last.exists():
            return
        ckpt = load_checkpoint(stage.files.last, map_location=self.runtime.device)
        if "batches" not in ckpt:
            raise DistillError(
                f"{stage.files.last}: a resume state from an older distill (before the run "
                "owned its random streams); it cannot be continued exactly. Start the run anew."
            )
        stage.model.load_state_dict(ckpt["model"])
        if stage.suite is not None and "suite" in ckpt:
            stage.suite.load_state_dict(ckpt["suite"])
        self.optimizer.load_state_dict(ckpt["optimizer"])
        self.scheduler.load_state_dict(ckpt["scheduler"])
        self.rebase_lr(stage.cfg.lr)
        self.state = LoopState(**ckpt["loop"])
        stage.batches.load_state_dict(ckpt["batches"])
        stage.dropout.load_state_dict(ckpt["dropout"])
        if stage.unlabelled is not None and "unlabelled" in ckpt:
            stage.unlabelled.load_state_dict(ckpt["unlabelled"])
        self.progress.note(
            f"[cyan]{stage.name}: resumed at epoch {self.state.epoch + 1}, "
            f"step {self.state.step}[/]"
        )

    def rebase_lr(self, lr: float) -> None:
        """A resume with another ``train.lr`` scales the schedule from where it is."""
        base = self.scheduler.base_lrs[0]
        if base == lr:
            return
        factor = lr / base
        self.scheduler.base_lrs = [b * factor for b in self.scheduler.base_lrs]
        for group in self.optimizer.param_groups:
            group["lr"] *= factor
            group["initial_lr"] = group.get("initial_lr", base) * factor

    # ----- one epoch of steps -----------------------------------------------------------
    def train_epoch(self) -> dict[str, Any]:
        """The steps of the current epoch (from ``state.step`` when resumed mid-epoch);
        returns the epoch's metrics row so far (losses, lr, speed, step seconds)."""
        stage, state, runtime = self.stage, self.state, self.runtime
        for module in stage.modules().values():
            module.train()
        steps = stage.batches.steps
        self.progress.epoch(state.epoch, steps)
        running = {k: torch.as_tensor(v, device=runtime.device) for k, v in state.running.items()}
        started = time.perf_counter()
        for step, (images, masks) in enumerate(stage.batches.epoch(state.step), state.step):
            terms = self.step(step, images, masks)
            for name, value in terms.items():
                running[name] = running.get(name, 0) + value.detach().float()
            state.count, state.step = state.count + 1, step + 1
            info = None
            if runtime.device.type == "cpu" or step % 10 == 0 or step + 1 == steps:
                guard_finite(terms, stage.name, state.epoch, step, self.checkpoints.kept())
                info = f"loss {float(sum(terms.values()).detach()):.4f}"
            self.progress.step(images.shape[0], info)
            if self.stop.requested:
                state.running = {k: float(v) for k, v in running.items()}
                self.save_and_stop(f"epoch {state.epoch + 1} step {step + 1}")
        row = epoch_row(
            stage.name,
            state.epoch,
            runtime.dist.mean(running),
            state.count,
            self.optimizer,
            self.progress,
        )
        if stage.suite is not None:  # the warm-up factor at the epoch's last batch
            row["distill_ramp"] = round(stage.suite.ramp, 4)
        row["train_s"] = round(time.perf_counter() - started, 3)  # losses read: GPU caught up
        return row

    def step(self, step: int, images: Tensor, masks: Tensor) -> dict[str, Tensor]:
        stage, cfg, ranks = self.stage, self.stage.cfg, self.runtime.dist
        images, masks = ranks.share(images), ranks.share(masks)
        if stage.suite is not None:
            stage.suite.follow(self.state.epoch + (step + 1) / stage.batches.steps)
        with stage.dropout.active():
            terms = train_step(stage, self.runtime, images, masks, self.forward_model)
            if stage.unlabelled is not None:
                unlabelled = ranks.share(stage.unlabelled.next())
                terms |= unlabelled_step(stage, self.runtime, unlabelled, self.forward_model)
            (sum(terms.values()) / cfg.accumulate).backward()
        if (step + 1) % cfg.accumulate == 0 or step + 1 == stage.batches.steps:
            if stage.suite is not None:
                ranks.average_gradients(list(stage.suite.parameters()))
            if cfg.grad_clip:
                torch.nn.utils.clip_grad_norm_(trainable(stage), cfg.grad_clip)
            self.optimizer.step()
            self.scheduler.step()
            self.optimizer.zero_grad(set_to_none=True)
        return terms

    # ----- validation and checkpoints ---------------------------------------------------
    def validate_and_checkpoint(
        self, row: dict[str, Any], on_epoch: Callable[[int, float], None] | None
    ) -> bool:
        """Score the epoch on val, keep a better best, write what is due, log the row;
        returns whether early stopping ends the stage here."""
        stage, state, cfg = self.stage, self.state, self.stage.cfg
        epoch, started = state.epoch, time.perf_counter()
        scores = evaluate(
            stage.model,
            stage.val,
            self.runtime,
            stage.eval.batch_size,
            surface=stage.eval.val_distances,
        )
        row["val_s"] = round(time.perf_counter() - started, 3)
        row.update({f"val/{k}": v for k, v in scores.summary.items()})
        score = scores.summary["mDice"]
        improved = score > state.best
        state.stale = 0 if improved else state.stale + 1
        if improved:
            state.best, state.best_epoch = score, epoch
        state.epoch, state.step, state.running, state.count = epoch + 1, 0, {}, 0
        stopping = bool(cfg.early_stop and state.stale >= cfg.early_stop)
        final = stopping or epoch + 1 == cfg.epochs
        every = cfg.checkpoint_every
        # without a resume state a stopped stage is redone, so the best is written once
        due = final or bool(cfg.resume_state and every and (epoch + 1) % every == 0)
        if improved:
            self.checkpoints.offer_best(stage.modules(), epoch, score, copy=not due)
        if due:
            self.checkpoints.write_last(self.resume_blob(), stage.modules())
        if self.runtime.dist.main:
            self.log(row)
        if self.stop.requested:  # asked during validation: the epoch is done and saved
            self.save_and_stop(f"the end of epoch {epoch + 1}")
        if on_epoch is not None:
            on_epoch(epoch, score)
        self.progress.end_epoch(
            f"epoch {epoch + 1}: loss {row['loss/total']:.4f}  "
            f"val mDice {score:.4f}  best {state.best:.4f}"
        )
        if stopping:
            self.progress.note(f"{stage.name}: early stop after {epoch + 1} epochs")
        return stopping

    def save_and_stop(self, where: str) -> None:
        """A stop was asked for: write the resume state, then raise ``Interrupted``."""
        self.checkpoints.write_last(self.resume_blob(), self.stage.modules())
        self.stop.interrupt(
            f"saved {self.stage.files.last} at {where}; continue with --resume"
            if self.stage.cfg.resume_state
            else f"stopped at {where}; nothing to resume from (train.resume_state is off)"
        )


def train_step(
    stage: Stage, runtime: Runtime, images: Tensor, masks: Tensor, model: nn.Module | None = None
) -> dict[str, Tensor]:
    """Task loss and distillation terms of one batch; ``model`` is the (maybe DDP-wrapped)
    student to run forward, ``stage.model`` by default."""
    if runtime.channels_last:
        images = images.contiguous(memory_format=torch.channels_last)
    with runtime.autocast():
        out = (model or stage.model)(images)
        terms = {f"task/{k}": v for k, v in task_loss(out.logits, masks, stage.cfg.loss).items()}
        if stage.suite is not None:
            teach = teacher_outputs(stage.teachers, images, stage.suite.needs)
            terms.update(stage.suite(out, teach, masks))
    return {k: v.float() for k, v in terms.items()}


def unlabelled_step(
    stage: Stage, runtime: Runtime, images: Tensor, model: nn.Module
) -> dict[str, Tensor]:
    """Distillation terms on images without masks (named ``unlabeled/<term>``): the teacher
    sees the batch, the student the batch or, with weak/strong pairing, a harder copy."""
    assert stage.suite is not None and stage.unlabelled is not None
    if runtime.channels_last:
        images = images.contiguous(memory_format=torch.channels_last)
    with runtime.autocast():
        teach = teacher_outputs(stage.teachers, images, stage.suite.needs)
        if stage.suite.wants_strong_view:
            images = strong_view(images, stage.unlabelled.batches.augment_stream)
        terms = stage.suite(model(images), teach, None)
    return {f"unlabeled/{k}": v.float() for k, v in terms.items()}


def guard_finite(
    terms: dict[str, Tensor], stage: str, epoch: int, step: int, kept: str = ""
) -> None:
    """``kept`` says what survives (the checkpointer knows whether a best was written)."""
    for name, value in terms.items():
        if not torch.isfinite(value).all():
            raise NonFiniteLossError(
                f"{stage}: loss term '{name}' is {float(value.detach())} at epoch {epoch + 1}, step "
                f"{step + 1}; stopped{', ' + kept if kept else ''}. Lower the learning rate or "
                f"this term's weight."
            )


def epoch_row(
    stage: str,
    epoch: int,
    running: dict[str, Tensor],
    count: int,
    optimizer: torch.optim.Optimizer,
    progress: TrainingProgress,
) -> dict[str, Any]:
    means = {f"loss/{k}": float(v) / max(1, count) for k, v in running.items()}
    return {
        "stage": stage,
        "epoch": epoch + 1,
        "loss/total": sum(means.values()),
        **means,
        "lr": optimizer.param_groups[0]["lr"],
        "images_per_s": round(progress.images_per_second(), 2),
    }
