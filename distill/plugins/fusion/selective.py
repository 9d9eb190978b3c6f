"""Selective Fusion: SK-style attention that picks, per channel, how much of each branch
to keep (our reading of the paper's fusion module; see DESIGN.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import torch
from pydantic import Field, field_validator
from torch import Tensor, nn

from distill import hookimpl
from distill.core.interfaces import FusionBlock, FusionParams
from distill.nn import ConvNormAct, projection

Branch = Literal["skip", "deeper", "context"]


class SelectiveFusion(FusionBlock):
    """Selective Fusion (SK-style): softmax over branches per channel, weighted sum."""

    search_space: ClassVar[dict[str, Any]] = {
        "reduction": {"choices": [2, 4, 8, 16]},
        "context_dilation": {"int": [1, 4]},
    }
    """Default `distill sweep` space over this component's parameters."""

    class Params(FusionParams):
        branches: list[Branch] = Field(
            ["skip", "deeper", "context"],
            description="branches to select among: the skip input, the deeper input(s), and a "
            "dilated-context branch computed from their sum",
        )
        reduction: int = Field(4, ge=1, description="bottleneck reduction ratio of the squeeze")
        min_hidden: int = Field(8, ge=1, description="smallest bottleneck width")
        context_dilation: int = Field(2, ge=1, description="dilation of the context branch")

        @field_validator("branches")
        @classmethod
        def _non_empty_unique(cls, value: list[str]) -> list[str]:
            if not value or len(set(value)) != len(value):
                raise ValueError("give at least one branch, each at most once")
            return value

    def __init__(self, params: Params, in_channels: Sequence[int], out_channels: int) -> None:
        super().__init__(params, in_channels, out_channels)
        self.projections = nn.ModuleList(projection(c, out_channels) for c in self.in_channels)
        self.use_skip = "skip" in params.branches
        self.use_deeper = "deeper" in params.branches and len(self.in_channels) > 1
        self.context = None
        if "context" in params.branches:
            d = params.context_dilation
            self.context = nn.Sequential(  # depthwise dilated 3x3 + pointwise: wide, cheap
                nn.Conv2d(
                    out_channels,
                    out_channels,
                    3,
                    padding=d,
                    dilation=d,
                    groups=out_channels,
                    bias=False,
                ),
                ConvNormAct(out_channels, out_channels, 1),
            )
        self.num_branches = (
            int(self.use_skip)
            + (len(self.in_channels) - 1 if self.use_deeper else 0)
            + int(self.context is not None)
        )
        if self.num_branches == 0:
            raise ValueError("selective fusion: the chosen branches leave nothing to fuse")
        hidden = max(out_channels // params.reduction, params.min_hidden)
        self.squeeze = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(out_channels, hidden, 1),  # no BN: a 1x1 map breaks it at batch 1
            nn.ReLU(inplace=True),
        )
        self.select = nn.Conv2d(hidden, out_channels * self.num_branches, 1)
        self.last_weights: Tensor | None = None

    def branch_maps(self, inputs: Sequence[Tensor]) -> list[Tensor]:
        projected = [proj(x) for proj, x in zip(self.projections, inputs, strict=True)]
        branches = []
        if self.use_skip:
            branches.append(projected[0])
        if self.use_deeper:
            branches.extend(projected[1:])
        if self.context is not None:
            branches.append(self.context(torch.stack(projected).sum(0)))
        return branches

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        branches = self.branch_maps(inputs)
        stacked = torch.stack(branches, dim=1)  # (B, branches, C, H, W)
        logits = self.select(self.squeeze(stacked.sum(1)))  # (B, branches*C, 1, 1)
        weights = logits.view(stacked.shape[0], self.num_branches, self.out_channels, 1, 1)
        weights = weights.softmax(dim=1)
        self.last_weights = weights.detach().flatten(2)  # (B, branches, C): sums to 1 on dim 1
        return (stacked * weights).sum(1)


@hookimpl
def distill_register_fusion_blocks(register):
    register("selective", SelectiveFusion)
