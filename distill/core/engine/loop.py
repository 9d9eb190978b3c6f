"""One training stage: epochs of steps, validation, checkpoints, resume, guards.

The same loop trains a teacher (task loss only) and the student (task loss plus the
distillers' named terms), so both get resume, early stopping and the non-finite guard.
"""

from __future__ import annotations

import json
import math
import signal
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from distill.core.config import EvalConfig, TrainConfig
from distill.core.engine.batches import DeviceSplit, TrainBatches
from distill.core.engine.checkpoint import load_checkpoint, save_atomic
from distill.core.engine.distillation import DistillerSuite, FrozenTeacher, teacher_outputs
from distill.core.engine.evaluate import evaluate
from distill.core.engine.losses import task_loss
from distill.core.engine.progress import TrainingProgress
from distill.core.engine.runtime import Runtime, rng_state, set_rng_state
from distill.core.engine.schedule import build_optimizer, build_scheduler
from distill.core.errors import DistillError
from distill.core.interfaces import SegmentationModel


class NonFiniteLossError(DistillError):
    """A loss term became NaN or infinite; the last good checkpoint is kept."""


class Interrupted(DistillError):
    """SIGINT/SIGTERM: a checkpoint was saved; ``--resume`` continues."""

    exit_code = 130


@dataclass
class Stage:
    name: str  # "teacher:swin" or "student"
    model: SegmentationModel
    cfg: TrainConfig
    batches: TrainBatches
    val: DeviceSplit
    last_path: Path
    best_path: Path
    suite: DistillerSuite | None = None
    teachers: list[FrozenTeacher] = field(default_factory=list)
    eval: EvalConfig = field(default_factory=EvalConfig)


@dataclass
class StageResult:
    best_score: float
    best_epoch: int
    epochs_run: int
    stopped_early: bool = False


@contextmanager
def stop_requests():
    """Turn SIGINT/SIGTERM into a flag the loop checks between steps."""
    flag = {"signal": None}

    def handler(signum: int, _frame: Any) -> None:
        flag["signal"] = signum

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield flag
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def trainable(stage: Stage) -> list[nn.Parameter]:
    params = [p for p in stage.model.parameters() if p.requires_grad]
    if stage.suite is not None:
        params += [p for p in stage.suite.parameters() if p.requires_grad]
    return params


def fit(
    stage: Stage,
    runtime: Runtime,
    progress: TrainingProgress,
    log: Callable[[dict[str, Any]], None],
    resume: bool = False,
    truncate_log: Callable[[str, int], None] | None = None,
    on_epoch: Callable[[int, float], None] | None = None,
) -> StageResult:
    """Train ``stage`` to its epoch budget. ``on_epoch(epoch, val_mDice)`` may raise to stop
    (a sweep's pruner does), after that epoch's checkpoint is written."""
    cfg = stage.cfg
    ranks = runtime.dist
    optimizer = build_optimizer(trainable(stage), cfg)
    steps = stage.batches.steps
    updates_per_epoch = max(1, steps // cfg.accumulate)
    scheduler = build_scheduler(optimizer, cfg, updates_per_epoch)
    state = {
        "epoch": 0,
        "step": 0,
        "best": -math.inf,
        "best_epoch": -1,
        "stale": 0,
        "running": {},
        "count": 0,
    }
    epoch_generator = stage.batches.generator.get_state()

    if resume and stage.last_path.exists():
        ckpt = load_checkpoint(stage.last_path, map_location=runtime.device)
        stage.model.load_state_dict(ckpt["model"])
        if stage.suite is not None and "suite" in ckpt:
            stage.suite.load_state_dict(ckpt["suite"])
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
        state.update(ckpt["loop"])
        epoch_generator = ckpt["generator"]
        set_rng_state(ckpt["rng"])
        progress.note(
            f"[cyan]{stage.name}: resumed at epoch {state['epoch'] + 1}, step {state['step']}[/]"
        )
    if resume and truncate_log:  # without a resume state the stage starts over: all its rows go
        truncate_log(stage.name, state["epoch"])

    def checkpoint(path: Path) -> None:
        if not (ranks.main and cfg.resume_state):
            return
        blob = {
            "model": stage.model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "loop": state,
            "generator": epoch_generator,
            "rng": rng_state(),
            "stage": stage.name,
        }
        if stage.suite is not None:
            blob["suite"] = stage.suite.state_dict()
        save_atomic(blob, path)

    pending_best: dict[str, Any] | None = None  # best weights not yet on disk

    def flush_best() -> None:
        nonlocal pending_best
        if pending_best is not None and ranks.main:
            save_atomic(pending_best, stage.best_path)
        pending_best = None

    forward_model = ranks.wrap(stage.model, runtime.device)  # DDP under torchrun
    progress.stage(stage.name, cfg.epochs, state["epoch"])
    stopped_early = False
    with stop_requests() as stop:
        while state["epoch"] < cfg.epochs:
            epoch = state["epoch"]
            stage.batches.generator.set_state(epoch_generator)
            stage.model.train()
            if stage.suite is not None:
                stage.suite.train()
            progress.epoch(epoch, steps)
            running: dict[str, Tensor] = {
                k: torch.as_tensor(v, device=runtime.device) for k, v in state["running"].items()
            }
            first = state["step"]  # > 0 when resumed mid-epoch
            started = time.perf_counter()
            for step, (images, masks) in enumerate(stage.batches.epoch(first), start=first):
                images, masks = ranks.share(images), ranks.share(masks)
                if stage.suite is not None:
                    stage.suite.follow(epoch + (step + 1) / steps)
                terms = train_step(stage, runtime, images, masks, forward_model)
                loss = sum(terms.values())
                (loss / cfg.accumulate).backward()
                if (step + 1) % cfg.accumulate == 0 or step + 1 == steps:
                    if stage.suite is not None:
                        ranks.average_gradients(list(stage.suite.parameters()))
                    if cfg.grad_clip:
                        torch.nn.utils.clip_grad_norm_(trainable(stage), cfg.grad_clip)
                    optimizer.step()
                    scheduler.step()
                    optimizer.zero_grad(set_to_none=True)
                for name, value in terms.items():
                    running[name] = running.get(name, 0) + value.detach().float()
                state["count"] += 1
                state["step"] = step + 1
                info = None
                if runtime.device.type == "cpu" or step % 10 == 0 or step + 1 == steps:
                    guard_finite(terms, stage.name, epoch, step)
                    info = f"loss {float(loss.detach()):.4f}"
                progress.step(images.shape[0], info)
                if stop["signal"] is not None:
                    state["running"] = {k: float(v) for k, v in running.items()}
                    flush_best()  # the best file must agree with the state resumed from
                    checkpoint(stage.last_path)
                    name = signal.Signals(stop["signal"]).name
                    where = f"epoch {epoch + 1} step {step + 1}"
                    raise Interrupted(
                        f"{name}: saved {stage.last_path} at {where}; continue with --resume"
                        if cfg.resume_state
                        else f"{name}: stopped at {where}; nothing to resume from "
                        "(train.resume_state is off)"
                    )
            running = ranks.mean(running)
            row = epoch_row(stage, epoch, running, state["count"], optimizer, progress)
            if stage.suite is not None:  # the warm-up factor at the epoch's last batch
                row["distill_ramp"] = round(stage.suite.ramp, 4)
            trained = time.perf_counter()  # epoch_row read the losses: the GPU has caught up
            scores = evaluate(stage.model, stage.val, runtime, stage.eval.batch_size,
                              surface=stage.eval.val_distances)  # fmt: skip
            # where an epoch's time goes (steps vs validation), for sizing a budget
            row.update(train_s=round(trained - started, 3),
                       val_s=round(time.perf_counter() - trained, 3))  # fmt: skip
            row.update({f"val/{k}": v for k, v in scores.summary.items()})
            score = scores.summary["mDice"]
            improved = score > state["best"]
            if improved:
                state.update(best=score, best_epoch=epoch, stale=0)
            else:
                state["stale"] += 1
            state.update(epoch=epoch + 1, step=0, running={}, count=0)
            epoch_generator = stage.batches.generator.get_state()
            stopping = bool(cfg.early_stop and state["stale"] >= cfg.early_stop)
            every = cfg.checkpoint_every
            due = stopping or epoch + 1 == cfg.epochs or bool(every and (epoch + 1) % every == 0)
            if improved and ranks.main:
                pending_best = best_weights(stage, epoch, score, copy=not due)
            if due:
                flush_best()
                checkpoint(stage.last_path)
            if ranks.main:
                log(row)
            if on_epoch is not None:
                on_epoch(epoch, score)
            progress.end_epoch(
                f"epoch {epoch + 1}: loss {row['loss/total']:.4f}  "
                f"val mDice {score:.4f}  best {state['best']:.4f}"
            )
            if stopping:
                stopped_early = True
                progress.note(f"{stage.name}: early stop after {epoch + 1} epochs")
                break
    return StageResult(state["best"], state["best_epoch"], state["epoch"], stopped_early)


def best_weights(stage: Stage, epoch: int, score: float, copy: bool) -> dict[str, Any]:
    """The best-checkpoint blob; ``copy`` detaches it (on the CPU) from the weights that go
    on training, for a write that waits until the next checkpoint."""

    def state(module: nn.Module) -> dict[str, Tensor]:
        weights = module.state_dict()
        return {k: v.detach().to("cpu", copy=True) for k, v in weights.items()} if copy else weights

    blob: dict[str, Any] = {"model": state(stage.model), "epoch": epoch, "score": score}
    if stage.suite is not None:
        blob["suite"] = state(stage.suite)
    return blob


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


def guard_finite(terms: dict[str, Tensor], stage: str, epoch: int, step: int) -> None:
    for name, value in terms.items():
        if not torch.isfinite(value).all():
            raise NonFiniteLossError(
                f"{stage}: loss term '{name}' is {float(value.detach())} at epoch {epoch + 1}, step "
                f"{step + 1}; stopped, the last good checkpoint is kept. Lower the learning "
                f"rate or this term's weight."
            )


def epoch_row(
    stage: Stage,
    epoch: int,
    running: dict[str, Tensor],
    count: int,
    optimizer: torch.optim.Optimizer,
    progress: TrainingProgress,
) -> dict[str, Any]:
    means = {f"loss/{k}": float(v) / max(1, count) for k, v in running.items()}
    return {
        "stage": stage.name,
        "epoch": epoch + 1,
        "loss/total": sum(means.values()),
        **means,
        "lr": optimizer.param_groups[0]["lr"],
        "images_per_s": round(progress.images_per_second(), 2),
    }


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
