"""Images/s of one full distillation step: the engine vs a conventional loop vs the ideal.

Same teacher, student and distiller (built the engine's way, same seeds) in all three; only
how batches arrive and at what precision differs:

* engine: ``DeviceSplit`` + ``TrainBatches`` (decoded cache kept on the device, on-device
  ``BatchAugment``), then ``loop.train_step`` + backward + clip + AdamW exactly as ``fit`` runs it;
* conventional: fp32, ``DataLoader`` over JPEG/PNG files written to a temp dir, PIL decode and
  torchvision transforms per sample in worker processes, teacher under ``no_grad``;
* ideal: ``train_step`` on one pre-made, normalised device batch: the compute alone;
* engine at fp32, when the engine runs bf16 autocast: how much of its lead is precision.
"""

from __future__ import annotations

import gc
import multiprocessing
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor


@dataclass
class PipelineSettings:
    teacher: str = "swin"
    student: str = "mpdnet"
    distiller: str = "mpd"
    dataset: str = "synthetic-derm"
    device: str = "cpu"
    size: int = 128
    batch: int = 8
    steps: int = 4
    repeats: int = 3
    warmup: int = 3
    workers: int = 2
    source_size: tuple[int, int] = (384, 512)
    overrides: tuple[str, ...] = ()  # --set PATH=VALUE, e.g. teacher.backbone=resnet18

    @property
    def images_needed(self) -> int:
        return self.batch * max(2, min(8, self.steps))


def timed_windows(step: Callable[[], None], settings: PipelineSettings, sync: bool) -> list[float]:
    """Images/s of each window of ``steps`` steps, after ``warmup`` untimed ones."""
    for _ in range(settings.warmup):
        step()
    rates = []
    for _ in range(settings.repeats):
        if sync:
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(settings.steps):
            step()
        if sync:
            torch.cuda.synchronize()
        rates.append(settings.batch * settings.steps / (time.perf_counter() - start))
    return rates


class Pieces:
    """Config, dataset, runtime and fresh models, built the way ``run_experiment`` does."""

    def __init__(self, settings: PipelineSettings) -> None:
        from distill.core.config import build_config, resolve
        from distill.core.engine.build import build_dataset
        from distill.core.engine.runtime import Runtime
        from distill.core.plugins import registry

        self.reg = registry()
        n = settings.images_needed
        cfg = build_config(
            {
                "data": {
                    "dataset": _dataset_config(settings.dataset, n),
                    "size": [settings.size, settings.size],
                },
                "teachers": [settings.teacher],
                "student": settings.student,
                "distillers": [settings.distiller],
                "train": {"batch_size": settings.batch},
                "runtime": {"device": settings.device},
            },
            list(settings.overrides),
        )
        self.dataset = build_dataset(cfg, self.reg)
        injected = {
            "num_classes": self.dataset.num_classes,
            "in_channels": self.dataset.in_channels,
            "img_size": [settings.size, settings.size],
        }
        self.cfg = resolve(cfg, self.reg, injected)
        self.runtime = Runtime(self.cfg.runtime)
        self.size = (settings.size, settings.size)

    def models(self, prepare: bool) -> tuple[torch.nn.Module, torch.nn.Module, torch.nn.Module]:
        """(teacher, student, distiller suite) on the device; ``prepare`` applies the engine's
        runtime settings (channels-last on a GPU), the conventional loop leaves them off."""
        from distill.core.engine.build import build_model
        from distill.core.engine.distillation import DistillerSuite

        cfg, dev = self.cfg, self.runtime.device

        def place(m: torch.nn.Module) -> torch.nn.Module:
            return self.runtime.prepare(m) if prepare else m.to(dev)

        teacher = place(
            build_model(self.reg, "teacher", cfg.teachers[0], self.dataset, self.size, 1)
        )
        teacher.eval().requires_grad_(False)
        student = place(build_model(self.reg, "student", cfg.student, self.dataset, self.size, 0))
        spec = cfg.distillers[0]
        distiller = self.reg.get("distiller", spec.name).build(
            spec.params, student.spec(cfg.student.name), [teacher.spec(cfg.teachers[0].name)]
        )
        return teacher, student, DistillerSuite([(spec.name, distiller)]).to(dev)


def _dataset_config(name: str, n: int) -> dict[str, Any]:
    if name.startswith("synthetic"):
        return {"name": name, "train_count": n, "val_count": 1, "test_count": 1}
    return {"name": name}


def engine_stage(pieces: Pieces, tmp: Path):
    """A student ``Stage`` over the device cache, and the update ``fit`` applies per step."""
    from distill.core.engine.batches import DeviceSplit, TrainBatches
    from distill.core.engine.loop import Stage, guard_finite, train_step, trainable
    from distill.core.engine.schedule import build_optimizer
    from distill.core.engine.streams import ModuleStream
    from distill.core.engine.teacher_graphs import graph_teachers
    from distill.core.run import Run

    cfg = pieces.cfg
    split = DeviceSplit(
        pieces.dataset.load("train", pieces.size), pieces.dataset, pieces.runtime.device
    )
    teacher, student, suite = pieces.models(prepare=True)
    stage = Stage(
        name="student",
        model=student.train(),
        cfg=cfg.train,
        batches=TrainBatches(split, cfg.train.batch_size, cfg.data.augment, cfg.seed),
        val=split,
        files=Run(tmp).files("student"),
        dropout=ModuleStream(cfg.seed, "dropout", pieces.runtime.device),
        suite=suite.train(),
        teachers=graph_teachers([teacher], pieces.runtime.cuda_graphs),
    )
    optimizer = build_optimizer(trainable(stage), cfg.train)
    count = {"step": 0}

    def update(images: Tensor, masks: Tensor) -> None:
        terms = train_step(stage, pieces.runtime, images, masks)
        sum(terms.values()).backward()
        torch.nn.utils.clip_grad_norm_(trainable(stage), cfg.train.grad_clip or float("inf"))
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if pieces.runtime.device.type == "cpu" or count["step"] % 10 == 0:
            guard_finite(terms, stage.name, 0, count["step"])
        count["step"] += 1

    return stage, update


def forever(make: Callable[[], Iterator[Any]]) -> Iterator[Any]:
    while True:
        yield from make()


def write_files(
    pieces: Pieces, settings: PipelineSettings, folder: Path
) -> list[tuple[Path, Path]]:
    """The train images as the conventional loop meets them: JPEG images, PNG masks, at
    ``source_size``, decoded again for every sample."""
    from PIL import Image

    arrays = pieces.dataset.load("train", settings.source_size)
    pairs = []
    for i in range(len(arrays.ids)):
        image_path, mask_path = folder / f"img{i:04d}.jpg", folder / f"img{i:04d}.png"
        Image.fromarray(np.asarray(arrays.images[i])).save(image_path, quality=95)
        Image.fromarray((np.asarray(arrays.masks[i]) > 0).astype(np.uint8) * 255).save(mask_path)
        pairs.append((image_path, mask_path))
    return pairs


def conventional_step(pieces: Pieces, settings: PipelineSettings, pairs: list[tuple[Path, Path]]):
    """fp32 step fed by a DataLoader decoding files and augmenting per sample."""
    from benchmarks.data import FileDataset
    from distill.core.engine.losses import task_loss

    teacher, student, suite = pieces.models(prepare=False)
    student.train()
    suite.train()
    params = [p for p in [*student.parameters(), *suite.parameters()] if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=pieces.cfg.train.lr)
    device = pieces.runtime.device
    loader = torch.utils.data.DataLoader(
        FileDataset(pairs, settings.size),
        batch_size=settings.batch,
        shuffle=True,
        drop_last=True,
        num_workers=settings.workers,
        persistent_workers=settings.workers > 0,
        pin_memory=device.type == "cuda",
    )
    batches = forever(lambda: iter(loader))

    def step() -> None:
        images, masks = next(batches)
        images = images.to(device, non_blocking=True)
        masks = masks.to(device, non_blocking=True)
        with torch.no_grad():
            teacher_out = teacher(images)
        out = student(images)
        terms = task_loss(out.logits, masks, pieces.cfg.train.loss)
        terms.update(suite(out, [teacher_out], masks))
        sum(terms.values()).backward()
        torch.nn.utils.clip_grad_norm_(params, pieces.cfg.train.grad_clip or float("inf"))
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return step


def measure_pipeline(settings: PipelineSettings) -> dict[str, Any]:
    """Images/s of the three pipelines, measured one after another in this process."""
    pieces = Pieces(settings)
    sync = pieces.runtime.device.type == "cuda"
    rates: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="distill-speed-") as tmp:
        pairs = write_files(pieces, settings, Path(tmp))
        rates["conventional"] = timed_windows(
            conventional_step(pieces, settings, pairs), settings, sync
        )
        gc.collect()  # frees the DataLoader, so its workers stop before the engine is timed
        leftover = multiprocessing.active_children()
        if leftover:
            raise RuntimeError(f"DataLoader workers still running: {leftover}")
        stage, update = engine_stage(pieces, Path(tmp))
        batches = forever(stage.batches.epoch)
        rates["engine"] = timed_windows(lambda: update(*next(batches)), settings, sync)
        fixed = next(forever(stage.batches.epoch))  # one augmented, normalised device batch
        rates["ideal"] = timed_windows(lambda: update(*fixed), settings, sync)
        if pieces.runtime.bf16:  # how much of the gain is the data path, how much bf16
            fp32 = Pieces(replace(settings, overrides=(*settings.overrides, "runtime.amp=off")))
            stage_fp32, update_fp32 = engine_stage(fp32, Path(tmp))
            batches_fp32 = forever(stage_fp32.batches.epoch)
            rates["engine_fp32"] = timed_windows(
                lambda: update_fp32(*next(batches_fp32)), settings, sync
            )
    median = {k: statistics.median(v) for k, v in rates.items()}
    return {
        **{k: v for k, v in asdict(settings).items() if k != "source_size"},
        "source": f"{len(pairs)} JPEG {settings.source_size[1]}x{settings.source_size[0]}",
        "device": pieces.runtime.describe(),
        "precision": pieces.runtime.precision(),
        **median,
        **{f"{k}_all": v for k, v in rates.items()},
        "engine_vs_conventional": median["engine"] / median["conventional"],
        "engine_of_ideal": median["engine"] / median["ideal"],
        **(
            {"engine_fp32_vs_conventional": median["engine_fp32"] / median["conventional"]}
            if "engine_fp32" in median
            else {}
        ),
    }
