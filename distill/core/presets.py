"""Named starting points for a RunConfig; a config file, flags and --set override them.

``quick`` is sized for a 2-core CPU (a few minutes end to end); ``full`` is the GPU
recipe; ``isic2017`` and ``sipakmed`` follow the paper's datasets with their official splits.
With no ``--preset``, ``quick`` is used on CPU and ``full`` on a GPU.
"""

from __future__ import annotations

import copy
from typing import Any

from distill.core.errors import UnknownComponentError

PRESETS: dict[str, dict[str, Any]] = {
    "quick": {
        "data": {"size": [128, 128]},
        "train": {"epochs": 6, "batch_size": 8, "lr": 2e-3},
        "teacher_train": {"epochs": 6, "batch_size": 8, "lr": 1e-3},
    },
    "full": {
        "data": {"size": [256, 256]},
        "train": {"epochs": 60, "batch_size": 16, "lr": 2e-3},
        "teacher_train": {"epochs": 60, "batch_size": 16, "lr": 5e-4},
    },
    "isic2017": {
        "data": {"dataset": {"name": "isic2017"}, "size": [256, 256]},
        "train": {"epochs": 100, "batch_size": 16, "lr": 2e-3},
        "teacher_train": {"epochs": 100, "batch_size": 16, "lr": 5e-4},
    },
    "sipakmed": {
        "data": {"dataset": {"name": "sipakmed"}, "size": [256, 256]},
        "train": {"epochs": 100, "batch_size": 16, "lr": 2e-3},
        "teacher_train": {"epochs": 100, "batch_size": 16, "lr": 5e-4},
    },
}


def preset(name: str | None) -> dict[str, Any]:
    if name is None:
        import torch  # only here: reading a preset by name needs no torch

        name = "full" if torch.cuda.is_available() else "quick"
    if name not in PRESETS:
        raise UnknownComponentError("preset", name, PRESETS)
    return copy.deepcopy(PRESETS[name])  # callers edit their tree; the preset stays as it is
