"""What one cell of the accuracy table is: a method (student, distillers, overrides), the
budget every method shares, and the RunConfig of (dataset, seed, method), whose run folder is
named after everything that fixes it, so that a finished folder is a finished cell."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

CLASSIC = ["kd", "fitnet", "at", "skd", "cwd", "ifvd", "dist"]
UNET_REFERENCE = "unet-32"
PRESET_DATASETS = {"isic2017": "isic2017", "sipakmed": "sipakmed"}
# Synthetic train/val/test images in full mode: 5 steps an epoch at batch 32, enough for a
# U-Net to land inside the calibration window (README, Results).
FULL_COUNTS = (160, 40, 80)
# MedT's axial attention kept ~115 GiB for one 256x256 batch of 32 on the H200 (the runs
# beside it failed out of memory); in pieces of 8 it fits a share of the GPU, and each
# update still sees the whole batch.
MICRO_BATCH = {"medt": 8}
CC0_SHIFT_FRACTION = 0.2  # as benchmarks.robustness holds it out


@dataclass(frozen=True)
class Method:
    label: str
    student: dict[str, Any]
    distillers: tuple[str, ...] = ("none",)
    overrides: tuple[str, ...] = ()  # a variant's PATH=VALUE, applied after the budget's
    micro_batch: int | None = None  # most images per forward pass; gradients accumulated

    @property
    def needs_teacher(self) -> bool:
        return self.distillers != ("none",)


def all_methods() -> dict[str, Method]:
    """Run order: what the targets compare first, then the classic distillers, then the
    baselines; the first entry trains the teacher the others reuse."""
    from distill.core.plugins import registry

    methods = [
        Method("mpdnet+dual", {"name": "mpdnet"}, ("dual",)),
        Method("mpdnet", {"name": "mpdnet"}),
        Method(UNET_REFERENCE, {"name": "unet", "base_width": 32}),
        Method("mpdnet+mpd", {"name": "mpdnet"}, ("mpd",)),
        *[Method(f"mpdnet+{d}", {"name": "mpdnet"}, (d,)) for d in CLASSIC],
        *[
            Method(n, {"name": n}, micro_batch=MICRO_BATCH.get(n))
            for n in registry().names("student")
            if n != "mpdnet"
        ],
    ]
    return {m.label: m for m in methods}


VARIANT_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def parse_variant(text: str, methods: dict[str, Method]) -> Method:
    """``NAME=BASE PATH=VALUE ...``: method BASE with config overrides, labelled BASE@NAME,
    so a loss-weight or scale sweep lands in the same table as the method it varies."""
    head, *overrides = text.split()
    name, _, base = head.partition("=")
    if not VARIANT_NAME.fullmatch(name):
        raise ValueError(f"variant name {name!r}: use letters, digits, '_', '.', '-'")
    if base not in methods:
        raise ValueError(f"variant {name}: unknown base method {base!r}")
    if not overrides or any("=" not in o for o in overrides):
        raise ValueError(f"variant {name}: give one or more PATH=VALUE after {base}")
    return replace(methods[base], label=f"{base}@{name}", overrides=tuple(overrides))


@dataclass
class Budget:
    """Everything that fixes a run besides dataset, seed and method."""

    size: int | None
    epochs: int
    teacher_epochs: int
    batch: int
    teachers: tuple[str, ...]
    device: str
    counts: tuple[int, int, int] | None = None  # synthetic train/val/test images
    data_root: str | None = None
    steps_per_epoch: int | None = None
    overrides: tuple[str, ...] = ()  # --set PATH=VALUE, applied to every run alike
    threads: int | None = None  # CPU threads per run

    def key(self) -> dict[str, Any]:
        """As stored in JSON (tuples become lists), to match rows of an earlier try."""
        return json.loads(json.dumps(asdict(self)))

    def size_for(self, dataset: str) -> int:
        if self.size:
            return self.size
        if dataset in PRESET_DATASETS:
            from distill.core.presets import preset

            return int(preset(PRESET_DATASETS[dataset])["data"]["size"][0])
        return 128 if dataset.startswith("synthetic") else 256


def dataset_config(dataset: str, budget: Budget) -> dict[str, Any]:
    tree: dict[str, Any] = {"name": dataset}
    if dataset == "isic2017-cc0":  # the smallest lesions held out: the shift column
        tree["shift_fraction"] = CC0_SHIFT_FRACTION
    if dataset.startswith("synthetic") and budget.counts:
        tree.update(zip(("train_count", "val_count", "test_count"), budget.counts, strict=True))
    if budget.data_root and not dataset.startswith("synthetic"):
        tree["data_root"] = budget.data_root
    return tree


def run_config(dataset: str, seed: int, method: Method, budget: Budget, work: Path):
    """The RunConfig of one table cell (teacher config identical for every method), in
    ``work/runs/DATASET-sSEED-LABEL-DIGEST``: the digest covers the whole config, so a
    changed budget or override is a new folder, never a finished run mistaken for it."""
    from distill.core.config import build_config
    from distill.core.store import digest

    size = budget.size_for(dataset)
    # The suite redoes an unfinished run instead of resuming it, so resume states (weights
    # and optimizer state: 1.3 GB for TransUNet, ~54 GB over a full grid) would only cost
    # time and disk: each stage writes only its best weights, once, at the end.
    recipe = {"epochs": budget.epochs, "batch_size": budget.batch, "resume_state": False}
    if budget.steps_per_epoch:
        recipe["steps_per_epoch"] = budget.steps_per_epoch
    pieces = batch_pieces(budget.batch, method.micro_batch)
    student_recipe = {**recipe, "batch_size": budget.batch // pieces, "accumulate": pieces}
    cfg = build_config(
        {
            "out": str(work / "runs"),
            "name": f"{dataset}-s{seed}-{method.label}",
            "seed": seed,
            "data": {"dataset": dataset_config(dataset, budget), "size": [size, size]},
            "teachers": list(budget.teachers),
            "student": method.student,
            "distillers": list(method.distillers),
            "train": student_recipe,
            "teacher_train": {**recipe, "epochs": budget.teacher_epochs},
            # fewer launches, same scores; the best epoch is picked by val mDice alone
            "eval": {"overlays": 0, "batch_size": 64, "val_distances": False},
            # frozen teachers replayed from CUDA graphs on a GPU (fewer launches)
            "runtime": {
                "device": budget.device,
                "num_threads": budget.threads,
                "cuda_graphs": "auto",
            },
        },
        [*budget.overrides, *method.overrides],
    )
    fixed = digest(cfg.model_dump(mode="json", exclude={"out", "name"}))[:8]
    return cfg.model_copy(update={"name": f"{cfg.name}-{fixed}"})


def run_folder(dataset: str, seed: int, method: Method, budget: Budget, work: Path) -> Path:
    cfg = run_config(dataset, seed, method, budget, work)
    return Path(cfg.out) / cfg.run_name()


def batch_pieces(batch: int, most: int | None) -> int:
    """Fewest equal pieces of ``batch`` with at most ``most`` images each."""
    if not most or batch <= most:
        return 1
    return next(n for n in range(-(-batch // most), batch + 1) if batch % n == 0)


def paper_order(methods: list[str]) -> list[str]:
    """Baselines, mpdnet, the classic distillers, mpd, dual; a variant (BASE@NAME) right
    after its base."""

    def key(label: str) -> tuple:
        base = label.split("@")[0]
        anchor = methods.index(base) if base in methods else methods.index(label)
        return (
            base.startswith("mpdnet"),
            base == "mpdnet+mpd",
            base == "mpdnet+dual",
            anchor,
            "@" in label,
            methods.index(label),
        )

    return sorted(methods, key=key)
