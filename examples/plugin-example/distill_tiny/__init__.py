"""A complete third-party distill plugin: one student, registered through a hook."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor, nn

from distill import SegOutput, Student, hookimpl
from distill.core.interfaces import ModelParams


def conv_bn_relu(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True)
    )


class TinyNet(Student):
    """Tiny two-scale CNN (strides 4 and 8): a template for writing students."""

    class Params(ModelParams):
        width: int = Field(16, ge=4, description="channels at stride 4 (doubled at stride 8)")

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        w = params.width
        self.stem = nn.Sequential(conv_bn_relu(params.in_channels, w, 2), conv_bn_relu(w, w, 2))
        self.down = conv_bn_relu(w, 2 * w, 2)
        self.head = nn.Conv2d(3 * w, params.num_classes, 1)
        self.feature_channels = [w, 2 * w]
        self.feature_strides = [4, 8]

    def forward(self, x: Tensor) -> SegOutput:
        f4 = self.stem(x)
        f8 = self.down(f4)
        up = F.interpolate(f8, size=f4.shape[-2:], mode="bilinear", align_corners=False)
        logits = self.head(torch.cat([f4, up], dim=1))
        logits = F.interpolate(logits, size=x.shape[-2:], mode="bilinear", align_corners=False)
        return SegOutput(logits=logits, features=[f4, f8])


@hookimpl
def distill_register_students(register):
    register("tiny", TinyNet)
