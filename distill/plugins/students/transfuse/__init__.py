"""TransFuse baseline (hybrid): registers the ``transfuse`` student."""

from distill import hookimpl
from distill.plugins.students.transfuse.model import TransFuse

__all__ = ["TransFuse"]


@hookimpl
def distill_register_students(register) -> None:  # noqa: ANN001 - pluggy callback
    register("transfuse", TransFuse)
