"""MISSFormer's Enhanced Transformer Context Bridge.

Why: the four encoder levels are flattened into one token sequence of a common width (the
finest level's channels; a level with k times more channels gives k tokens per position), so
one attention mixes local and global context across all levels; each level then gets its
own ReMix-FFN at its own resolution and width.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from distill.plugins.students.missformer.blocks import ReMixFFN


def _tokens(x: Tensor, width: int) -> Tensor:
    """(B, C, H, W) -> (B, H*W*C/width, width): channels split into tokens per position."""
    b = x.shape[0]
    return x.permute(0, 2, 3, 1).reshape(b, -1, width)


class BridgeAttention(nn.Module):
    """Attention over all levels' tokens; keys/values from each level shrunk by its ratio."""

    def __init__(self, dims: Sequence[int], heads: int, reductions: Sequence[int]) -> None:
        super().__init__()
        width = dims[0]
        self.width, self.heads = width, heads
        self.q = nn.Linear(width, width)
        self.kv = nn.Linear(width, width * 2)
        self.proj = nn.Linear(width, width)
        self.reducers = nn.ModuleList(
            nn.Conv2d(d, d, r, stride=r) if r > 1 else nn.Identity()
            for d, r in zip(dims, reductions, strict=True)
        )
        self.norm = nn.LayerNorm(width)

    def forward(self, x: Tensor, levels: Sequence[Tensor]) -> Tensor:
        b, n, c = x.shape
        reduced = [
            _tokens(reduce(lvl), c) for reduce, lvl in zip(self.reducers, levels, strict=True)
        ]
        kv_src = self.norm(torch.cat(reduced, dim=1))
        q = self.q(x).view(b, n, self.heads, -1).transpose(1, 2)
        k, v = self.kv(kv_src).view(b, -1, 2, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v)
        return self.proj(out.transpose(1, 2).reshape(b, n, c))


class BridgeLayer(nn.Module):
    def __init__(self, dims: Sequence[int], heads: int, reductions: Sequence[int]) -> None:
        super().__init__()
        self.dims = list(dims)
        self.norm1 = nn.LayerNorm(dims[0])
        self.attn = BridgeAttention(dims, heads, reductions)
        self.norm2 = nn.LayerNorm(dims[0])
        self.ffns = nn.ModuleList(ReMixFFN(d, d * 4) for d in dims)

    def split(self, x: Tensor, grids: Sequence[tuple[int, int]]) -> list[Tensor]:
        """Token sequence back to per-level NCHW maps."""
        b = x.shape[0]
        sizes = [h * w * d // self.dims[0] for (h, w), d in zip(grids, self.dims, strict=True)]
        parts = torch.split(x, sizes, dim=1)
        return [
            p.reshape(b, h, w, d).permute(0, 3, 1, 2)
            for p, (h, w), d in zip(parts, grids, self.dims, strict=True)
        ]

    def forward(self, x: Tensor, grids: Sequence[tuple[int, int]]) -> Tensor:
        normed = self.norm1(x)
        x = x + self.attn(normed, self.split(normed, grids))
        mixed = []
        for ffn, lvl, (h, w) in zip(
            self.ffns, self.split(self.norm2(x), grids), grids, strict=True
        ):
            out = ffn(lvl.flatten(2).transpose(1, 2), h, w)  # (B, h*w, d)
            mixed.append(out.reshape(x.shape[0], -1, self.dims[0]))
        return x + torch.cat(mixed, dim=1)


class ContextBridge(nn.Module):
    """``depth`` bridge layers over the concatenated levels; returns per-level maps."""

    def __init__(
        self, dims: Sequence[int], heads: int, reductions: Sequence[int], depth: int
    ) -> None:
        super().__init__()
        self.dims = list(dims)
        self.layers = nn.ModuleList(BridgeLayer(dims, heads, reductions) for _ in range(depth))

    def forward(self, levels: Sequence[Tensor]) -> list[Tensor]:
        grids = [tuple(lvl.shape[-2:]) for lvl in levels]
        x = torch.cat([_tokens(lvl, self.dims[0]) for lvl in levels], dim=1)
        for layer in self.layers:
            x = layer(x, grids)
        return self.layers[-1].split(x, grids)
