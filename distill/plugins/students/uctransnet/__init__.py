"""UCTransNet baseline student (U-Net + channel transformer skips)."""

from distill import hookimpl
from distill.plugins.students.uctransnet.model import UCTransNet

__all__ = ["UCTransNet"]


@hookimpl
def distill_register_students(register):
    register("uctransnet", UCTransNet)
