"""distill: knowledge distillation for 2D medical image segmentation.

The Python API mirrors the CLI::

    import distill
    distill.components("student")                     # registered names
    model = distill.create("student", "mpdnet", num_classes=3)
    fuse = distill.create("fusion", "selective", [64, 64], 64)   # extra args go to the class
"""

from __future__ import annotations

from typing import Any

from distill.core.hookspecs import hookimpl
from distill.core.interfaces import (
    Dataset,
    Distiller,
    FusionBlock,
    ModelSpec,
    SegOutput,
    Student,
    Teacher,
)
from distill.core.registry import Kind

__version__ = "0.1.0"
__all__ = [
    "Dataset",
    "Distiller",
    "FusionBlock",
    "ModelSpec",
    "SegOutput",
    "Student",
    "Teacher",
    "components",
    "create",
    "hookimpl",
]


def create(kind: Kind, name: str, *args: Any, **params: Any) -> Any:
    """Build a registered component with validated parameters.

    ``params`` are checked against the component's pydantic model (an unknown field or a
    wrong type raises :class:`distill.core.errors.ConfigError` naming the field); positional
    ``args`` are passed through to the constructor after the validated parameters.
    """
    from distill.core.plugins import registry

    return registry().get(kind, name).build(params, *args)


def components(kind: Kind) -> list[str]:
    """Names registered for ``kind`` (teacher, student, distiller, fusion, dataset)."""
    from distill.core.plugins import registry

    return registry().names(kind)
