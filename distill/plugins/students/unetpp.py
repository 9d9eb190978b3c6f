"""UNet++ baseline (Zhou et al., DLMIA 2018): nested, densely connected skip pathways."""

from __future__ import annotations

from typing import ClassVar

import torch
from pydantic import Field
from torch import Tensor, nn

from distill import hookimpl
from distill.core.interfaces import Family, ModelParams, SegOutput, Student
from distill.nn import DoubleConv, PlainEncoder, resize_to

DEPTH = 5  # encoder levels X^{0,0} .. X^{4,0}


class UNetPlusPlus(Student):
    """UNet++ (Zhou 2018): nested dense skip pathways, optional deep supervision; any input size.

    Node X^{i,j} (level i, column j >= 1) is a double conv over the concatenation of
    X^{i,0..j-1} and the 2x2 transposed-conv upsampling of X^{i+1,j-1}, as in the authors'
    Keras code (Conv2DTranspose to the level's width). Widths 32..512 as published; BN after
    each conv instead of the authors' dropout (BN adds <0.1% parameters).
    With ``deep_supervision`` the four heads on X^{0,1..4} are averaged into ``logits``
    ("accurate mode" of the paper); ``forward_heads`` returns them one by one for a
    per-head loss. Published: 9.04M (Zhou 2018, Table 1, UNet++ with or without deep
    supervision); features are the encoder column X^{i,0} (strides 1..16).
    """

    family: ClassVar[Family] = "cnn"
    published_params: ClassVar[float] = 9.04
    published_source: ClassVar[str] = "Zhou et al., UNet++, DLMIA 2018, Table 1 (9.04M)"

    class Params(ModelParams):
        base_width: int = Field(32, ge=1, description="channels of level 0 (doubles per level)")
        deep_supervision: bool = Field(
            False, description="average 1x1 heads on all four top nodes X^{0,1..4} into the logits"
        )

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        widths = [params.base_width * 2**i for i in range(DEPTH)]
        self.encoder = PlainEncoder(params.in_channels, widths)
        # nodes[i][j-1] is X^{i,j}; ups[i][j-1] upsamples X^{i+1,j-1} to level i
        self.ups = nn.ModuleList()
        self.nodes = nn.ModuleList()
        for i in range(DEPTH - 1):
            columns = DEPTH - 1 - i
            self.ups.append(
                nn.ModuleList(
                    nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2)
                    for _ in range(columns)
                )
            )
            self.nodes.append(
                nn.ModuleList(
                    DoubleConv(widths[i] * (j + 1), widths[i]) for j in range(1, columns + 1)
                )
            )
        n_heads = DEPTH - 1 if params.deep_supervision else 1
        self.heads = nn.ModuleList(
            nn.Conv2d(widths[0], params.num_classes, 1) for _ in range(n_heads)
        )
        self.feature_channels = widths
        self.feature_strides = [2**i for i in range(DEPTH)]

    def _grid(self, x: Tensor) -> list[list[Tensor]]:
        """All nodes: ``grid[i][j]`` is X^{i,j}. Computed column by column (j outer)."""
        grid = [[f] for f in self.encoder(x)]
        for j in range(1, DEPTH):
            for i in range(DEPTH - j):
                skip = grid[i][0]
                up = resize_to(self.ups[i][j - 1](grid[i + 1][j - 1]), skip)
                grid[i].append(self.nodes[i][j - 1](torch.cat([*grid[i], up], dim=1)))
        return grid

    def _heads(self, grid: list[list[Tensor]], x: Tensor) -> list[Tensor]:
        tops = grid[0][1:] if self.params.deep_supervision else grid[0][-1:]
        return [resize_to(h(t), x) for h, t in zip(self.heads, tops, strict=True)]

    def forward_heads(self, x: Tensor) -> list[Tensor]:
        """Logits of every supervision head (one when deep supervision is off), input size."""
        return self._heads(self._grid(x), x)

    def forward(self, x: Tensor) -> SegOutput:
        grid = self._grid(x)
        heads = self._heads(grid, x)
        logits = heads[0] if len(heads) == 1 else torch.stack(heads).mean(0)
        return SegOutput(logits=logits, features=[col[0] for col in grid])


@hookimpl
def distill_register_students(register) -> None:
    register("unetpp", UNetPlusPlus)
