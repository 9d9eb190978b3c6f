"""The onnxruntime backend: a bundle's ONNX file as a :class:`Predictor`, without torch.

This is what a clinic runs: onnxruntime, numpy and Pillow, no PyTorch. Sessions use the
CPU provider, all graph optimisations, and a stated thread count (onnxruntime's default is
every core, which on a shared machine measures the neighbours as much as the model).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from distill.core.errors import ConfigError
from distill.deploy.bundle import ONNX, ONNX_INT8, Bundle
from distill.deploy.predictor import Predictor

INPUT, OUTPUT = "image", "logits"


def session(path: Path, threads: int | None = None):
    """An onnxruntime CPU session for ``path``; a file it cannot load is named."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise ConfigError(
            "onnxruntime is not installed: pip install 'distill[deploy]' (or onnxruntime)"
        ) from None
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # warnings about unused initialisers are not the user's
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as err:  # onnxruntime raises its own exception types
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ConfigError(f"{path}: onnxruntime cannot load it ({first})") from None


class OrtBackend:
    """Normalised float32 NCHW batches to logits through one onnxruntime session."""

    def __init__(self, path: Path, threads: int | None = None) -> None:
        self.path = Path(path)
        self.session = session(self.path, threads)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.session.run([OUTPUT], {INPUT: np.ascontiguousarray(x, dtype=np.float32)})[0]


def ort_predictor(bundle: Bundle, *, threads: int | None = None, int8: bool = False) -> Predictor:
    """The bundle's fp32 ONNX model (or, with ``int8``, its quantised one)."""
    name = ONNX_INT8 if int8 else ONNX
    path = bundle.file(name)
    if not path.is_file():
        raise ConfigError(
            f"{path}: this bundle has no {name}"
            + (" (export it with --quantize int8)" if int8 else "")
        )
    return Predictor(
        backend=OrtBackend(path, threads),
        preprocess=bundle.preprocess,
        class_names=bundle.class_names,
        label=bundle.label + (" int8" if int8 else ""),
        runtime="onnxruntime",
        source=bundle.path,
    )
