"""Swin-Unet baseline student (pure Swin transformer U-Net)."""

from distill import hookimpl
from distill.plugins.students.swinunet.model import SwinUnet

__all__ = ["SwinUnet"]


@hookimpl
def distill_register_students(register):
    register("swinunet", SwinUnet)
