"""MISSFormer baseline student (Enhanced Transformer blocks + context bridge)."""

from distill import hookimpl
from distill.plugins.students.missformer.model import MISSFormer

__all__ = ["MISSFormer"]


@hookimpl
def distill_register_students(register):
    register("missformer", MISSFormer)
