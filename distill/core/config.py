"""RunConfig: one validated description of an experiment, from YAML + flags + ``--set``.

Components are written as ``{name: mpdnet, fusion: concat}`` (or just ``mpdnet``); their
parameters are validated against the component's own pydantic model by :func:`resolve`, so
a config file, a CLI flag and an Optuna search space are all checked by one schema.
"""

from __future__ import annotations

from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from distill.core.errors import ConfigError
from distill.core.registry import Kind, Registry, format_validation_error


def _words_for_yaml_booleans(on: str) -> BeforeValidator:
    """YAML 1.1 reads a bare on/off as a boolean; take it back as a word: ``off`` stays
    "off", ``on`` becomes ``on`` (for autocast, its one dtype: "bf16")."""
    return BeforeValidator(lambda v: {True: on, False: "off"}[v] if isinstance(v, bool) else v)


Switch = Annotated[Literal["auto", "on", "off"], _words_for_yaml_booleans("on")]
Amp = Annotated[Literal["auto", "bf16", "off"], _words_for_yaml_booleans("bf16")]


def _only_int(annotation: Any) -> bool:
    """Whether a field of this type takes whole numbers and not booleans."""
    union = isinstance(annotation, UnionType) or get_origin(annotation) is Union
    options = get_args(annotation) if union else (annotation,)
    return int in options and bool not in options


def bool_where_int(annotation: Any, value: Any) -> bool:
    """Whether ``value`` holds a boolean where ``annotation`` wants an int (also inside a
    tuple or list of ints). Pydantic reads True as 1, so ``--set train.epochs=true`` (or
    YAML's ``epochs: yes``) would silently train one epoch."""
    if isinstance(value, bool):
        return _only_int(annotation)
    args = [a for a in get_args(annotation) if a is not Ellipsis]
    if not isinstance(value, (list, tuple)) or get_origin(annotation) not in (list, tuple):
        return False
    fixed = get_origin(annotation) is tuple and len(args) == len(value) > 1
    pairs = zip(args, value, strict=True) if fixed else ((args[0], v) for v in value)
    return bool(args) and any(bool_where_int(a, v) for a, v in pairs)


def reject_bool_for_int(model: type[BaseModel], value: Any, info: ValidationInfo) -> Any:
    """A ``field_validator("*", mode="before")`` body: integer fields refuse booleans."""
    field = model.model_fields.get(info.field_name or "")
    if field is not None and bool_where_int(field.annotation, value):
        raise ValueError("expected a whole number, not a boolean")
    return value


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    @field_validator("*", mode="before")
    @classmethod
    def _ints_are_not_booleans(cls, value: Any, info: ValidationInfo) -> Any:
        return reject_bool_for_int(cls, value, info)


class ComponentConfig(BaseModel):
    """A component by name plus its parameters (validated later against its own model)."""

    model_config = ConfigDict(extra="allow")
    name: str

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


def _component(value: Any) -> Any:
    return {"name": value} if isinstance(value, str) else value


def _components(value: Any) -> Any:
    """A list of components from names, mappings or one of either (None: none)."""
    if value is None:
        return []
    return [_component(x) for x in (value if isinstance(value, list) else [value])]


class AugmentParams(Section):
    """Batched, on-device augmentation applied identically to images and masks."""

    enabled: bool = Field(True, description="augment training batches")
    hflip: float = Field(0.5, ge=0, le=1, description="probability of a horizontal flip")
    vflip: float = Field(0.5, ge=0, le=1, description="probability of a vertical flip")
    rotate: float = Field(30.0, ge=0, le=180, description="max rotation, degrees")
    scale: tuple[float, float] = Field((0.85, 1.15), description="zoom range")
    translate: float = Field(0.05, ge=0, le=0.5, description="max shift, fraction of size")
    affine_p: float = Field(0.7, ge=0, le=1, description="probability of the affine jitter")
    elastic_p: float = Field(0.0, ge=0, le=1, description="probability of elastic jitter")
    brightness: float = Field(0.15, ge=0, le=1, description="colour jitter: brightness")
    contrast: float = Field(0.15, ge=0, le=1, description="colour jitter: contrast")
    saturation: float = Field(0.1, ge=0, le=1, description="colour jitter: saturation")
    hue: float = Field(0.02, ge=0, le=0.5, description="colour jitter: hue")
    color_p: float = Field(0.8, ge=0, le=1, description="probability of colour jitter")
    # robustness passes (issue #24): each off at probability 0, the default
    zoom_p: float = Field(0.0, ge=0, le=1, description="probability of a wide zoom (0: off)")
    zoom: tuple[float, float] = Field(
        (0.4, 2.0),
        description="wide zoom range, log-uniform: < 1 zooms out (smaller lesions, padded "
        "borders), > 1 is a random resized crop; placed anywhere it fits",
    )
    padding: Literal["zeros", "reflection", "border"] = Field(
        "zeros", description="what fills the frame outside the warped image (zeros: black)"
    )
    hair_p: float = Field(0.0, ge=0, le=1, description="probability of synthetic hair strands")
    hair: int = Field(8, ge=1, le=64, description="most hair strands per image")
    ruler_p: float = Field(0.0, ge=0, le=1, description="probability of a ruler's tick marks")
    ruler: float = Field(0.9, ge=0, le=1, description="strongest opacity of ruler marks")
    ink_p: float = Field(0.0, ge=0, le=1, description="probability of ink circles and dots")
    ink: float = Field(0.8, ge=0, le=1, description="strongest opacity of ink marks")
    bubble_p: float = Field(0.0, ge=0, le=1, description="probability of gel bubbles/glints")
    bubble: int = Field(6, ge=1, le=64, description="most bubbles and specular spots per image")
    vignette_p: float = Field(0.0, ge=0, le=1, description="probability of vignetting")
    vignette: float = Field(0.6, ge=0, le=1, description="strongest darkening at the corners")
    rim_p: float = Field(0.0, ge=0, le=1, description="probability of a dark dermoscope rim")
    rim: float = Field(
        0.35, ge=0, le=0.9, description="how far the rim reaches in, share of the half-diagonal"
    )
    illuminant_p: float = Field(
        0.0, ge=0, le=1, description="probability of an illuminant change (per-channel gains)"
    )
    illuminant: float = Field(0.2, ge=0, le=1, description="largest log-gain of one channel")
    blur_p: float = Field(0.0, ge=0, le=1, description="probability of Gaussian blur")
    blur: float = Field(
        0.012, gt=0, le=0.1, description="largest blur sigma, share of the shorter side"
    )
    jpeg_p: float = Field(0.0, ge=0, le=1, description="probability of JPEG degradation")
    jpeg: tuple[int, int] = Field((30, 90), description="JPEG quality range (1..100)")

    @field_validator("zoom")
    @classmethod
    def _zoom_ok(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not 0 < v[0] <= v[1] <= 10:
            raise ValueError("zoom must be (low, high) with 0 < low <= high <= 10")
        return v

    @field_validator("jpeg")
    @classmethod
    def _quality_ok(cls, v: tuple[int, int]) -> tuple[int, int]:
        if not 1 <= v[0] <= v[1] <= 100:
            raise ValueError("jpeg must be (low, high) qualities with 1 <= low <= high <= 100")
        return v


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

    _dataset = field_validator("dataset", mode="before")(_component)
    _unlabeled = field_validator("unlabeled", mode="before")(
        lambda v: None if v is None else _component(v)
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

    _loggers = field_validator("loggers", mode="before")(_components)


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

    _student = field_validator("student", mode="before")(_component)

    @field_validator("teachers", "distillers", mode="before")
    @classmethod
    def _component_list(cls, v: Any) -> Any:
        if v is None:
            return []
        return [_component(x) for x in (v if isinstance(v, list) else [v])]

    def run_name(self) -> str:
        if self.name:
            return self.name
        distillers = "+".join(d.name for d in self.distillers) or "none"
        return f"{self.student.name}-{distillers}-{self.data.dataset.name}-s{self.seed}"


# ---------------------------------------------------------------------------- overrides

ALIASES = {"teacher": "teachers", "distiller": "distillers"}


def set_path(tree: dict[str, Any], path: str, value: Any) -> None:
    """Set ``a.b.c`` in a nested dict. ``teacher.x``/``distiller.x`` address the single
    entry of the list; ``distiller.kd.weight`` or ``distillers.1.weight`` pick one."""
    keys = path.split(".")
    if not all(keys):
        raise ConfigError(f"--set {path}: empty key in path")
    node: Any = tree
    for i, key in enumerate(keys):
        last = i == len(keys) - 1
        if isinstance(node, list):
            node = _list_item(node, key, ".".join(keys[:i]))
            if last:
                raise ConfigError(f"--set {path}: cannot replace a whole component this way")
            continue
        if not isinstance(node, dict):
            raise ConfigError(f"--set {path}: '{'.'.join(keys[:i])}' is not a section")
        alias = ALIASES.get(key)
        if alias and i == 0:
            key = alias
            items = node.get(key)
            if last:
                node[key] = value
                return
            if isinstance(items, list):
                items[:] = [{"name": x} if isinstance(x, str) else x for x in items]
            if isinstance(items, list) and len(items) == 1 and not _names(items, keys[i + 1]):
                node = items[0]
                continue
        if last:
            node[key] = value
            return
        if key in ("student", "dataset") and isinstance(node.get(key), str):
            node[key] = {"name": node[key]}
        node = node.setdefault(key, {})


def _names(items: list[Any], key: str) -> bool:
    return key.isdigit() or any(isinstance(x, dict) and x.get("name") == key for x in items)


def _list_item(items: list[Any], key: str, where: str) -> Any:
    for i, item in enumerate(items):
        if isinstance(item, str):
            items[i] = item = {"name": item}
        if key.isdigit() and int(key) == i or item.get("name") == key:
            return item
    names = [x["name"] if isinstance(x, dict) else x for x in items]
    raise ConfigError(f"--set: '{where}' has no entry '{key}' (entries: {names})")


def parse_override(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise ConfigError(f"--set expects PATH=VALUE, got '{text}'")
    path, raw = text.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return path.strip(), value


def load_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except FileNotFoundError:
        raise ConfigError(f"config file '{path}' does not exist") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"config file '{path}' is not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file '{path}' must hold a mapping at the top level")
    return data


def merge(defaults: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge mappings; lists and scalars in ``values`` replace the defaults."""
    out = dict(defaults)
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def build_config(
    base: dict[str, Any] | None = None, overrides: list[str] | tuple[str, ...] = ()
) -> RunConfig:
    """Apply ``--set`` overrides to a plain mapping and validate the result."""
    tree = merge(RunConfig().model_dump(mode="json", exclude_none=True), base or {})
    for text in overrides:
        set_path(tree, *parse_override(text))
    try:
        return RunConfig.model_validate(tree)
    except ValidationError as err:
        raise ConfigError(format_validation_error(err, "config", RunConfig)) from None


# ---------------------------------------------------------------------------- resolution

INJECTED = ("num_classes", "in_channels", "img_size")


def resolve_component(
    registry: Registry,
    kind: Kind,
    comp: ComponentConfig,
    where: str,
    injected: dict[str, Any] | None = None,
) -> ComponentConfig:
    """Validate a component's parameters and fill in its defaults."""
    component = registry.get(kind, comp.name)
    values = dict(comp.params)
    fields = component.params.model_fields
    for key, value in (injected or {}).items():
        if key not in fields:
            continue
        if key in values and key != "img_size" and values[key] != value:
            raise ConfigError(
                f"{where}.{key} = {values[key]!r} but the dataset gives {value!r}; "
                "remove it, it is taken from the data"
            )
        values[key] = value
    validated = component.validate(values, where=f"{where} ({comp.name})")
    dumped = validated.model_dump(mode="json")
    for key in INJECTED:
        dumped.pop(key, None)
    return ComponentConfig(name=comp.name, **dumped)


def resolve(
    cfg: RunConfig, registry: Registry, injected: dict[str, Any] | None = None
) -> RunConfig:
    """Validate every component against its parameter model; unknown names list valid ones."""
    resolved = cfg.model_copy(deep=True)
    resolved.data.dataset = resolve_component(registry, "dataset", cfg.data.dataset, "data.dataset")
    if cfg.data.unlabeled is not None:
        resolved.data.unlabeled = resolve_component(
            registry, "dataset", cfg.data.unlabeled, "data.unlabeled"
        )
    resolved.student = resolve_component(registry, "student", cfg.student, "student", injected)
    resolved.teachers = [
        resolve_component(registry, "teacher", t, f"teachers.{i}", injected)
        for i, t in enumerate(cfg.teachers)
    ]
    resolved.distillers = [
        resolve_component(registry, "distiller", d, f"distillers.{i}")
        for i, d in enumerate(cfg.distillers)
    ]
    resolved.train.loggers = [
        resolve_component(registry, "logger", c, f"train.loggers.{i}")
        for i, c in enumerate(cfg.train.loggers)
    ]
    needs_teacher = any(registry.get("distiller", d.name).factory.needs for d in cfg.distillers)
    if needs_teacher and not cfg.teachers:
        names = ", ".join(d.name for d in cfg.distillers)
        raise ConfigError(f"distiller(s) {names} need a teacher: add --teacher NAME")
    return resolved


def to_yaml(cfg: RunConfig) -> str:
    return yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False)
