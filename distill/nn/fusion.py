"""Fusion blocks by name, for students that take one as a parameter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import nn


def fusion_factory(name: str, params: dict[str, Any], where: str):
    """A builder ``(in_channels, out_channels) -> FusionBlock`` for the registered block
    ``name``, its ``params`` validated once, now: a bad field fails when the student is
    built, and the error says ``where`` (e.g. "mpdnet fusion 'selective'")."""
    from distill.core.plugins import registry

    component = registry().get("fusion", name)
    component.validate(params, where=where)

    def build(in_channels: Sequence[int], out_channels: int) -> nn.Module:
        return component.build(dict(params), list(in_channels), out_channels)

    return build
