"""TinyNet: the example plugin's student, a two-scale CNN."""

from __future__ import annotations

import torch
from pydantic import Field
from torch import Tensor, nn

from distill.core.interfaces import ModelParams, SegOutput, Student
from distill.nn import ConvNormAct, resize_to


class TinyNet(Student):
    """Tiny two-scale CNN (strides 4 and 8): a template for writing students."""

    class Params(ModelParams):
        width: int = Field(16, ge=4, description="channels at stride 4 (doubled at stride 8)")

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        w = params.width
        self.stem = nn.Sequential(
            ConvNormAct(params.in_channels, w, stride=2), ConvNormAct(w, w, stride=2)
        )
        self.down = ConvNormAct(w, 2 * w, stride=2)
        self.head = nn.Conv2d(3 * w, params.num_classes, 1)
        self.feature_channels = [w, 2 * w]
        self.feature_strides = [4, 8]

    def forward(self, x: Tensor) -> SegOutput:
        f4 = self.stem(x)
        f8 = self.down(f4)
        logits = self.head(torch.cat([f4, resize_to(f8, f4)], dim=1))
        logits = resize_to(logits, x)
        return SegOutput(logits=logits, features=[f4, f8])
