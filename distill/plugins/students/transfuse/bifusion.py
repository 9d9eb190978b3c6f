"""TransFuse's fusion pieces: the BiFusion module (spatial attention on the CNN feature,
SE channel attention on the transformer feature, a Hadamard "bilinear" interaction, merged
by a residual block) and the attention-gated up-sampling block of its decoder."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from distill.nn import resize_to


def conv_bn(in_ch: int, out_ch: int, kernel: int, act: bool, bias: bool = True) -> nn.Sequential:
    """TransFuse's ``Conv`` unit: conv (biased, as in the paper's code), BN, optional ReLU."""
    layers: list[nn.Module] = [
        nn.Conv2d(in_ch, out_ch, kernel, padding=kernel // 2, bias=bias),
        nn.BatchNorm2d(out_ch),
    ]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class PreActResidual(nn.Module):
    """Bottleneck residual (BN-ReLU-conv x3, 1x1 / 3x3 / 1x1) with a 1x1 projection skip."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        mid = out_ch // 2
        self.body = nn.Sequential(
            nn.BatchNorm2d(in_ch),
            nn.ReLU(inplace=True),
            nn.Conv2d(in_ch, mid, 1),
            nn.BatchNorm2d(mid),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid, mid, 3, padding=1),
            nn.BatchNorm2d(mid),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid, out_ch, 1),
        )
        self.skip = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        return self.body(x) + self.skip(x)


class BiFusion(nn.Module):
    """Fuses a CNN map ``g`` (ch_cnn) and a transformer map ``t`` (ch_tr) of equal size."""

    def __init__(
        self, ch_cnn: int, ch_tr: int, reduction: int, ch_int: int, ch_out: int, drop: float
    ) -> None:
        super().__init__()
        self.se = nn.Sequential(
            nn.Conv2d(ch_tr, ch_tr // reduction, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(ch_tr // reduction, ch_tr, 1),
            nn.Sigmoid(),
        )
        self.spatial = conv_bn(2, 1, 7, act=False, bias=False)
        self.w_cnn = conv_bn(ch_cnn, ch_int, 1, act=False)
        self.w_tr = conv_bn(ch_tr, ch_int, 1, act=False)
        self.w_joint = conv_bn(ch_int, ch_int, 3, act=True)
        self.merge = PreActResidual(ch_cnn + ch_tr + ch_int, ch_out)
        self.drop = nn.Dropout2d(drop)

    def forward(self, g: Tensor, t: Tensor) -> Tensor:
        bilinear = self.w_joint(self.w_cnn(g) * self.w_tr(t))
        pooled = torch.cat([g.amax(1, keepdim=True), g.mean(1, keepdim=True)], dim=1)
        g_att = torch.sigmoid(self.spatial(pooled)) * g
        t_att = self.se(t.mean((2, 3), keepdim=True)) * t
        return self.drop(self.merge(torch.cat([g_att, t_att, bilinear], dim=1)))


class ResidualDoubleConv(nn.Module):
    """Two conv-BN (ReLU between) plus a 1x1 conv-BN shortcut, ReLU after the sum."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_ch, out_ch, 3, padding=1),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_ch, out_ch, 3, padding=1),
            nn.BatchNorm2d(out_ch),
        )
        self.shortcut = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1), nn.BatchNorm2d(out_ch))
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.body(x) + self.shortcut(x))


class AttentionGate(nn.Module):
    """Attention U-Net gate: the upsampled coarse map decides where the skip is kept."""

    def __init__(self, ch_gate: int, ch_skip: int, ch_int: int) -> None:
        super().__init__()
        self.w_gate = nn.Sequential(nn.Conv2d(ch_gate, ch_int, 1), nn.BatchNorm2d(ch_int))
        self.w_skip = nn.Sequential(nn.Conv2d(ch_skip, ch_int, 1), nn.BatchNorm2d(ch_int))
        self.psi = nn.Sequential(nn.Conv2d(ch_int, 1, 1), nn.BatchNorm2d(1), nn.Sigmoid())

    def forward(self, gate: Tensor, skip: Tensor) -> Tensor:
        return skip * self.psi(torch.relu(self.w_gate(gate) + self.w_skip(skip)))


class Up(nn.Module):
    """x2 upsampling, optional attention-gated skip concatenation, residual double conv."""

    def __init__(self, in_ch: int, out_ch: int, skip_ch: int = 0) -> None:
        super().__init__()
        self.gate = AttentionGate(in_ch, skip_ch, skip_ch) if skip_ch else None
        self.conv = ResidualDoubleConv(in_ch + skip_ch, out_ch)

    def forward(self, x: Tensor, skip: Tensor | None = None) -> Tensor:
        size = skip.shape[-2:] if skip is not None else (x.shape[-2] * 2, x.shape[-1] * 2)
        x = resize_to(x, tuple(size))
        if skip is not None and self.gate is not None:
            x = torch.cat([self.gate(x, skip), x], dim=1)
        return self.conv(x)
