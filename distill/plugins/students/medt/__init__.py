"""MedT baseline student (gated axial attention, local-global training)."""

from distill import hookimpl
from distill.plugins.students.medt.model import MedT

__all__ = ["MedT"]


@hookimpl
def distill_register_students(register):
    register("medt", MedT)
