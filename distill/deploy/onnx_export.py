"""A segmentation model to ONNX: logits only, dynamic batch, dynamic size where it can be.

We use PyTorch's TorchScript-based exporter (``dynamo=False``): it exports all 15 built-in
students and the 3 teachers with logits within 3e-6 of PyTorch (measured at 64 and 128
pixels), takes ``dynamic_axes`` for batch/height/width directly, and needs no onnxscript.
The torch.export-based exporter is the default from PyTorch 2.9 on; switching is one
argument here once it exports these models as faithfully.

Models whose token grid is fixed when built (an ``img_size`` parameter: Swin, TransUNet,
...) get a fixed height and width; the others are exported with dynamic height and width,
which the export then checks at a second size (see :mod:`distill.deploy.export`).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import torch
from torch import nn

from distill.core.errors import DistillError
from distill.deploy.ort import INPUT, OUTPUT

OPSET = 18
OPERATOR = re.compile(r"operator '([^']+)'")


class ExportError(DistillError):
    """A model that cannot be exported (its component and, when known, the operator)."""


class LogitsOnly(nn.Module):
    """The deployed graph computes logits; the features serve distillation only."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x).logits


def fixed_size(model: nn.Module) -> bool:
    """True for models built for one input size (their params have an ``img_size``)."""
    params = getattr(model, "params", None)
    return params is not None and "img_size" in type(params).model_fields


def export_onnx(
    model: nn.Module,
    path: Path,
    *,
    size: tuple[int, int],
    in_channels: int,
    label: str,
    dynamic_size: bool,
    opset: int = OPSET,
) -> None:
    """Write ``model`` (eval mode) to ``path``; an unexportable model names its operator."""
    model.eval()
    wrapper = LogitsOnly(model).eval()  # export restores the mode it finds: keep it eval
    axes = {0: "batch", 2: "height", 3: "width"} if dynamic_size else {0: "batch"}
    example = torch.zeros(1, in_channels, *size)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                wrapper,
                (example,),
                str(path),
                dynamo=False,
                opset_version=opset,
                input_names=[INPUT],
                output_names=[OUTPUT],
                dynamic_axes={INPUT: axes, OUTPUT: axes},
                do_constant_folding=True,
            )
    except Exception as err:
        found = OPERATOR.search(str(err))
        what = f"operator '{found.group(1)}'" if found else type(err).__name__
        first = str(err).strip().splitlines()[0][:200] if str(err).strip() else ""
        raise ExportError(
            f"{label}: cannot be exported to ONNX opset {opset}: {what} ({first})"
        ) from None
    finally:
        model.eval()
