"""Swin-Unet's symmetric decoder: patch expanding + timm Swin blocks, NHWC throughout."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn


class PatchExpand(nn.Module):
    """Doubles resolution, halves channels: a linear layer to 2C, then the 2C features of each
    token are laid out as a 2x2 block of C/2 (the inverse of patch merging), then LayerNorm.
    With ``scale=4`` (the final expand) C -> 16C laid out as 4x4 blocks of C."""

    def __init__(self, dim: int, scale: int = 2) -> None:
        super().__init__()
        self.scale = scale
        self.out_dim = dim // 2 if scale == 2 else dim
        self.expand = nn.Linear(dim, self.out_dim * scale * scale, bias=False)
        self.norm = nn.LayerNorm(self.out_dim)

    def forward(self, x: Tensor) -> Tensor:  # (B, H, W, C) -> (B, sH, sW, C')
        b, h, w, _ = x.shape
        s, c = self.scale, self.out_dim
        x = self.expand(x).view(b, h, w, s, s, c).permute(0, 1, 3, 2, 4, 5)
        return self.norm(x.reshape(b, h * s, w * s, c))


class SwinDecoder(nn.Module):
    """From the bottleneck (stride 32) up to stride 4: expand, concat the encoder skip,
    linear back to C, Swin blocks; returns the decoded maps finest first (NHWC)."""

    def __init__(
        self,
        dims: Sequence[int],
        depths: Sequence[int],
        heads: Sequence[int],
        resolutions: Sequence[tuple[int, int]],
        window_size: int,
        drop_path: Sequence[float],
    ) -> None:
        from timm.models.swin_transformer import SwinTransformerStage  # seconds: on build only

        super().__init__()
        # dims/depths/heads/resolutions are the encoder's, finest first
        self.bottleneck_norm = nn.LayerNorm(dims[-1])
        self.expands = nn.ModuleList(PatchExpand(d) for d in dims[:0:-1])
        self.concat_back = nn.ModuleList(nn.Linear(2 * d, d) for d in dims[-2::-1])
        self.stages = nn.ModuleList(
            SwinTransformerStage(
                dim=d,
                out_dim=d,
                input_resolution=r,
                depth=n,
                downsample=False,
                num_heads=h,
                window_size=window_size,
                drop_path=list(drop_path[i]),
            )
            for i, (d, r, n, h) in enumerate(
                zip(dims[-2::-1], resolutions[-2::-1], depths[-2::-1], heads[-2::-1], strict=True)
            )
        )
        self.norm_up = nn.LayerNorm(dims[0])

    def forward(self, skips: Sequence[Tensor]) -> list[Tensor]:
        x = self.bottleneck_norm(skips[-1])
        outs = [x]
        for expand, back, stage, skip in zip(
            self.expands, self.concat_back, self.stages, skips[-2::-1], strict=True
        ):
            x = stage(back(torch.cat([expand(x), skip], dim=-1)))
            outs.append(x)
        outs[-1] = self.norm_up(outs[-1])
        return outs[::-1]
