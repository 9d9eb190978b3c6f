"""The runs of the suite: recipes x seeds x methods, each a config for ``distill.run``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.mpdnet_grid import Budget as GridBudget
from benchmarks.mpdnet_grid import mpdnet_run
from distill.core.config import RunConfig

REFERENCE = "alone"
BASE = "base"
# A recipe is what a run changes against the default config. `base` is the default
# augmentation before this suite chose its zoom-out (no wide zoom, black borders); the
# others add to it the scale and artefact passes of issue #24 at the probabilities of the
# first measurement (benchmarks/results/robustness/cpu_shift_short.md), strengths at their
# defaults; each half of them alone (zooming out only, the frame's edge pixels filling the
# border: today's default; the marks and optics without the zoom); or colour constancy.
BEFORE = {"zoom_p": 0.0, "zoom": [0.4, 2.0], "padding": "zeros"}
MARKS = {
    "hair_p": 0.3,
    "ruler_p": 0.2,
    "ink_p": 0.2,
    "bubble_p": 0.2,
    "vignette_p": 0.3,
    "rim_p": 0.2,
    "illuminant_p": 0.5,
    "blur_p": 0.2,
    "jpeg_p": 0.2,
}
RECIPES: dict[str, dict[str, Any]] = {
    BASE: {"data.augment": BEFORE},
    "artefacts": {"data.augment": {**BEFORE, "zoom_p": 0.5, "zoom": [0.35, 1.5], **MARKS}},
    "zoom-out": {"data.augment": {"zoom_p": 0.5, "zoom": [0.35, 1.0], "padding": "border"}},
    "marks": {"data.augment": {**BEFORE, **MARKS}},
    "constancy": {"data.augment": BEFORE, "data.colour_constancy": 6.0},
}
SHIFT_FRACTION = 0.2  # the smallest-lesion fifth is the shift
SHIFT_VAL_FRACTION = 1 / 3  # of it, kept apart to choose the recipe on


@dataclass(frozen=True)
class Method:
    name: str  # "kd/swin": kd from the Swin teacher
    distiller: str | None  # None: MPDNet alone
    teachers: tuple[str, ...] = ()  # keys of Budget.teachers


# dual's MPD path needs a transformer's features: alone it uses the Swin teacher for both
# paths; with the CNN teacher beside it, the pixel-wise KD path takes the CNN's logits.
METHODS = (
    Method(REFERENCE, None),
    Method("kd/swin", "kd", ("swin",)),
    Method("kd/cnn", "kd", ("cnn",)),
    Method("dual/swin", "dual", ("swin",)),
    Method("dual/swin+cnn", "dual", ("swin", "cnn")),
)


@dataclass(frozen=True)
class Budget(GridBudget):
    teachers: dict[str, dict[str, Any]] = field(hash=False)  # by the name methods give


QUICK = Budget(
    size=64,
    epochs=10,
    teacher_epochs=10,
    batch=16,
    teachers={
        "swin": {
            "name": "swin",
            "embed_dim": 48,
            "depths": [1, 1, 2, 1],
            "num_heads": [2, 4, 8, 16],
        },
        "cnn": {"name": "cnn", "backbone": "resnet18", "decoder_channels": [128, 64, 32]},
    },
)
FULL = Budget(
    size=256,
    epochs=60,
    teacher_epochs=60,
    batch=16,
    teachers={"swin": {"name": "swin"}, "cnn": {"name": "cnn"}},
)


def dataset_config(data_root: Path | None) -> dict[str, Any]:
    return {
        "name": "isic2017-cc0",
        "shift_fraction": SHIFT_FRACTION,
        "shift_val_fraction": SHIFT_VAL_FRACTION,
        **({"data_root": str(data_root)} if data_root else {}),
    }


def run_config(
    dataset: dict[str, Any],
    recipe: str,
    seed: int,
    method: Method,
    budget: Budget,
    work: Path,
    device: str,
) -> RunConfig:
    """One run: MPDNet with ``recipe``'s settings and ``method``'s distillation."""
    slug = method.name.replace("/", "-").replace("+", "-")
    name = f"{dataset['name']}-{recipe}-{slug}-s{seed}"
    return mpdnet_run(
        name,
        seed,
        dataset,
        [budget.teachers[t] for t in method.teachers],
        method.distiller,
        budget,
        work,
        device,
        **RECIPES[recipe],
    )
