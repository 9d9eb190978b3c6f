"""The contracts every plugin implements.

A plugin author reads this one module and knows what to write:

* ``Teacher`` / ``Student``: ``nn.Module`` whose ``forward(x)`` returns a :class:`SegOutput`
  with logits at input size and NCHW features, finest first, exactly as declared by
  ``feature_channels`` and ``feature_strides``.
* ``Distiller``: built from the student's and teachers' :class:`ModelSpec`; its forward
  returns *named* loss terms so a run's log shows each one.
* ``FusionBlock``: fuses same-sized feature maps into one; students choose one by name.
* ``Dataset``: yields decoded, resized uint8 arrays per split; the engine does the rest.

A plugin raises the errors re-exported here (``ConfigError`` for a bad parameter,
``DataError`` for bad input data, ``DistillError`` otherwise); the CLI shows their message as
one line. Every component declares a pydantic ``Params`` model; the registry validates user input
against it before the constructor is called with the validated instance.

The abstract methods are enforced: building a component whose class lacks one fails with a
:class:`~distill.core.errors.PluginContractError` naming the class and the method (plain
``@abstractmethod`` on an ``nn.Module`` enforces nothing). The optional class attributes the
framework reads (``search_space``, ``published_params``, ...) are declared here with their
defaults, so a plugin sets them by name and nothing reads an undeclared attribute.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import torch
from pydantic import Field
from torch import Tensor, nn

from distill.core.config import Section
from distill.core.errors import ConfigError as ConfigError  # re-exported: plugins raise these
from distill.core.errors import DataError as DataError
from distill.core.errors import DistillError as DistillError
from distill.core.errors import PluginContractError as PluginContractError

Family = Literal["cnn", "transformer", "hybrid"]
TeacherNeed = Literal["features", "logits"]
SearchSpace = dict[str, Any]


class Contract(ABCMeta):
    """The metaclass of the interfaces: a class that leaves an abstract method unimplemented
    cannot be instantiated, and the error says which class, which method and which
    interface asks for it, in the words a plugin author needs (not a bare TypeError)."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        missing = sorted(getattr(cls, "__abstractmethods__", ()))
        if missing:
            from distill.core.errors import PluginContractError

            wanted = ", ".join(
                f"{name}() (required by {_declared_by(cls, name)})" for name in missing
            )
            raise PluginContractError(
                f"{cls.__module__}.{cls.__qualname__} cannot be built: it does not implement "
                f"{wanted}"
            )
        return super().__call__(*args, **kwargs)


def _declared_by(cls: type, name: str) -> str:
    """The interface the class implements that asks for method ``name``: the nearest base
    defined in this module (``Student``, not the shared ``SegmentationModel``)."""
    for base in cls.__mro__:
        if base.__module__ == __name__ and callable(getattr(base, name, None)):
            return base.__name__
    return cls.__name__


class Params(Section):
    """Base of every component's parameter model: unknown fields are errors, not ignored,
    and an integer field refuses a boolean (``width: true`` is a mistake, not 1)."""


class ModelParams(Params):
    """Every teacher and student takes these two, filled from the dataset by the engine."""

    num_classes: int = Field(2, ge=1, description="output classes, background included")
    in_channels: int = Field(3, ge=1, description="input image channels")


@dataclass
class SegOutput:
    """What a segmentation model returns: logits at input size and its multi-scale features.

    ``logits`` is None only for a teacher output passed to a distiller that declared it
    needs features alone (the engine then skips the teacher's decoder).
    """

    logits: Tensor | None
    features: list[Tensor] = field(default_factory=list)


@dataclass(frozen=True)
class ModelSpec:
    """What a distiller may know about a model before seeing any tensor."""

    name: str
    family: Family
    num_classes: int
    feature_channels: tuple[int, ...]
    feature_strides: tuple[int, ...]

    def channels_at(self, stride: int) -> int:
        """Channels of the feature map at ``stride``; a clear error if there is none."""
        if stride not in self.feature_strides:
            raise ValueError(
                f"model '{self.name}' has no feature map at stride {stride} "
                f"(it has strides {list(self.feature_strides)})"
            )
        return self.feature_channels[self.feature_strides.index(stride)]


class SegmentationModel(nn.Module, metaclass=Contract):
    """Shared base of teachers and students.

    Subclasses set ``feature_channels`` and ``feature_strides`` in ``__init__`` (finest
    first) and implement ``forward``. Override ``extract_features`` when the features can be
    computed without the decoder, so a teacher that only feeds features is cheaper.
    """

    Params: ClassVar[type[ModelParams]] = ModelParams
    family: ClassVar[Family] = "cnn"
    """What the network is built from; distillers pick teachers by it (e.g. MPD wants a
    transformer) and tables group by it."""
    published_params: ClassVar[float | None] = None
    """Parameters (millions) the network's paper or official code gives, or None; the size
    and profile tables print ours beside it, so a re-implementation's drift shows."""
    published_source: ClassVar[str] = ""
    """Where ``published_params`` comes from (paper, table, code), quoted under the tables."""
    feature_channels: list[int]
    feature_strides: list[int]
    num_classes: int
    in_channels: int
    """Input image channels; the profiler builds its test input from it."""

    def __init__(self, params: ModelParams) -> None:
        super().__init__()
        self.params = params
        self.num_classes = params.num_classes
        self.in_channels = params.in_channels

    @abstractmethod
    def forward(self, x: Tensor) -> SegOutput:  # pragma: no cover - interface
        ...

    def extract_features(self, x: Tensor) -> list[Tensor]:
        """Features only; the default runs the whole model."""
        return self.forward(x).features

    def spec(self, name: str | None = None) -> ModelSpec:
        return ModelSpec(
            name=name or type(self).__name__,
            family=self.family,
            num_classes=self.num_classes,
            feature_channels=tuple(self.feature_channels),
            feature_strides=tuple(self.feature_strides),
        )


class Student(SegmentationModel):
    """A model trained by the engine, optionally under distillation."""


class Teacher(SegmentationModel):
    """A model whose knowledge is distilled; frozen and in inference mode during stage 2."""

    family: ClassVar[Family] = "transformer"


class DistillerParams(Params):
    weight: float = Field(1.0, ge=0.0, description="multiplies every term of this distiller")


class Distiller(nn.Module, metaclass=Contract):
    """A loss between student and teacher outputs.

    ``needs`` says what of the teachers' outputs the engine must compute: an empty set means
    no teacher runs at all; ``{"features"}`` lets the engine skip the teacher's decoder.
    Connectors (learnable adapters) are ordinary submodules; they train with the student.
    """

    Params: ClassVar[type[DistillerParams]] = DistillerParams
    needs: ClassVar[frozenset[TeacherNeed]] = frozenset({"features", "logits"})
    uses_target: ClassVar[bool] = False
    """Whether ``forward`` reads the ground truth (IFVD's class prototypes do): such a
    distiller is applied to labelled batches only, never to unlabelled images."""
    search_space: ClassVar[SearchSpace] = {}
    """Default ``distill sweep`` space, paths relative to this component's parameters, e.g.
    ``{"temperature": {"float": [1.0, 8.0]}}``; searched beside the learning rate when the
    user gives no space of their own. Empty: nothing of this distiller is searched."""
    component_name: ClassVar[str] = ""
    """The registered name that build-time errors quote (a subclass registered under another
    name, as ``dual`` extends ``mpd``, sets its own)."""

    def __init__(
        self, params: DistillerParams, student: ModelSpec, teachers: Sequence[ModelSpec]
    ) -> None:
        super().__init__()
        self.params = params
        self.student_spec = student
        self.teacher_specs = list(teachers)

    @abstractmethod
    def forward(
        self, student: SegOutput, teachers: Sequence[SegOutput], target: Tensor
    ) -> dict[str, Tensor]:  # pragma: no cover - interface
        """Return scalar loss terms by name. A distiller weights its terms against each
        other with its own parameters (MPD's ``weight_feature``, SKD's ``weight_pixel``);
        the engine multiplies every term by the distiller's ``weight`` and the warm-up ramp
        and sums them with the task loss, so a term is never weighted by ``weight`` here."""


class FusionParams(Params):
    """Fusion blocks take their channel counts from the student, not from the user."""


class FusionBlock(nn.Module, metaclass=Contract):
    """Fuses feature maps of equal spatial size (channels ``in_channels[i]``) into one map
    with ``out_channels`` channels. The caller resizes inputs before fusing."""

    Params: ClassVar[type[FusionParams]] = FusionParams
    search_space: ClassVar[SearchSpace] = {}
    """Default ``distill sweep`` space over this block's parameters, searched when the run's
    student names this block (as ``Distiller.search_space``)."""

    def __init__(self, params: FusionParams, in_channels: Sequence[int], out_channels: int):
        super().__init__()
        self.params = params
        self.in_channels = list(in_channels)
        self.out_channels = out_channels

    @abstractmethod
    def forward(self, inputs: Sequence[Tensor]) -> Tensor:  # pragma: no cover - interface
        ...


IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class DatasetParams(Params):
    data_root: Path | None = Field(None, description="folder holding the dataset")
    skip_bad: bool = Field(False, description="skip unreadable items and report them")


@dataclass(frozen=True)
class SplitArrays:
    """One split, decoded and resized once: images (N, H, W, C) and masks (N, H, W), uint8."""

    images: np.ndarray
    masks: np.ndarray
    ids: list[str]

    def __len__(self) -> int:
        return len(self.ids)


class Dataset(metaclass=Contract):
    """A source of image/mask pairs. Class count and normalisation belong to the data."""

    Params: ClassVar[type[DatasetParams]] = DatasetParams
    num_classes: int = 2
    class_names: tuple[str, ...] = ("background", "foreground")
    in_channels: int = 3
    mean: tuple[float, ...] = IMAGENET_MEAN
    std: tuple[float, ...] = IMAGENET_STD
    split_origin: str = ""
    """How the splits were made when it is not obvious (e.g. "seeded stratified split of the
    training folder"); ``distill data`` prints it."""
    skipped: list[tuple[str, str]] = []  # noqa: RUF012 - read-only default; set per instance
    """(file, reason) of every item skipped as unreadable (``skip_bad``); the run folder
    records them. Assign a new list per instance, never append to this default."""

    def __init__(self, params: DatasetParams) -> None:
        self.params = params

    @abstractmethod
    def split_names(self) -> list[str]:
        """Splits available, e.g. ``["train", "val", "test"]``."""

    @abstractmethod
    def load(self, split: str, size: tuple[int, int]) -> SplitArrays:
        """Decoded, resized (images bilinear/area, masks nearest) uint8 arrays of a split."""


def logits_shape_ok(logits: Tensor, x: Tensor, num_classes: int) -> bool:
    return tuple(logits.shape) == (x.shape[0], num_classes, *x.shape[-2:])


@torch.no_grad()
def check_model_contract(
    model: SegmentationModel, name: str, size: tuple[int, int] = (64, 64)
) -> None:
    """Run one forward on zeros and fail with a message naming the plugin if the model
    breaks its declared contract. The engine calls this when it builds a model."""
    from distill.core.errors import PluginContractError

    if len(model.feature_channels) != len(model.feature_strides):
        raise PluginContractError(
            f"'{name}' declares {len(model.feature_channels)} feature channels but "
            f"{len(model.feature_strides)} strides"
        )
    if list(model.feature_strides) != sorted(model.feature_strides):
        raise PluginContractError(f"'{name}' must declare features finest first")
    was_training = model.training
    model.eval()
    try:
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
        x = torch.zeros(1, model.in_channels, *size, device=device)
        out = model(x)
    finally:
        model.train(was_training)
    if not isinstance(out, SegOutput):
        raise PluginContractError(f"'{name}' returned {type(out).__name__}, expected SegOutput")
    if not logits_shape_ok(out.logits, x, model.num_classes):
        raise PluginContractError(
            f"'{name}' logits have shape {tuple(out.logits.shape)}, expected "
            f"{(1, model.num_classes, *size)} (batch, classes, input height, input width)"
        )
    if len(out.features) != len(model.feature_strides):
        raise PluginContractError(
            f"'{name}' returned {len(out.features)} feature maps but declares "
            f"{len(model.feature_strides)} (strides {model.feature_strides})"
        )
    for i, (feat, ch, stride) in enumerate(
        zip(out.features, model.feature_channels, model.feature_strides, strict=True)
    ):
        expected = (1, ch, -(-size[0] // stride), -(-size[1] // stride))
        got = tuple(feat.shape)
        if (
            feat.ndim != 4
            or got[1] != ch
            or abs(got[2] - size[0] / stride) >= 1
            or abs(got[3] - size[1] / stride) >= 1
        ):
            raise PluginContractError(
                f"'{name}' feature {i} has shape {got}, but the declared channels {ch} and "
                f"stride {stride} give {expected} for a {size[0]}x{size[1]} input (NCHW)"
            )
