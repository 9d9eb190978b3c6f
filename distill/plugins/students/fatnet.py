"""FAT-Net (Wu et al. 2022): dual ResNet-34 / DeiT-tiny encoder, feature adaptation, SE fusion."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import torch
from pydantic import Field
from torch import Tensor, nn

from distill import hookimpl
from distill.core.interfaces import SegOutput, Student
from distill.nn import PretrainedParams, create_timm_model


class FeatureAdaptation(nn.Module):
    """FAM block: parallel 3x3 and 1x1 conv-ReLU summed; the same block is applied
    ``repeats`` times (shared weights) to a skip before the decoder adds it."""

    def __init__(self, channels: int, repeats: int) -> None:
        super().__init__()
        self.conv3 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv1 = nn.Conv2d(channels, channels, 1)
        self.repeats = repeats

    def forward(self, x: Tensor) -> Tensor:
        for _ in range(self.repeats):
            x = torch.relu(self.conv3(x)) + torch.relu(self.conv1(x))
        return x


class SqueezeExcite(nn.Module):
    """Channel attention (reduction 16, no biases) on the concatenated encoder outputs."""

    def __init__(self, channels: int, reduction: int = 16) -> None:
        super().__init__()
        self.fc = nn.Sequential(
            nn.Linear(channels, channels // reduction, bias=False),
            nn.ReLU(inplace=True),
            nn.Linear(channels // reduction, channels, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x * self.fc(x.mean((2, 3)))[:, :, None, None]


class DecoderBottleneck(nn.Module):
    """Memory-efficient decoder step: 1x1 squeeze to C/4, 3x3 transposed conv x2, 1x1 out."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        mid = in_ch // 4
        self.body = nn.Sequential(
            nn.Conv2d(in_ch, mid, 1),
            nn.BatchNorm2d(mid),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(mid, mid, 3, stride=2, padding=1, output_padding=1),
            nn.BatchNorm2d(mid),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid, out_ch, 1),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.body(x)


class FATNet(Student):
    """FAT-Net (Wu 2022): dual ResNet-34 / DeiT-tiny encoder, feature adaptation modules, SE fusion, memory-efficient decoder; any size divisible by 16 (no position embeddings).

    Published count: 28.75M (FAT-Net paper, Medical Image Analysis 2022, Table 2; official
    repo SZUcsh/FAT-Net). As in the official code, the ResNet-34 runs without its max-pool
    (skips at strides 2, 4, 8, 16), the DeiT-tiny branch uses patch embedding and 12 blocks
    without position embedding or class/distillation tokens, and each FAM block is one
    module applied 6, 4 and 2 times with shared weights. Ours has the same 28.75M.
    Features: decoder maps at strides 2, 4, 8 and the SE-fused encoder map at stride 16.
    """

    family: ClassVar[str] = "hybrid"
    published_params: ClassVar[float] = 28.75
    published_source: ClassVar[str] = (
        "Wu et al. 2022, FAT-Net (Medical Image Analysis 76:102327), Table 2; "
        "github.com/SZUcsh/FAT-Net"
    )

    class Params(PretrainedParams):
        cnn_weights_file: Path | None = Field(None, description="local timm resnet34 weights")
        transformer_weights_file: Path | None = Field(
            None, description="local timm deit_tiny_distilled_patch16_224 weights"
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
        self.stem = nn.Sequential(cnn.conv1, cnn.bn1, cnn.act1)
        self.cnn_stages = nn.ModuleList([cnn.layer1, cnn.layer2, cnn.layer3, cnn.layer4])
        deit = create_timm_model(
            "deit_tiny_distilled_patch16_224",
            pretrained=params.pretrained,
            weights_file=params.transformer_weights_file,
            in_chans=params.in_channels,
            dynamic_img_size=True,
        )
        self.patch_embed, self.blocks = deit.patch_embed, deit.blocks
        self.tokens_to_cnn = nn.Conv2d(192, 512, 1)
        self.se = SqueezeExcite(1024)
        self.fuse = nn.Conv2d(1024, 512, 1)
        self.fams = nn.ModuleList(
            [FeatureAdaptation(64, 6), FeatureAdaptation(128, 4), FeatureAdaptation(256, 2)]
        )
        self.decoders = nn.ModuleList(
            [DecoderBottleneck(512, 256), DecoderBottleneck(256, 128), DecoderBottleneck(128, 64)]
        )
        self.head = nn.Sequential(
            nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(32, 32, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(32, params.num_classes, 3, padding=1),
        )
        self.feature_channels = [64, 128, 256, 512]
        self.feature_strides = [2, 4, 8, 16]

    def forward(self, x: Tensor) -> SegOutput:
        skips = []
        e = self.stem(x)
        for stage in self.cnn_stages:
            e = stage(e)
            skips.append(e)  # strides 2, 4, 8, 16
        tokens = self.blocks(self.patch_embed(x).flatten(1, 2))
        grid = skips[-1].shape[-2:]
        t16 = self.tokens_to_cnn(tokens.transpose(1, 2).reshape(x.shape[0], -1, *grid))
        d = self.fuse(self.se(torch.cat([skips[-1], t16], dim=1)))
        feats = [d]
        for decoder, fam, skip in zip(
            self.decoders, reversed(self.fams), reversed(skips[:-1]), strict=True
        ):
            d = decoder(d) + fam(skip)
            feats.append(d)
        return SegOutput(logits=self.head(d), features=feats[::-1])


@hookimpl
def distill_register_students(register) -> None:  # noqa: ANN001 - pluggy callback
    register("fatnet", FATNet)
