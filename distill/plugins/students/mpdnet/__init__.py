"""MPDNet student package: encoder.py, decoder.py, model.py; registered here."""

from distill import hookimpl
from distill.plugins.students.mpdnet.model import MPDNet

__all__ = ["MPDNet"]


@hookimpl
def distill_register_students(register):
    register("mpdnet", MPDNet)
