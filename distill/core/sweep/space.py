"""Search spaces: config paths mapped to float, int or categorical ranges.

A space is validated against the same schema as a run: every path is applied to the base
config with a sample value and the result resolved, so a typo fails before the first trial.
Built-in components ship a default space as a ``search_space`` class attribute, written
relative to the component (``{"weight_feature": {"float": [0.1, 10], "log": true}}``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import optuna
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from distill.core.config import RunConfig, build_config, resolve
from distill.core.errors import ConfigError
from distill.core.registry import Registry, format_validation_error


class Dimension(BaseModel):
    """One searched value: exactly one of ``float``, ``int`` or ``choices``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    float_: tuple[float, float] | None = None
    int_: tuple[int, int] | None = None
    choices: list[Any] | None = None
    log: bool = False
    step: float | None = None

    def __init__(self, **data: Any) -> None:
        for key in ("float", "int"):
            if key in data:
                data[f"{key}_"] = data.pop(key)
        super().__init__(**data)

    @model_validator(mode="after")
    def _one_kind(self) -> Dimension:
        kinds = [k for k in ("float_", "int_", "choices") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(
                "give exactly one of 'float: [low, high]', 'int: [low, high]' or 'choices: [...]'"
            )
        return self

    @property
    def kind(self) -> Literal["float", "int", "categorical"]:
        if self.float_ is not None:
            return "float"
        return "int" if self.int_ is not None else "categorical"

    def sample(self, trial: optuna.Trial, path: str) -> Any:
        if self.float_ is not None:
            return trial.suggest_float(path, *self.float_, log=self.log, step=self.step)
        if self.int_ is not None:
            return trial.suggest_int(path, *self.int_, log=self.log, step=int(self.step or 1))
        # Optuna stores categorical choices as primitives: lists go through their YAML text.
        labels = [json.dumps(c) for c in self.choices or []]
        return json.loads(trial.suggest_categorical(path, labels))

    def examples(self) -> list[Any]:
        if self.float_ is not None:
            return list(self.float_)
        if self.int_ is not None:
            return list(self.int_)
        return list(self.choices or [])


Space = dict[str, Dimension]


def parse_space(raw: dict[str, Any], where: str) -> Space:
    space: Space = {}
    for path, spec in raw.items():
        try:
            space[path] = Dimension(**(spec or {}))
        except (ValidationError, TypeError) as err:
            detail = (
                format_validation_error(err, f"{where}: '{path}'")
                if isinstance(err, ValidationError)
                else f"{where}: '{path}': {err}"
            )
            raise ConfigError(detail) from None
    if not space:
        raise ConfigError(f"{where}: the search space is empty")
    return space


def load_space(path: Path) -> Space:
    try:
        raw = yaml.safe_load(Path(path).read_text()) or {}
    except FileNotFoundError:
        raise ConfigError(f"search space file '{path}' does not exist") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"search space file '{path}' must map config paths to ranges")
    return parse_space(raw, str(path))


def default_space(cfg: RunConfig, registry: Registry) -> Space:
    """The shipped spaces of the run's distillers and student fusion block, plus lr."""
    raw: dict[str, Any] = {"train.lr": {"float": [3e-4, 5e-3], "log": True}}
    single = len(cfg.distillers) == 1
    for i, d in enumerate(cfg.distillers):
        prefix = "distiller" if single else f"distillers.{i}"
        own = getattr(registry.get("distiller", d.name).factory, "search_space", {}) or {}
        raw.update({f"{prefix}.{k}": v for k, v in own.items()})
    student = registry.get("student", cfg.student.name)
    if "fusion" in student.params.model_fields:
        chosen = cfg.student.params.get("fusion")
        if chosen is None:  # compare the blocks themselves
            raw["student.fusion"] = {"choices": registry.names("fusion")}
        else:  # the user fixed the block: tune its own parameters
            own = getattr(registry.get("fusion", chosen).factory, "search_space", {}) or {}
            raw.update({f"student.fusion_params.{k}": v for k, v in own.items()})
    return parse_space(raw, "default search space")


def validate_space(
    space: Space, base: dict[str, Any], registry: Registry, injected: dict[str, Any]
) -> None:
    """Apply each path's extreme values to the base config and resolve it."""
    for path, dim in space.items():
        for value in dim.examples():
            overrides = [f"{path}={json.dumps(value)}"]
            try:
                resolve(build_config(base, overrides), registry, injected)
            except ConfigError as err:
                raise ConfigError(f"search space path '{path}' (value {value!r}): {err}") from None
