"""HiFormer-B (Heidari et al. 2023): ResNet-50 + Swin-T pyramid, DLF, convolutional decoder."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

import torch
from pydantic import Field
from torch import Tensor, nn

from distill.core.interfaces import SegOutput, Student
from distill.nn import PretrainedParams, grid_of, resize_to, resized_pos_embed, tokens_to_map
from distill.plugins.students.hiformer.dlf import DoubleLevelFusion
from distill.plugins.students.hiformer.encoder import SWIN_DIMS, PyramidEncoder


def conv_gn_relu(in_ch: int, out_ch: int) -> list[nn.Module]:
    return [nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False), nn.GroupNorm(32, out_ch), nn.ReLU()]


class HiFormer(Student):
    """HiFormer-B (Heidari 2023): ResNet-50 + Swin-T pyramid with double-level fusion (DLF); any size divisible by 16, Swin windows of 7 padded by timm, DLF position embeddings interpolated.

    Published count: 25.51M for HiFormer-B (HiFormer paper, WACV 2023, Table 1; official
    repo amirhossein-kz/HiFormer, 224x224); ours has the same 25.51M. One deliberate change:
    the official DLF runs each level's blocks first and the CLS cross-attention after them,
    then the decoder drops the CLS tokens, so with HiFormer-B's single DLF stage the
    cross-attention never reaches the output and its weights (0.8M) get no gradient. We
    exchange the CLS tokens first and run the per-level blocks after, so the fused CLS
    reaches the patch tokens through self-attention; the parameter set is unchanged.
    Features: level-1 tokens (stride 4, after DLF), the level-2 CNN+Swin map (stride 8),
    level-3 tokens (stride 16, after DLF).
    """

    family: ClassVar[str] = "hybrid"
    published_params: ClassVar[float] = 25.51
    published_source: ClassVar[str] = (
        "Heidari et al. 2023, HiFormer (WACV, arXiv:2207.08518), Table 1, HiFormer-B; "
        "github.com/amirhossein-kz/HiFormer"
    )

    class Params(PretrainedParams):
        img_size: int | tuple[int, int] = Field(
            224, description="input size (side or (H, W)) of the DLF position embeddings"
        )
        cnn: Literal["resnet50", "resnet34"] = Field(
            "resnet50", description="CNN backbone (HiFormer-B: resnet50, -S/-L: resnet34)"
        )
        dlf_depths: tuple[int, int] = Field(
            (1, 2), description="transformer blocks per level in the DLF (B: 1, 2)"
        )
        window_size: int = Field(7, ge=1, description="Swin window size (paper: 7)")
        cnn_weights_file: Path | None = Field(None, description="local timm CNN weights")
        swin_weights_file: Path | None = Field(
            None, description="local timm swin_tiny_patch4_window7_224 weights"
        )

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self.encoder = PyramidEncoder(
            params.cnn,
            params.img_size,
            params.in_channels,
            params.window_size,
            params.pretrained,
            params.cnn_weights_file,
            params.swin_weights_file,
        )
        dims = (SWIN_DIMS[0], SWIN_DIMS[2])
        self.grids = (grid_of(params.img_size, 4), grid_of(params.img_size, 16))
        self.pos_embed = nn.ParameterList(
            nn.Parameter(nn.init.trunc_normal_(torch.zeros(1, 1 + g[0] * g[1], d), std=0.02))
            for g, d in zip(self.grids, dims, strict=True)
        )
        self.dlf = DoubleLevelFusion(dims, params.dlf_depths, (6, 12), (2.0, 2.0))
        self.norms = nn.ModuleList(nn.LayerNorm(d) for d in dims)
        self.up_fine = nn.Sequential(*conv_gn_relu(dims[0], 128))
        self.up_coarse = nn.Sequential(
            *conv_gn_relu(dims[1], 128),
            nn.Upsample(scale_factor=2, mode="bilinear"),
            *conv_gn_relu(128, 128),
            nn.Upsample(scale_factor=2, mode="bilinear"),
        )
        self.predict = nn.Sequential(
            nn.Conv2d(128, 16, 1), nn.BatchNorm2d(16), nn.ReLU(inplace=True)
        )
        self.head = nn.Conv2d(16, params.num_classes, 3, padding=1)
        self.feature_channels = [SWIN_DIMS[0], SWIN_DIMS[1], SWIN_DIMS[2]]
        self.feature_strides = [4, 8, 16]

    def forward(self, x: Tensor) -> SegOutput:
        level1, level2, level3, grid3 = self.encoder(x)
        grid1 = (level2.shape[-2] * 2, level2.shape[-1] * 2)
        xs = [
            tokens + resized_pos_embed(pos, old, new, prefix=1)
            for tokens, pos, old, new in zip(
                (level1, level3), self.pos_embed, self.grids, (grid1, grid3), strict=True
            )
        ]
        xs = [norm(t) for norm, t in zip(self.norms, self.dlf(xs), strict=True)]
        fine = tokens_to_map(xs[0][:, 1:], grid1)
        coarse = tokens_to_map(xs[1][:, 1:], grid3)
        fused = self.predict(self.up_fine(fine) + self.up_coarse(coarse))
        logits = self.head(resize_to(fused, tuple(x.shape[-2:])))
        return SegOutput(logits=logits, features=[fine, level2, coarse])
