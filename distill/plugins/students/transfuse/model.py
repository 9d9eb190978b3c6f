"""TransFuse-S (Zhang et al. 2021): parallel ResNet-34 and DeiT-S branches fused by BiFusion."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field
from torch import Tensor, nn

from distill.core.interfaces import SegOutput, Student
from distill.nn import (
    PretrainedParams,
    create_timm_model,
    grid_of,
    resize_to,
    resized_pos_embed,
    tokens_to_map,
)
from distill.plugins.students.transfuse.bifusion import BiFusion, ResidualDoubleConv, Up


class TransFuse(Student):
    """TransFuse-S (Zhang 2021): parallel ResNet-34 + DeiT-S branches fused by BiFusion; any size divisible by 16, position embeddings interpolated.

    Published count: 26.3M for TransFuse-S (TransFuse paper, Table 1; official repo
    Rayicer/TransFuse, input 192x256). Its DeiT-S branch has 8 blocks (the official
    ``deit_small_patch16_224`` uses depth=8) without class token, and its ResNet-34 branch
    stops at layer3. The two auxiliary heads used only for deep supervision in training
    (on the stride-16 fused map and on the transformer branch, 0.09M) are left out: a
    ``SegOutput`` carries one logits map, and weights no loss reads would get no gradient.
    Features: the fused BiFusion/decoder maps at strides 4, 8 and 16.
    """

    family: ClassVar[str] = "hybrid"
    published_params: ClassVar[float] = 26.3
    published_source: ClassVar[str] = (
        "Zhang et al. 2021, TransFuse (MICCAI, arXiv:2102.08005), Table 1, TransFuse-S; "
        "github.com/Rayicer/TransFuse"
    )

    class Params(PretrainedParams):
        img_size: int | tuple[int, int] = Field(
            (192, 256), description="input size (side or (H, W)) of the position embeddings"
        )
        drop_rate: float = Field(0.2, ge=0.0, lt=1.0, description="branch dropout (paper: 0.2)")
        cnn_weights_file: Path | None = Field(None, description="local timm resnet34 weights")
        transformer_weights_file: Path | None = Field(
            None, description="local timm deit_small_patch16_224 weights"
        )

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        cnn = create_timm_model(
            "resnet34",
            pretrained=params.pretrained,
            weights_file=params.cnn_weights_file,
            in_chans=params.in_channels,
            num_classes=0,
        )
        self.cnn_stem = nn.Sequential(cnn.conv1, cnn.bn1, cnn.act1, cnn.maxpool)
        self.cnn_stages = nn.ModuleList([cnn.layer1, cnn.layer2, cnn.layer3])
        self.vit = create_timm_model(
            "deit_small_patch16_224",
            pretrained=params.pretrained,
            weights_file=params.transformer_weights_file,
            img_size=params.img_size,
            in_chans=params.in_channels,
            depth=8,
            num_classes=0,
            global_pool="",
            class_token=False,
            dynamic_img_size=True,
        )
        self.grid = grid_of(params.img_size, 16)
        self.drop = nn.Dropout2d(params.drop_rate)
        half = params.drop_rate / 2
        self.tr_up1 = ResidualDoubleConv(384, 128)
        self.tr_up2 = ResidualDoubleConv(128, 64)
        self.fuse16 = BiFusion(256, 384, 4, 256, 256, half)
        self.fuse8 = BiFusion(128, 128, 2, 128, 128, half)
        self.fuse4 = BiFusion(64, 64, 1, 64, 64, half)
        self.up8 = Up(256, 128, skip_ch=128)
        self.up4 = Up(128, 64, skip_ch=64)
        self.head = nn.Sequential(
            nn.Conv2d(64, 64, 3, padding=1),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.Conv2d(64, params.num_classes, 3, padding=1),
        )
        self.feature_channels = [64, 128, 256]
        self.feature_strides = [4, 8, 16]

    def transformer_branch(self, x: Tensor) -> list[Tensor]:
        """DeiT-S tokens as a stride-16 map, upsampled to strides 8 and 4 (coarsest first)."""
        patches = self.vit.patch_embed(x)  # (B, h, w, C)
        grid = (patches.shape[1], patches.shape[2])
        tokens = patches.flatten(1, 2) + resized_pos_embed(self.vit.pos_embed, self.grid, grid)
        tokens = self.vit.norm(self.vit.blocks(self.vit.pos_drop(tokens)))
        t16 = self.drop(tokens_to_map(tokens, grid))
        t8 = self.drop(self.tr_up1(resize_to(t16, (t16.shape[-2] * 2, t16.shape[-1] * 2))))
        t4 = self.drop(self.tr_up2(resize_to(t8, (t8.shape[-2] * 2, t8.shape[-1] * 2))))
        return [t16, t8, t4]

    def forward(self, x: Tensor) -> SegOutput:
        t16, t8, t4 = self.transformer_branch(x)
        c4 = self.drop(self.cnn_stages[0](self.cnn_stem(x)))
        c8 = self.drop(self.cnn_stages[1](c4))
        c16 = self.drop(self.cnn_stages[2](c8))
        f16 = self.fuse16(c16, t16)
        f8 = self.up8(f16, self.fuse8(c8, t8))
        f4 = self.up4(f8, self.fuse4(c4, t4))
        logits = resize_to(self.head(f4), tuple(x.shape[-2:]))
        return SegOutput(logits=logits, features=[f4, f8, f16])
