"""timm backbones for teachers and students: one factory, the same weight rules for all.

Why a shared module: every timm-based model must honour the same offline-first rules
(hub weights only when asked, local weight files first-class, code-free loading) and must
hand NCHW maps downstream whatever layout timm returns (Swin returns NHWC).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from torch import Tensor, nn

from distill.core.engine.checkpoint import extract_state_dict, load_checkpoint
from distill.core.errors import ConfigError, DataError, DistillError

WEIGHT_SUFFIXES = (".pth", ".pt", ".bin", ".safetensors")
PYRAMID_STRIDES = (4, 8, 16, 32)


class TimmFeatures(nn.Module):
    """A timm ``features_only`` network that always returns NCHW maps, finest first."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net
        fmt = getattr(net, "output_fmt", "NCHW")
        self.channels_last = str(getattr(fmt, "value", fmt)) == "NHWC"
        self.channels: list[int] = list(net.feature_info.channels())
        self.strides: list[int] = list(net.feature_info.reduction())

    def forward(self, x: Tensor) -> list[Tensor]:
        maps = self.net(x)
        if self.channels_last:
            maps = [m.permute(0, 3, 1, 2).contiguous() for m in maps]
        return list(maps)


class PyramidFeatures(TimmFeatures):
    """A timm backbone's maps at strides 4, 8, 16, 32 only (drops e.g. ResNet's stride 2)."""

    def __init__(self, features: TimmFeatures, who: str) -> None:
        super().__init__(features.net)
        missing = [s for s in PYRAMID_STRIDES if s not in self.strides]
        if missing:
            raise ConfigError(
                f"{who}: backbone has no feature map at stride(s) {missing} (it has {self.strides})"
            )
        self.keep = [self.strides.index(s) for s in PYRAMID_STRIDES]
        self.channels = [self.channels[i] for i in self.keep]
        self.strides = list(PYRAMID_STRIDES)

    def forward(self, x: Tensor) -> list[Tensor]:
        maps = super().forward(x)
        return [maps[i] for i in self.keep]


def create_timm_features(
    name: str,
    *,
    pretrained: bool = False,
    weights_file: Path | str | None = None,
    in_channels: int = 3,
    out_indices: Sequence[int] | None = (1, 2, 3, 4),
    **kw: Any,
) -> TimmFeatures:
    """Build timm model ``name`` as a feature extractor returning NCHW maps.

    ``pretrained`` downloads timm's ImageNet weights (opt-in, needs internet);
    ``weights_file`` loads a local state dict (.pth/.pt/.bin via ``weights_only=True``, or
    .safetensors) saved from either the full timm model or its ``features_only`` version.
    ``out_indices=None`` keeps timm's default (every stage); the result's ``channels`` and
    ``strides`` say what each map is. Extra keyword arguments go to ``timm.create_model``
    (e.g. ``img_size``, ``window_size``).
    """
    import timm

    if pretrained and weights_file is not None:
        raise DistillError(
            f"backbone '{name}': give either pretrained=True or weights_file, not both"
        )
    common: dict[str, Any] = dict(features_only=True, in_chans=in_channels, **kw)
    if out_indices is not None:
        common["out_indices"] = tuple(out_indices)
    if pretrained:
        return TimmFeatures(_download(name, common))
    net = timm.create_model(name, pretrained=False, **common)
    if weights_file is not None:
        net = _load_local_weights(name, net, Path(weights_file), common)
    return TimmFeatures(net)


def create_timm_model(
    name: str, *, pretrained: bool = False, weights_file: Path | str | None = None, **kw: Any
) -> nn.Module:
    """A whole timm model (not ``features_only``), for networks built from timm's stages
    and blocks; same weight options as :func:`create_timm_features`."""
    import timm

    if pretrained and weights_file is not None:
        raise DistillError(
            f"backbone '{name}': give either pretrained=True or weights_file, not both"
        )
    if pretrained:
        return _download(name, kw)
    net = timm.create_model(name, pretrained=False, **kw)
    if weights_file is not None:
        net = _load_local_weights(name, net, Path(weights_file), kw)
    return net


def _download(name: str, kwargs: dict[str, Any]) -> nn.Module:
    import timm

    try:
        return timm.create_model(name, pretrained=True, **kwargs)
    except Exception as exc:  # noqa: BLE001 - any hub failure gets the same advice
        raise DistillError(
            f"could not fetch pretrained weights for backbone '{name}' "
            f"({type(exc).__name__}: {exc}). Downloading timm weights needs internet; "
            "offline, download them elsewhere and pass weights_file=<path to .pth or "
            ".safetensors>"
        ) from exc


def read_state_dict(path: Path) -> dict[str, Tensor]:
    """A tensor state dict from a local file, loaded by the checkpoint rules (tensors only,
    never code); a file saved from DataParallel loses its ``module.`` prefixes."""
    if path.is_file() and path.suffix not in WEIGHT_SUFFIXES:
        raise DataError(f"{path}: unsupported weights file type; use one of {WEIGHT_SUFFIXES}")
    try:
        state = extract_state_dict(load_checkpoint(path), "model_state")
    except DistillError as exc:
        raise DataError(f"{path}: cannot read weights ({exc})") from None
    return {k.removeprefix("module."): v for k, v in state.items()}


def _feature_key(key: str, wanted: dict[str, Tensor]) -> str | None:
    """Map a full-model key onto the features model's key (timm may flatten
    ``layers.0`` into ``layers_0``)."""
    if key in wanted:
        return key
    head, _, rest = key.partition(".")
    index, _, tail = rest.partition(".")
    flat = f"{head}_{index}.{tail}"
    return flat if index.isdigit() and flat in wanted else None


def _load_local_weights(name: str, net: nn.Module, path: Path, common: dict[str, Any]) -> nn.Module:
    """Load ``path`` into the backbone. Every backbone tensor must be present by name
    (a silent partial load would leave random weights); when some shapes differ (another
    window size, input channels) timm's own loader adapts them."""
    state = read_state_dict(path)
    wanted = net.state_dict()
    mapped = {}
    for key, value in state.items():
        target = _feature_key(key, wanted)
        if target is not None:
            mapped[target] = value
    missing = sorted(set(wanted) - set(mapped))
    if missing:
        raise DataError(
            f"{path}: does not fit backbone '{name}': {len(missing)} of its {len(wanted)} "
            f"tensors are missing from the file (e.g. {missing[:3]})"
        )
    if all(mapped[k].shape == v.shape for k, v in wanted.items()):
        net.load_state_dict(mapped, strict=True)
        return net
    import timm

    try:
        return timm.create_model(
            name, pretrained=True, pretrained_cfg_overlay=dict(file=str(path)), **common
        )
    except Exception as exc:  # noqa: BLE001
        raise DataError(
            f"{path}: tensor shapes do not fit backbone '{name}' and timm could not adapt "
            f"them ({type(exc).__name__}: {exc})"
        ) from exc
