"""TransUNet baseline (hybrid): registers the ``transunet`` student."""

from distill import hookimpl
from distill.plugins.students.transunet.model import TransUNet

__all__ = ["TransUNet"]


@hookimpl
def distill_register_students(register) -> None:  # noqa: ANN001 - pluggy callback
    register("transunet", TransUNet)
