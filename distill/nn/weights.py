"""The weight options of every network with a timm backbone, declared once.

Why shared: every backbone must honour the same offline-first rules (hub weights only when
asked, local files first-class), and a user should find the same two fields, with the same
meaning, on every such model.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from distill.core.interfaces import ModelParams


class PretrainedParams(ModelParams):
    """``pretrained``: timm's ImageNet weights for the backbone(s), downloaded only when asked
    (air-gapped use is the norm). For a network with several backbones and one weights
    file each, which it names itself."""

    pretrained: bool = Field(
        False, description="load timm's ImageNet weights for the backbone (downloads them)"
    )


class BackboneWeightsParams(PretrainedParams):
    """``pretrained`` or ``weights_file``, a local state dict for the network's one backbone."""

    weights_file: Path | None = Field(
        None, description="local backbone weights (.pth, .pt, .bin or .safetensors state dict)"
    )
