"""Loss functions several distillers share (free of module state)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from distill.nn.resize import resize_to


def pixel_kd(student_logits: Tensor, teacher_logits: Tensor, temperature: float = 1.0) -> Tensor:
    """Pixel-wise knowledge distillation (Hinton et al. 2015 applied per pixel).

    KL(softmax(t/T) || softmax(s/T)) summed over classes, averaged over pixels and batch,
    times T^2 so gradient size does not shrink as T grows. Teacher logits are resized to the
    student's size when they differ, and detached: the teacher is never trained here.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive (got {temperature})")
    teacher = resize_to(as_constant(teacher_logits), student_logits)
    log_p_student = F.log_softmax(student_logits / temperature, dim=1)
    log_p_teacher = F.log_softmax(teacher.float() / temperature, dim=1)
    kl = (log_p_teacher.exp() * (log_p_teacher - log_p_student)).sum(dim=1)
    return kl.mean() * temperature**2


def ensemble_logits(teacher_logits: Sequence[Tensor], temperature: float) -> Tensor:
    """Logits whose softmax at ``temperature`` is the mean of the teachers' softened class
    probabilities: multi-teacher KD (You et al., KDD 2017) through the one-teacher
    ``pixel_kd``. Computed as T * log(mean_i softmax(t_i / T)) with logsumexp, so no pixel
    underflows to log(0). Maps are resized to the first teacher's size when they differ."""
    if not teacher_logits:
        raise ValueError("ensemble_logits needs at least one teacher's logits")
    if len(teacher_logits) == 1:  # one teacher's own logits already have that softmax
        return as_constant(teacher_logits[0])
    first = teacher_logits[0]
    log_probs = [
        F.log_softmax(resize_to(as_constant(t).float(), first) / temperature, dim=1)
        for t in teacher_logits
    ]
    mean = torch.logsumexp(torch.stack(log_probs), dim=0) - math.log(len(log_probs))
    return temperature * mean


def as_constant(tensor: Tensor) -> Tensor:
    """A teacher tensor safe to use in the student's graph: detached, and cloned out of
    inference mode (inference tensors cannot be saved for backward)."""
    tensor = tensor.detach()
    return tensor.clone() if tensor.is_inference() else tensor
