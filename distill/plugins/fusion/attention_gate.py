"""Attention-gate fusion (Oktay et al. 2018, Attention U-Net): the deeper map, which knows
*what* is where coarsely, gates the skip map so irrelevant detail is suppressed."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from pydantic import Field
from torch import Tensor, nn

from distill import hookimpl
from distill.core.interfaces import FusionBlock, FusionParams
from distill.nn import ConvNormAct


class AttentionGateFusion(FusionBlock):
    """Attention U-Net gate: the deeper map gates the skip, then concat + conv."""

    class Params(FusionParams):
        inter_ratio: float = Field(
            0.5, gt=0.0, le=4.0, description="gate width as a fraction of the skip's channels"
        )

    def __init__(self, params: Params, in_channels: Sequence[int], out_channels: int) -> None:
        super().__init__(params, in_channels, out_channels)
        if len(self.in_channels) < 2:
            raise ValueError("attention-gate fusion needs a skip and a deeper map")
        skip, gate = self.in_channels[0], sum(self.in_channels[1:])
        inter = max(1, round(skip * params.inter_ratio))
        self.theta_skip = nn.Sequential(
            nn.Conv2d(skip, inter, 1, bias=False), nn.BatchNorm2d(inter)
        )
        self.phi_gate = nn.Sequential(nn.Conv2d(gate, inter, 1, bias=False), nn.BatchNorm2d(inter))
        self.psi = nn.Sequential(nn.ReLU(inplace=True), nn.Conv2d(inter, 1, 1), nn.Sigmoid())
        self.mix = ConvNormAct(skip + gate, out_channels, 3)
        self.last_gate: Tensor | None = None

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        skip, deeper = inputs[0], torch.cat(list(inputs[1:]), dim=1)
        gate = self.psi(self.theta_skip(skip) + self.phi_gate(deeper))  # (B, 1, H, W) in (0, 1)
        self.last_gate = gate.detach()
        return self.mix(torch.cat([skip * gate, deeper], dim=1))


@hookimpl
def distill_register_fusion_blocks(register):
    register("attention-gate", AttentionGateFusion)
