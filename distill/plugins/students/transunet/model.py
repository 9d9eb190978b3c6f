"""TransUNet (Chen et al. 2021), R50-ViT-B/16 with the cascaded upsampler."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from torch import Tensor, nn

from distill.core.interfaces import SegOutput, Student
from distill.nn import BackboneWeightsParams
from distill.plugins.students.transunet.decoder import CascadedUpsampler
from distill.plugins.students.transunet.encoder import HybridViTEncoder


class TransUNet(Student):
    """TransUNet (Chen 2021): R50 + ViT-B/16 encoder, cascaded upsampler with skips; any size divisible by 16, position embeddings interpolated.

    Published count: 105.28M for R50-ViT-B/16 at 224x224 (TransUNet paper, Table/Sec. 4 and
    the official repo Beckschen/TransUNet, 9 Synapse classes). Ours matches within 0.1%: the
    position embedding covers the ``img_size`` grid (14x14 at the default 224) and the head
    has ``num_classes`` outputs, the only parts that depend on configuration.
    Features: decoder outputs at strides 2, 4, 8 (CNN skips fused with the transformer
    path) and the transformer map at stride 16.
    """

    family: ClassVar[str] = "hybrid"
    published_params: ClassVar[float] = 105.28
    published_source: ClassVar[str] = (
        "Chen et al. 2021, TransUNet (arXiv:2102.04306), R50-ViT-B/16, 224x224; "
        "github.com/Beckschen/TransUNet"
    )

    class Params(BackboneWeightsParams):
        img_size: int | tuple[int, int] = Field(
            224, description="input size (side or (H, W)) the position embeddings are built for"
        )
        drop_rate: float = Field(0.1, ge=0.0, lt=1.0, description="ViT dropout (paper: 0.1)")

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self.encoder = HybridViTEncoder(
            params.img_size,
            params.in_channels,
            params.drop_rate,
            params.pretrained,
            params.weights_file,
        )
        self.decoder = CascadedUpsampler(self.encoder.embed_dim, self.encoder.skip_channels)
        self.head = nn.Conv2d(self.decoder.channels[-1], params.num_classes, 3, padding=1)
        self.feature_channels = [64, 128, 256, self.encoder.embed_dim]
        self.feature_strides = [2, 4, 8, 16]

    def forward(self, x: Tensor) -> SegOutput:
        skips, hidden = self.encoder(x)
        d8, d4, d2, d1 = self.decoder(hidden, skips)
        return SegOutput(logits=self.head(d1), features=[d2, d4, d8, hidden])
