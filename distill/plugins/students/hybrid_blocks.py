"""Small pieces shared by the hybrid CNN+transformer baselines (TransUNet, TransFuse, FAT-Net,
HiFormer): timm backbone creation with opt-in weights, conv-norm-act, token/map reshapes and
position-embedding resizing. Kept here so each network's module holds only what is its own."""

from __future__ import annotations

from pydantic import Field
from timm.layers import resample_abs_pos_embed
from torch import Tensor, nn

from distill.core.interfaces import ModelParams


class HybridParams(ModelParams):
    """Parameters every hybrid baseline takes: backbone weights are opt-in, never downloaded
    unless asked (air-gapped use is the norm)."""

    pretrained: bool = Field(
        False, description="load timm's ImageNet weights for the backbones (downloads them)"
    )


class ConvNormAct(nn.Sequential):
    """k x k conv (no bias, padding keeps size) + BatchNorm + optional ReLU."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int = 3, act: bool = True) -> None:
        super().__init__(
            nn.Conv2d(in_ch, out_ch, kernel, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True) if act else nn.Identity(),
        )


def tokens_to_map(tokens: Tensor, hw: tuple[int, int]) -> Tensor:
    """(B, H*W, C) tokens -> (B, C, H, W) map."""
    b, n, c = tokens.shape
    return tokens.transpose(1, 2).reshape(b, c, *hw)


def map_to_tokens(x: Tensor) -> Tensor:
    """(B, C, H, W) map -> (B, H*W, C) tokens."""
    return x.flatten(2).transpose(1, 2)


def grid_of(size: int | tuple[int, int], stride: int) -> tuple[int, int]:
    """Token grid of an input size at a patch stride (``img_size`` may be one int)."""
    h, w = (size, size) if isinstance(size, int) else size
    return h // stride, w // stride


def resized_pos_embed(
    pos_embed: Tensor, old_grid: tuple[int, int], new_grid: tuple[int, int], prefix: int = 0
) -> Tensor:
    """Bicubic-resize a learned (1, prefix + h*w, C) position embedding to another grid; the
    prefix (class) tokens are kept as they are. A no-op at the grid it was built for."""
    if tuple(old_grid) == tuple(new_grid):
        return pos_embed
    return resample_abs_pos_embed(
        pos_embed, list(new_grid), list(old_grid), num_prefix_tokens=prefix, verbose=False
    )


def upsample_to(x: Tensor, size: tuple[int, int]) -> Tensor:
    return nn.functional.interpolate(x, size=size, mode="bilinear", align_corners=False)


def param_millions(model: nn.Module) -> float:
    return sum(p.numel() for p in model.parameters()) / 1e6


__all__ = [
    "ConvNormAct",
    "HybridParams",
    "grid_of",
    "map_to_tokens",
    "param_millions",
    "resized_pos_embed",
    "tokens_to_map",
    "upsample_to",
]
