"""HiFormer's Double-Level Fusion (DLF): the CLS token of each level attends to the other
level's patch tokens (cross-attention, CrossViT style), then each level runs its own
transformer blocks."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn


class ClsCrossAttention(nn.Module):
    """Pre-norm cross-attention where only the first (CLS) token queries all tokens; returns
    the updated CLS token (B, 1, C). No MLP, as in HiFormer's fusion."""

    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.num_heads = num_heads
        self.wq, self.wk, self.wv = (nn.Linear(dim, dim) for _ in range(3))
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: Tensor) -> Tensor:
        b, n, c = x.shape
        h = self.norm(x)
        heads = (b, -1, self.num_heads, c // self.num_heads)
        q = self.wq(h[:, :1]).reshape(heads).transpose(1, 2)
        k = self.wk(h).reshape(heads).transpose(1, 2)
        v = self.wv(h).reshape(heads).transpose(1, 2)
        out = nn.functional.scaled_dot_product_attention(q, k, v)
        return x[:, :1] + self.proj(out.transpose(1, 2).reshape(b, 1, c))


def proj(dim_in: int, dim_out: int) -> nn.Sequential:
    return nn.Sequential(nn.LayerNorm(dim_in), nn.GELU(), nn.Linear(dim_in, dim_out))


class DoubleLevelFusion(nn.Module):
    """One DLF stage over two token sequences (small-stride level first)."""

    def __init__(
        self,
        dims: Sequence[int],
        depths: Sequence[int],
        num_heads: Sequence[int],
        mlp_ratios: Sequence[float],
    ) -> None:
        from timm.models.vision_transformer import Block  # timm costs seconds: import on build

        super().__init__()
        self.to_other = nn.ModuleList(proj(dims[i], dims[1 - i]) for i in range(2))
        self.fusion = nn.ModuleList(
            ClsCrossAttention(dims[1 - i], num_heads[1 - i]) for i in range(2)
        )
        self.back = nn.ModuleList(proj(dims[1 - i], dims[i]) for i in range(2))
        self.blocks = nn.ModuleList(
            nn.Sequential(
                *(
                    Block(dims[i], num_heads[i], mlp_ratio=mlp_ratios[i], qkv_bias=True)
                    for _ in range(depths[i])
                )
            )
            for i in range(2)
        )

    def forward(self, xs: Sequence[Tensor]) -> list[Tensor]:
        exchanged = []
        for i in range(2):
            other = xs[1 - i]
            query = torch.cat([self.to_other[i](xs[i][:, :1]), other[:, 1:]], dim=1)
            cls = self.back[i](self.fusion[i](query))
            exchanged.append(torch.cat([cls, xs[i][:, 1:]], dim=1))
        return [blocks(x) for blocks, x in zip(self.blocks, exchanged, strict=True)]
