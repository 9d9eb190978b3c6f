"""Loss functions shared by several distillers (kept free of any module state)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


def pixel_kd(student_logits: Tensor, teacher_logits: Tensor, temperature: float = 1.0) -> Tensor:
    """Pixel-wise knowledge distillation (Hinton et al. 2015 applied per pixel).

    KL(softmax(t/T) || softmax(s/T)) summed over classes, averaged over pixels and batch,
    times T^2 so gradient size does not shrink as T grows. Teacher logits are resized to the
    student's size when they differ, and detached: the teacher is never trained here.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive (got {temperature})")
    teacher = as_constant(teacher_logits)
    if teacher.shape[-2:] != student_logits.shape[-2:]:
        teacher = F.interpolate(
            teacher, size=student_logits.shape[-2:], mode="bilinear", align_corners=False
        )
    log_p_student = F.log_softmax(student_logits / temperature, dim=1)
    log_p_teacher = F.log_softmax(teacher.float() / temperature, dim=1)
    kl = (log_p_teacher.exp() * (log_p_teacher - log_p_student)).sum(dim=1)
    return kl.mean() * temperature**2


def as_constant(tensor: Tensor) -> Tensor:
    """A teacher tensor safe to use in the student's graph: detached, and cloned out of
    inference mode (inference tensors cannot be saved for backward)."""
    tensor = tensor.detach()
    return tensor.clone() if tensor.is_inference() else tensor
