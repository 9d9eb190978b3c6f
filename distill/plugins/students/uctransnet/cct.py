"""UCTransNet's Channel Cross fusion with Transformer (CCT) that replaces plain skips.

Why channel-wise: the four skip levels are tokenised to one common grid (image/16) and
attention runs across *channels* of all levels at once, so each level's channels attend to
every level's channels, bridging the semantic gap between encoder and decoder.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class LevelEmbedding(nn.Module):
    """Patch-embeds one skip level onto the shared token grid, with a learned position table
    built for ``grid`` and interpolated (bicubic) when the input grid differs."""

    def __init__(self, channels: int, patch: int, grid: tuple[int, int], dropout: float) -> None:
        super().__init__()
        self.proj = nn.Conv2d(channels, channels, kernel_size=patch, stride=patch)
        self.grid = grid
        self.position = nn.Parameter(torch.zeros(1, grid[0] * grid[1], channels))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> tuple[Tensor, tuple[int, int]]:
        x = self.proj(x)
        h, w = x.shape[-2:]
        position = self.position
        if (h, w) != self.grid:
            table = position.transpose(1, 2).reshape(1, -1, *self.grid)
            table = F.interpolate(table, size=(h, w), mode="bicubic", align_corners=False)
            position = table.flatten(2).transpose(1, 2)
        return self.dropout(x.flatten(2).transpose(1, 2) + position), (h, w)


class ChannelCrossAttention(nn.Module):
    """Multi-head attention where level-i channels (queries) attend to the channels of all
    levels concatenated (keys/values); heads are averaged, as in the paper."""

    def __init__(self, channels: Sequence[int], heads: int, dropout: float) -> None:
        super().__init__()
        self.channels = list(channels)
        self.heads = heads
        kv = sum(channels)
        self.queries = nn.ModuleList(nn.Linear(c, c * heads, bias=False) for c in channels)
        self.key = nn.Linear(kv, kv * heads, bias=False)
        self.value = nn.Linear(kv, kv * heads, bias=False)
        self.score_norm = nn.InstanceNorm2d(heads)  # the paper's psi, over (C_i, C_sum)
        self.outs = nn.ModuleList(nn.Linear(c, c, bias=False) for c in channels)
        self.attn_dropout = nn.Dropout(dropout)
        self.proj_dropout = nn.Dropout(dropout)

    def _split(self, x: Tensor) -> Tensor:
        b, n, _ = x.shape
        return x.view(b, n, self.heads, -1).permute(0, 2, 3, 1)  # B, heads, C, N

    def forward(self, levels: Sequence[Tensor], all_levels: Tensor) -> list[Tensor]:
        kv = all_levels.shape[-1]
        key = self._split(self.key(all_levels))  # B, heads, Csum, N
        value = self._split(self.value(all_levels))
        outs = []
        for x, query_proj, out_proj in zip(levels, self.queries, self.outs, strict=True):
            query = self._split(query_proj(x))  # B, heads, Ci, N
            scores = query @ key.transpose(-1, -2) / math.sqrt(kv)  # B, heads, Ci, Csum
            probs = self.attn_dropout(self.score_norm(scores).softmax(dim=-1))
            context = (probs @ value).mean(dim=1).transpose(1, 2)  # B, N, Ci
            outs.append(self.proj_dropout(out_proj(context)))
        return outs


class FeedForward(nn.Module):
    def __init__(self, channels: int, expand: int, dropout: float) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(channels, channels * expand),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(channels * expand, channels),
            nn.Dropout(dropout),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class CCTLayer(nn.Module):
    """Pre-norm channel cross-attention + per-level feed-forward, both residual."""

    def __init__(self, channels: Sequence[int], heads: int, expand: int, dropout: float):
        super().__init__()
        self.attn_norms = nn.ModuleList(nn.LayerNorm(c, eps=1e-6) for c in channels)
        self.all_norm = nn.LayerNorm(sum(channels), eps=1e-6)
        self.attention = ChannelCrossAttention(channels, heads, dropout)
        self.ffn_norms = nn.ModuleList(nn.LayerNorm(c, eps=1e-6) for c in channels)
        self.ffns = nn.ModuleList(FeedForward(c, expand, dropout) for c in channels)

    def forward(self, levels: list[Tensor]) -> list[Tensor]:
        normed = [norm(x) for norm, x in zip(self.attn_norms, levels, strict=True)]
        all_levels = self.all_norm(torch.cat(levels, dim=-1))
        attended = self.attention(normed, all_levels)
        levels = [x + a for x, a in zip(levels, attended, strict=True)]
        return [
            x + ffn(norm(x)) for x, norm, ffn in zip(levels, self.ffn_norms, self.ffns, strict=True)
        ]


class Reconstruct(nn.Module):
    """Tokens back to the level's resolution: nearest upsampling, 1x1 conv, BN, ReLU."""

    def __init__(self, channels: int, scale: int) -> None:
        super().__init__()
        self.scale = scale
        self.conv = nn.Sequential(
            nn.Conv2d(channels, channels, kernel_size=1),
            nn.BatchNorm2d(channels),
            nn.ReLU(inplace=True),
        )

    def forward(self, tokens: Tensor, grid: tuple[int, int]) -> Tensor:
        b, _, c = tokens.shape
        x = tokens.transpose(1, 2).reshape(b, c, *grid)
        return self.conv(F.interpolate(x, scale_factor=self.scale, mode="nearest"))


class ChannelTransformer(nn.Module):
    """The CCT module: embed the four skips, ``layers`` CCT layers, reconstruct, add back."""

    def __init__(
        self,
        channels: Sequence[int],
        patches: Sequence[int],
        grid: tuple[int, int],
        layers: int,
        heads: int,
        expand: int,
        dropout: float,
    ) -> None:
        super().__init__()
        self.embeddings = nn.ModuleList(
            LevelEmbedding(c, p, grid, dropout) for c, p in zip(channels, patches, strict=True)
        )
        self.layers = nn.ModuleList(
            CCTLayer(channels, heads, expand, dropout) for _ in range(layers)
        )
        self.norms = nn.ModuleList(nn.LayerNorm(c, eps=1e-6) for c in channels)
        self.reconstruct = nn.ModuleList(
            Reconstruct(c, p) for c, p in zip(channels, patches, strict=True)
        )

    def forward(self, skips: Sequence[Tensor]) -> list[Tensor]:
        embedded = [embed(x) for embed, x in zip(self.embeddings, skips, strict=True)]
        grid = embedded[0][1]
        tokens = [t for t, _ in embedded]
        for layer in self.layers:
            tokens = layer(tokens)
        return [
            rec(norm(t), grid) + skip
            for rec, norm, t, skip in zip(self.reconstruct, self.norms, tokens, skips, strict=True)
        ]
