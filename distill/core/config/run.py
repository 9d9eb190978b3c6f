"""The sections of a run config and :class:`RunConfig`, which holds them all."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, field_validator

from distill.core.config.augment import AugmentParams
from distill.core.config.sections import (
    Amp,
    ComponentConfig,
    Section,
    Switch,
    as_component,
    as_components,
)


class DataConfig(Section):
    dataset: ComponentConfig = Field(
        default_factory=lambda: ComponentConfig(name="synthetic-derm"),
        description="dataset plugin and its parameters (data_root, ...)",
    )
    size: tuple[int, int] = Field((128, 128), description="training size (height, width)")
    augment: AugmentParams = Field(default_factory=AugmentParams)
    colour_constancy: float | None = Field(
        None,
        ge=1,
        description="shades-of-grey colour constancy with this Minkowski p (6 typical) on every "
        "split, at training, evaluation and prediction (None: off)",
    )
    on_device: bool = Field(True, description="keep the cached train set on the device")
    labeled_fraction: float = Field(
        1.0,
        gt=0,
        le=1,
        description="share of the training split that keeps its masks (seeded, stratified "
        "by the classes present); the rest is used as unlabelled images",
    )
    unlabeled: ComponentConfig | None = Field(
        None,
        description="a dataset whose training images are added without masks (any "
        "registered dataset, e.g. {name: images, data_root: PATH} for a folder of images)",
    )

    _dataset = field_validator("dataset", mode="before")(as_component)
    _unlabeled = field_validator("unlabeled", mode="before")(
        lambda v: None if v is None else as_component(v)
    )

    @field_validator("size")
    @classmethod
    def _size_ok(cls, v: tuple[int, int]) -> tuple[int, int]:
        if min(v) < 32 or v[0] % 32 or v[1] % 32:
            raise ValueError("height and width must be multiples of 32, at least 32")
        return v


class LossConfig(Section):
    ce: float = Field(1.0, ge=0, description="weight of cross-entropy")
    dice: float = Field(1.0, ge=0, description="weight of soft Dice loss")


class TrainConfig(Section):
    epochs: int = Field(6, ge=1)
    batch_size: int = Field(8, ge=1)
    accumulate: int = Field(1, ge=1, description="gradient accumulation steps")
    lr: float = Field(2e-3, gt=0)
    weight_decay: float = Field(1e-4, ge=0)
    warmup_epochs: float = Field(0.5, ge=0)
    schedule: Literal["cosine", "poly", "constant"] = "cosine"
    grad_clip: float | None = Field(5.0, gt=0, description="max gradient norm (None: off)")
    loss: LossConfig = Field(default_factory=LossConfig)
    early_stop: int | None = Field(None, ge=1, description="epochs without val mDice gain")
    steps_per_epoch: int | None = Field(None, ge=1, description="cap steps per epoch")
    checkpoint_every: int = Field(
        1,
        ge=0,
        description="epochs between resumable checkpoints; 0: only at the end and when "
        "interrupted (large models write GBs per checkpoint)",
    )
    resume_state: bool = Field(
        True,
        description="write last.pt (weights, optimizer, RNG) for --resume; off: nothing to "
        "resume from, a stopped run is redone, and no GBs are written per run (grids)",
    )


class StudentTrainConfig(TrainConfig):
    distill_warmup_epochs: float = Field(
        0.0,
        ge=0,
        description="ramp every distillation term linearly from 0 to its weight over these "
        "epochs, so untrained connectors do not swamp the task loss early (0: off)",
    )
    unlabeled_ratio: float = Field(
        1.0,
        ge=0,
        description="unlabelled images per labelled one in each step (distillation only; "
        "0: none); used when the run has unlabelled images",
    )
    loggers: list[ComponentConfig] = Field(
        default_factory=list,
        description="trackers mirroring the run folder (--log-to NAME): tensorboard, mlflow "
        "or a plugin's; each a name or {name: mlflow, tracking_uri: ...}",
    )

    _loggers = field_validator("loggers", mode="before")(as_components)


class TeacherTrainConfig(TrainConfig):
    epochs: int = Field(6, ge=0, description="0 means use the teacher as built/loaded")
    lr: float = Field(1e-3, gt=0)
    checkpoint: Path | None = Field(None, description="teacher weights file or a run folder")
    retrain: bool = Field(False, description="train even if a cached teacher matches")


class RuntimeConfig(Section):
    device: str = Field("auto", description="auto, cpu, cuda, cuda:1, ...")
    amp: Amp = Field(
        "auto",
        description="bf16 autocast: auto = on a GPU; bf16 also on a CPU (faster where it "
        "has AVX512-BF16 or AMX)",
    )
    compile: bool = Field(False, description="torch.compile the student")
    cuda_graphs: Switch = Field(
        "off", description="replay frozen teachers from CUDA graphs in stage 2 (GPU only)"
    )
    channels_last: Switch = "auto"
    num_threads: int | None = Field(None, ge=1, description="CPU threads")


class EvalConfig(Section):
    spacing: float | None = Field(None, gt=0, description="pixel size in mm for distances")
    overlays: int = Field(8, ge=0, description="test images in the overlay grid")
    batch_size: int = Field(16, ge=1)
    val_distances: bool = Field(
        True,
        description="ASSD/HD95 on val every epoch, for the curves (the best epoch is picked "
        "by val mDice; test always has them)",
    )


class RunConfig(Section):
    """Everything that defines a run; saved resolved in every run folder."""

    name: str | None = Field(None, description="run folder name (default: derived)")
    out: Path = Field(Path("runs"), description="folder holding run folders")
    seed: int = 0
    data: DataConfig = Field(default_factory=DataConfig)
    teachers: list[ComponentConfig] = Field(default_factory=lambda: [ComponentConfig(name="swin")])
    student: ComponentConfig = Field(default_factory=lambda: ComponentConfig(name="mpdnet"))
    distillers: list[ComponentConfig] = Field(default_factory=lambda: [ComponentConfig(name="mpd")])
    train: StudentTrainConfig = Field(default_factory=StudentTrainConfig)
    teacher_train: TeacherTrainConfig = Field(default_factory=TeacherTrainConfig)
    runtime: RuntimeConfig = Field(default_factory=RuntimeConfig)
    eval: EvalConfig = Field(default_factory=EvalConfig)

    _student = field_validator("student", mode="before")(as_component)

    _lists = field_validator("teachers", "distillers", mode="before")(as_components)

    def run_name(self) -> str:
        if self.name:
            return self.name
        distillers = "+".join(d.name for d in self.distillers) or "none"
        return f"{self.student.name}-{distillers}-{self.data.dataset.name}-s{self.seed}"


def to_yaml(cfg: RunConfig) -> str:
    return yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False)
