"""int8 by onnxruntime static quantization, calibrated on the run's training images.

Static (activations' ranges measured once, on calibration images) rather than dynamic,
because convolutions dominate these models and onnxruntime quantizes convolutions
statically only. QDQ format, weights int8 per output channel, activations uint8 (the
U8S8 pairing onnxruntime's x86 kernels are fastest with), MinMax ranges. The model is
first run through ``quant_pre_process`` (shape inference and graph fusions), which the
quantizer needs to see fused Conv+BN; a model it cannot pre-process is quantized as is.

Whether int8 pays is measured, never assumed: the export reports its latency and mDice
beside fp32 and the model card says so plainly when int8 is slower or less accurate.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from distill.core.errors import DistillError
from distill.deploy.ort import INPUT


class _Images:
    """onnxruntime's CalibrationDataReader protocol over normalised images, one at a time."""

    def __init__(self, x: np.ndarray) -> None:
        self.x = x
        self.index = 0

    def get_next(self) -> dict[str, np.ndarray] | None:
        if self.index >= len(self.x):
            return None
        item = self.x[self.index : self.index + 1]
        self.index += 1
        return {INPUT: np.ascontiguousarray(item, dtype=np.float32)}


def quantize_int8(fp32: Path, out: Path, calibration: np.ndarray) -> None:
    """Write the int8 model of ``fp32`` to ``out``, calibrated on ``calibration``
    (float32 (N, C, H, W), normalised as the model expects)."""
    from onnxruntime.quantization import (
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quant_pre_process,
        quantize_static,
    )

    if len(calibration) == 0:
        raise DistillError("int8: no calibration images")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "prepared.onnx"
        try:
            quant_pre_process(str(fp32), str(source), skip_symbolic_shape=True)
        except Exception:  # noqa: BLE001 - an optional optimisation; quantize the original
            source = fp32
        try:
            quantize_static(
                str(source),
                str(out),
                _Images(calibration),
                quant_format=QuantFormat.QDQ,
                per_channel=True,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                calibrate_method=CalibrationMethod.MinMax,
            )
        except Exception as err:
            first = str(err).strip().splitlines()[0][:200] if str(err).strip() else ""
            raise DistillError(f"int8 quantization failed: {type(err).__name__} {first}") from None
