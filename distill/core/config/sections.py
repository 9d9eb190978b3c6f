"""What every config section is built from: strict models that refuse unknown keys and
booleans where a whole number is meant, and components written by name."""

from __future__ import annotations

from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo, field_validator


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


def as_component(value: Any) -> Any:
    return {"name": value} if isinstance(value, str) else value


def as_components(value: Any) -> Any:
    """A list of components from names, mappings or one of either (None: none)."""
    if value is None:
        return []
    return [as_component(x) for x in (value if isinstance(value, list) else [value])]
