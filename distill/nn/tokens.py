"""Between transformer tokens and NCHW maps, for hybrid CNN+transformer networks."""

from __future__ import annotations

from torch import Tensor


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
    from timm.layers import resample_abs_pos_embed

    return resample_abs_pos_embed(
        pos_embed, list(new_grid), list(old_grid), num_prefix_tokens=prefix, verbose=False
    )
