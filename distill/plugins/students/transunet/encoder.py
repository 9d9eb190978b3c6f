"""TransUNet encoder: ResNet-50 (root + 3 stages, GroupNorm + weight-standardised convs, as in
the R50+ViT-B/16 hybrid) feeding a 12-layer ViT-B on its stride-16 map."""

from __future__ import annotations

from pathlib import Path

from torch import Tensor, nn

from distill.nn import create_timm_model, grid_of, map_to_tokens, resized_pos_embed, tokens_to_map

PATCH_STRIDE = 16


class HybridViTEncoder(nn.Module):
    """Returns the CNN skips (strides 2, 4, 8) and the transformer map at stride 16.

    Built from timm's ``vit_base_r50_s16_224`` without a class token (TransUNet has none);
    its position embeddings cover the ``img_size`` grid and are resized for other inputs.
    """

    skip_channels = (64, 256, 512)
    embed_dim = 768

    def __init__(
        self,
        img_size: int | tuple[int, int],
        in_channels: int,
        drop_rate: float,
        pretrained: bool,
        weights_file: Path | None,
    ) -> None:
        super().__init__()
        self.vit = create_timm_model(
            "vit_base_r50_s16_224",
            pretrained=pretrained,
            weights_file=weights_file,
            img_size=img_size,
            in_chans=in_channels,
            num_classes=0,
            global_pool="",
            class_token=False,
            proj_drop_rate=drop_rate,
            pos_drop_rate=drop_rate,
        )
        self.grid = grid_of(img_size, PATCH_STRIDE)

    def forward(self, x: Tensor) -> tuple[list[Tensor], Tensor]:
        cnn = self.vit.patch_embed.backbone
        stem = cnn.stem
        skip2 = stem.norm(stem.conv(x))
        y = stem.pool(skip2)
        skip4 = cnn.stages[0](y)
        skip8 = cnn.stages[1](skip4)
        deep = self.vit.patch_embed.proj(cnn.stages[2](skip8))
        grid = (deep.shape[-2], deep.shape[-1])
        tokens = map_to_tokens(deep)
        tokens = tokens + resized_pos_embed(self.vit.pos_embed, self.grid, grid)
        tokens = self.vit.blocks(self.vit.norm_pre(self.vit.pos_drop(tokens)))
        hidden = tokens_to_map(self.vit.norm(tokens), grid)
        return [skip2, skip4, skip8], hidden
