"""distill: knowledge distillation for 2D medical image segmentation.

The Python API mirrors the CLI::

    import distill
    cfg = distill.config("quick", student="unet", distillers=["none"])
    run = distill.run(cfg)                           # trains, tests, writes runs/<name>/
    scores = distill.evaluate(run, split="test")     # .summary["mDice"]
    masks = distill.load(run).predict(["image.png"]) # label maps at each image's size
    distill.components("student")                    # registered names
    model = distill.create("student", "mpdnet", num_classes=3)

Names are imported on first use, so ``import distill`` stays light (no torch).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "config": "distill.api",
    "run": "distill.api",
    "evaluate": "distill.api",
    "load": "distill.deploy.predictor",  # torch-free for a bundle on onnxruntime
    "export": "distill.deploy.export",
    "Run": "distill.core.run",
    "create": "distill.core.registry_api",
    "components": "distill.core.registry_api",
    "hookimpl": "distill.core.hookspecs",
    "Dataset": "distill.core.interfaces",
    "Distiller": "distill.core.interfaces",
    "FusionBlock": "distill.core.interfaces",
    "ModelSpec": "distill.core.interfaces",
    "SegOutput": "distill.core.interfaces",
    "Student": "distill.core.interfaces",
    "Teacher": "distill.core.interfaces",
}
__all__ = [
    "Dataset",
    "Distiller",
    "FusionBlock",
    "ModelSpec",
    "Run",
    "SegOutput",
    "Student",
    "Teacher",
    "components",
    "config",
    "create",
    "evaluate",
    "export",
    "hookimpl",
    "load",
    "run",
]

if TYPE_CHECKING:
    from distill.api import config, evaluate, run
    from distill.core.hookspecs import hookimpl
    from distill.core.interfaces import (
        Dataset,
        Distiller,
        FusionBlock,
        ModelSpec,
        SegOutput,
        Student,
        Teacher,
    )
    from distill.core.registry_api import components, create
    from distill.core.run import Run
    from distill.deploy.export import export
    from distill.deploy.predictor import load


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'distill' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
