"""Trained teachers, stored under a key derived from what determines them.

Runs and sweep trials whose teacher config, data (settings and content), size, training
recipe and seed agree
reuse the stored weights instead of retraining; ``--retrain-teacher`` forces training.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from distill.core.config import ComponentConfig, RunConfig
from distill.core.engine.checkpoint import save_atomic
from distill.core.store import cache_root, digest


def teacher_key(cfg: RunConfig, teacher: ComponentConfig, data_fingerprint: str) -> str:
    """Hash of everything that changes the trained teacher (not the student side, nor which
    checkpoint files its training writes). ``data_fingerprint`` stands for the data itself:
    masks edited in place or a changed split file give another teacher, never a stale one
    that has seen today's test images."""
    recipe = cfg.teacher_train.model_dump(
        mode="json", exclude={"checkpoint", "retrain", "resume_state", "checkpoint_every"}
    )
    material: dict[str, Any] = {
        "teacher": teacher.model_dump(mode="json"),
        "dataset": cfg.data.dataset.model_dump(mode="json"),
        "data": data_fingerprint,
        "labeled_fraction": cfg.data.labeled_fraction,
        "unlabeled": cfg.data.unlabeled.model_dump(mode="json") if cfg.data.unlabeled else None,
        "size": list(cfg.data.size),
        "augment": cfg.data.augment.model_dump(mode="json"),
        "recipe": recipe,
        "seed": cfg.seed,
    }
    return f"{teacher.name}-{digest(material)}"


def stored_teacher(key: str) -> Path:
    return cache_root() / "teachers" / f"{key}.pt"


def store_teacher(key: str, state_dict: dict[str, Any], score: float) -> Path:
    path = stored_teacher(key)
    save_atomic({"model": state_dict, "score": score, "key": key}, path)
    return path
