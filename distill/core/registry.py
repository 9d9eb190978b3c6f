"""Components by kind and name, with their parameter models, and ``create()``."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, get_args

from pydantic import BaseModel, ValidationError

from distill.core.errors import ConfigError, DuplicateComponentError, UnknownComponentError

Kind = Literal["teacher", "student", "distiller", "fusion", "dataset", "logger"]
KINDS: tuple[Kind, ...] = get_args(Kind)


@dataclass(frozen=True)
class Component:
    kind: Kind
    name: str
    factory: Callable[..., Any]
    params: type[BaseModel]
    summary: str
    source: str

    def validate(self, values: dict[str, Any], where: str | None = None) -> BaseModel:
        """Validate user values against this component's model; errors name the field."""
        try:
            return self.params.model_validate(values)
        except ValidationError as err:
            raise ConfigError(
                format_validation_error(err, where or f"{self.kind} '{self.name}'", self.params)
            ) from None

    def build(self, values: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        return self.factory(self.validate(values), *args, **kwargs)

    def build_model(self, values: dict[str, Any], size: tuple[int, int]) -> Any:
        """Build a teacher or student for inputs of ``size``: models that fix their token
        grid when built (an ``img_size`` parameter, e.g. Swin) get it, the others ignore it."""
        if "img_size" in self.params.model_fields:
            values = {**values, "img_size": tuple(size)}
        return self.build(values)


def first_doc_line(obj: object) -> str:
    doc = (getattr(obj, "__doc__", None) or "").strip()
    return doc.splitlines()[0].strip() if doc else ""


def format_validation_error(
    err: ValidationError, where: str, model: type[BaseModel] | None = None
) -> str:
    """One line per problem: ``where: field 'a.b': what was wrong (got X)``."""
    lines = []
    for e in err.errors():
        path = ".".join(str(p) for p in e["loc"]) or "(root)"
        msg = e["msg"]
        if e["type"] == "extra_forbidden" and model is not None:
            parent = _model_at(model, e["loc"][:-1])
            names = list(parent.model_fields) if parent else []
            close = difflib.get_close_matches(str(e["loc"][-1]), names, n=1)
            hint = f" did you mean '{close[0]}'?" if close else ""
            msg = f"unknown field;{hint} valid fields: {', '.join(names) or '(none)'}"
        got = e.get("input")
        got_txt = "" if e["type"] in ("missing", "extra_forbidden") else f" (got {got!r})"
        lines.append(f"{where}: field '{path}': {msg}{got_txt}")
    return "\n".join(lines)


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The nested pydantic model that a validation error location points into."""
    import typing

    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if isinstance(current, type) else None
        if field is None:
            return None
        candidates = [field.annotation, *typing.get_args(field.annotation)]
        current = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if current is None:
            return None
    return current


class Registry:
    """Holds what plugins registered. Built by :mod:`distill.core.plugins`."""

    def __init__(self) -> None:
        self._by_kind: dict[str, dict[str, Component]] = {k: {} for k in KINDS}

    def add(
        self,
        kind: Kind,
        name: str,
        factory: Callable[..., Any],
        *,
        source: str,
        params: type[BaseModel] | None = None,
        summary: str | None = None,
    ) -> Component:
        params = params or getattr(factory, "Params", None)
        if params is None or not (isinstance(params, type) and issubclass(params, BaseModel)):
            raise ConfigError(
                f"{kind} '{name}' from {source}: needs a pydantic parameter model "
                "(a 'Params' class attribute or register(..., params=Model))"
            )
        existing = self._by_kind[kind].get(name)
        if existing is not None:
            raise DuplicateComponentError(
                f"{kind} '{name}' is registered twice: by '{existing.source}' and by '{source}'"
            )
        component = Component(
            kind, name, factory, params, summary or first_doc_line(factory), source
        )
        self._by_kind[kind][name] = component
        return component

    def remove_source(self, source: str) -> None:
        for table in self._by_kind.values():
            for name in [n for n, c in table.items() if c.source == source]:
                del table[name]

    def names(self, kind: Kind) -> list[str]:
        return sorted(self._by_kind[_check_kind(kind)])

    def all(self, kind: Kind | None = None) -> Iterable[Component]:
        kinds = [kind] if kind else KINDS
        for k in kinds:
            yield from (self._by_kind[k][n] for n in sorted(self._by_kind[k]))

    def get(self, kind: Kind, name: str) -> Component:
        """Look up a component; any student may also serve as a teacher."""
        table = self._by_kind[_check_kind(kind)]
        if name in table:
            return table[name]
        if kind == "teacher" and name in self._by_kind["student"]:
            return self._by_kind["student"][name]
        valid = list(table) + (list(self._by_kind["student"]) if kind == "teacher" else [])
        raise UnknownComponentError(kind, name, valid)

    def find(self, name: str) -> list[Component]:
        """Every component of any kind with this name (for ``distill plugins show``)."""
        return [t[name] for t in self._by_kind.values() if name in t]


def _check_kind(kind: str) -> Kind:
    if kind not in KINDS:
        raise UnknownComponentError("kind", kind, KINDS)
    return kind  # type: ignore[return-value]
