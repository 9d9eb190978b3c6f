"""HiFormer baseline (hybrid): registers the ``hiformer`` student."""

from distill import hookimpl
from distill.plugins.students.hiformer.model import HiFormer

__all__ = ["HiFormer"]


@hookimpl
def distill_register_students(register) -> None:  # noqa: ANN001 - pluggy callback
    register("hiformer", HiFormer)
