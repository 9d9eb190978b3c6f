"""``distill.create`` and ``distill.components``: build and list registered components."""

from __future__ import annotations

from typing import Any

from distill.core.registry import Kind


def create(kind: Kind, name: str, *args: Any, **params: Any) -> Any:
    """Build a registered component with validated parameters.

    ``params`` are checked against the component's pydantic model (an unknown field or a
    wrong type raises :class:`distill.core.errors.ConfigError` naming the field); positional
    ``args`` are passed through to the constructor after the validated parameters.
    """
    from distill.core.plugins import registry

    return registry().get(kind, name).build(params, *args)


def components(kind: Kind) -> list[str]:
    """Names registered for ``kind`` (teacher, student, distiller, fusion, dataset, ...)."""
    from distill.core.plugins import registry

    return registry().names(kind)
