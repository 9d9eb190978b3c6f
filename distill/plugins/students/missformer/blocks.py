"""MISSFormer's Enhanced Transformer Block: efficient (spatially reduced) self-attention and
the ReMix-FFN, plus the overlapping patch embedding and the patch-expanding layers.

Why ReMix-FFN: a depth-wise 3x3 conv inside the feed-forward gives positions and local
context without position embeddings; the skip around it (re-mixing the linear branch) and a
LayerNorm keep the feature distribution stable, which is what "enhanced" refers to.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


class ReMixFFN(nn.Module):
    """Linear up, GELU(LayerNorm(dwconv3x3(u) + u)), linear down; tokens are (B, H*W, C)."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.dwconv = nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden)
        self.norm = nn.LayerNorm(hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: Tensor, h: int, w: int) -> Tensor:
        u = self.fc1(x)
        b, n, c = u.shape
        local = self.dwconv(u.transpose(1, 2).reshape(b, c, h, w)).flatten(2).transpose(1, 2)
        return self.fc2(F.gelu(self.norm(local + u)))


class EfficientAttention(nn.Module):
    """Multi-head attention whose keys/values come from a map shrunk by ``reduction``
    (strided conv + LayerNorm), so cost grows with H*W*(H*W/r^2) instead of (H*W)^2."""

    def __init__(self, dim: int, heads: int, reduction: int) -> None:
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(dim, dim * 2)
        self.proj = nn.Linear(dim, dim)
        self.reduce = None
        if reduction > 1:
            self.reduce = nn.Conv2d(dim, dim, reduction, stride=reduction)
            self.norm = nn.LayerNorm(dim)

    def forward(self, x: Tensor, h: int, w: int) -> Tensor:
        b, n, c = x.shape
        q = self.q(x).view(b, n, self.heads, -1).transpose(1, 2)
        if self.reduce is not None:
            grid = x.transpose(1, 2).reshape(b, c, h, w)
            x = self.norm(self.reduce(grid).flatten(2).transpose(1, 2))
        k, v = self.kv(x).view(b, -1, 2, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v)
        return self.proj(out.transpose(1, 2).reshape(b, n, c))


class EnhancedTransformerBlock(nn.Module):
    """Pre-norm efficient attention and ReMix-FFN (hidden 4x), both residual."""

    def __init__(self, dim: int, heads: int, reduction: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = EfficientAttention(dim, heads, reduction)
        self.norm2 = nn.LayerNorm(dim)
        self.ffn = ReMixFFN(dim, dim * 4)

    def forward(self, x: Tensor, h: int, w: int) -> Tensor:
        x = x + self.attn(self.norm1(x), h, w)
        return x + self.ffn(self.norm2(x), h, w)


class OverlapPatchEmbed(nn.Module):
    """Strided conv with overlapping kernels, then LayerNorm; returns tokens and grid."""

    def __init__(self, in_dim: int, dim: int, kernel: int, stride: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(in_dim, dim, kernel, stride=stride, padding=kernel // 2)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: Tensor) -> tuple[Tensor, int, int]:
        x = self.proj(x)
        h, w = x.shape[-2:]
        return self.norm(x.flatten(2).transpose(1, 2)), h, w


class PatchExpand(nn.Module):
    """Tokens (B, H*W, C) to (B, sH*sW, C'): linear to C' * s^2, laid out as s x s blocks,
    LayerNorm; s=2 halves the channels, s=4 (the final expand) keeps them."""

    def __init__(self, dim: int, scale: int = 2) -> None:
        super().__init__()
        self.scale = scale
        self.out_dim = dim // 2 if scale == 2 else dim
        self.expand = nn.Linear(dim, self.out_dim * scale * scale, bias=False)
        self.norm = nn.LayerNorm(self.out_dim)

    def forward(self, x: Tensor, h: int, w: int) -> Tensor:
        b = x.shape[0]
        s, c = self.scale, self.out_dim
        x = self.expand(x).view(b, h, w, s, s, c).permute(0, 1, 3, 2, 4, 5)
        return self.norm(x.reshape(b, h * s * w * s, c))
