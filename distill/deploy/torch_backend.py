"""The PyTorch backend: a run's (or a bundle's) model as a :class:`Predictor`.

A run folder is rebuilt by the engine's :func:`~distill.core.evaluation.load_trained`; a
bundle is rebuilt from its own ``distill.json`` (component and parameters) and
``model.safetensors``, with no run folder and no dataset.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from distill.core.errors import ConfigError
from distill.deploy.bundle import WEIGHTS, Bundle
from distill.deploy.predictor import Predictor


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except RuntimeError as err:
        raise ConfigError(f"--device '{device}': {err}") from None


class TorchBackend:
    """Normalised float32 NCHW numpy batches to logits, in eval mode without gradients."""

    def __init__(self, model: torch.nn.Module, device: str = "auto") -> None:
        self.device = resolve_device(device)
        self.model = model.eval().to(self.device)

    @torch.inference_mode()
    def __call__(self, x: np.ndarray) -> np.ndarray:
        batch = torch.from_numpy(np.ascontiguousarray(x)).to(self.device)
        return self.model(batch).logits.float().cpu().numpy()


def _threads(threads: int | None) -> None:
    if threads:
        torch.set_num_threads(threads)


def run_predictor(
    path: Path, *, model: str = "student", device: str = "auto", threads: int | None = None
) -> Predictor:
    from distill.core.evaluation import load_trained
    from distill.core.run import Run

    _threads(threads)
    run = Run.open(path)
    trained = load_trained(run, model)
    return Predictor(
        backend=TorchBackend(trained.model, device),
        preprocess=trained.preprocess,
        class_names=trained.class_names,
        label=trained.label,
        runtime="torch",
        model=trained.model,
        source=run.path,
    )


def build_from_bundle(bundle: Bundle) -> torch.nn.Module:
    """The bundle's component with its recorded parameters and weights, in eval mode."""
    from distill.core.engine.checkpoint import load_weights
    from distill.core.plugins import registry

    spec = bundle.meta["model"]
    pre = bundle.preprocess
    values = {
        **spec["params"],
        "num_classes": len(bundle.class_names),
        "in_channels": pre.in_channels,
    }
    net = registry().get(spec["kind"], spec["component"]).build_model(values, pre.size)
    net.load_state_dict(load_weights(bundle.file(WEIGHTS), "model", net))
    return net.eval()


def bundle_predictor(
    bundle: Bundle, *, device: str = "auto", threads: int | None = None
) -> Predictor:
    _threads(threads)
    net = build_from_bundle(bundle)
    return Predictor(
        backend=TorchBackend(net, device),
        preprocess=bundle.preprocess,
        class_names=bundle.class_names,
        label=bundle.label,
        runtime="torch",
        model=net,
        source=bundle.path,
    )
