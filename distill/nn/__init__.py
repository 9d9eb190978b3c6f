"""The plugin author's toolkit: what the built-in plugins share, one definition each.

A plugin imports the interfaces (:mod:`distill.core.interfaces`), ``distill.hookimpl`` and
this package, nothing else of distill: the rest is private and may change. Everything here
is re-exported at the top level::

    from distill.nn import ConvNormAct, resize_to, feature_pairs, create_timm_features

* layers: :class:`ConvNormAct`, :class:`SeparableConvNormAct`, :func:`projection`,
  :class:`DoubleConv`, :class:`PlainEncoder`, :class:`Upsample2x`
* resizing: :func:`resize_to`; tokens: :func:`tokens_to_map`, :func:`map_to_tokens`,
  :func:`grid_of`, :func:`resized_pos_embed`
* backbones: :func:`create_timm_features`, :func:`create_timm_model`, :class:`TimmFeatures`,
  :class:`PyramidFeatures`, :func:`read_state_dict`; weight options:
  :class:`PretrainedParams`, :class:`BackboneWeightsParams`
* distiller wiring: :class:`TeacherChoiceParams`, :func:`pick_teacher`,
  :func:`stride_teacher`, :func:`check_strides`, :func:`check_same_classes`,
  :func:`stride_connectors`, :func:`connector`, :func:`feature_pairs`, :func:`feature_at`,
  :func:`teacher_feature`, :func:`logits_of`, :func:`teacher_logits`; losses:
  :func:`pixel_kd`, :func:`ensemble_logits`, :func:`as_constant`
* fusion blocks by name: :func:`fusion_factory`
"""

from __future__ import annotations

from distill.nn.backbones import (
    PYRAMID_STRIDES,
    PyramidFeatures,
    TimmFeatures,
    create_timm_features,
    create_timm_model,
    read_state_dict,
)
from distill.nn.fusion import fusion_factory
from distill.nn.layers import (
    ConvNormAct,
    DoubleConv,
    PlainEncoder,
    SeparableConvNormAct,
    UpMode,
    Upsample2x,
    projection,
)
from distill.nn.losses import as_constant, ensemble_logits, pixel_kd
from distill.nn.resize import resize_to
from distill.nn.tokens import grid_of, map_to_tokens, resized_pos_embed, tokens_to_map
from distill.nn.weights import BackboneWeightsParams, PretrainedParams
from distill.nn.wiring import (
    ConnectorNorm,
    TeacherChoiceParams,
    check_same_classes,
    check_strides,
    chosen_teacher,
    connector,
    feature_at,
    feature_pairs,
    logits_of,
    pick_teacher,
    stride_connectors,
    stride_teacher,
    teacher_feature,
    teacher_logits,
)

__all__ = [
    "PYRAMID_STRIDES",
    "BackboneWeightsParams",
    "ConnectorNorm",
    "ConvNormAct",
    "DoubleConv",
    "PlainEncoder",
    "PretrainedParams",
    "PyramidFeatures",
    "SeparableConvNormAct",
    "TeacherChoiceParams",
    "TimmFeatures",
    "UpMode",
    "Upsample2x",
    "as_constant",
    "check_same_classes",
    "check_strides",
    "chosen_teacher",
    "connector",
    "create_timm_features",
    "create_timm_model",
    "ensemble_logits",
    "feature_at",
    "feature_pairs",
    "fusion_factory",
    "grid_of",
    "logits_of",
    "map_to_tokens",
    "pick_teacher",
    "pixel_kd",
    "projection",
    "read_state_dict",
    "resize_to",
    "resized_pos_embed",
    "stride_connectors",
    "stride_teacher",
    "teacher_feature",
    "teacher_logits",
    "tokens_to_map",
]
