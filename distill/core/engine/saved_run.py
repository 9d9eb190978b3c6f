"""Rebuild a trained model from a run folder, for `distill eval` and `distill predict`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distill.core.config import ComponentConfig, RunConfig
from distill.core.engine.checkpoint import extract_state_dict, load_checkpoint
from distill.core.engine.experiment import build_dataset, build_model, load_run_config
from distill.core.errors import ConfigError
from distill.core.interfaces import Dataset, SegmentationModel
from distill.core.plugins import registry


@dataclass
class SavedModel:
    model: SegmentationModel
    cfg: RunConfig
    dataset: Dataset
    label: str


def load_saved_model(
    run_dir: Path, which: str = "student", dataset_override: dict[str, Any] | None = None
) -> SavedModel:
    """``which`` is ``student`` (best checkpoint) or ``teacher`` / ``teacherN``."""
    run_dir = Path(run_dir)
    cfg = load_run_config(run_dir)
    if dataset_override:
        cfg.data.dataset = ComponentConfig(**dataset_override)
    reg = registry()
    dataset = build_dataset(cfg, reg)
    size = tuple(cfg.data.size)
    if which == "student":
        comp, kind, path = cfg.student, "student", run_dir / "best.pt"
    elif which.startswith("teacher"):
        index = int(which[len("teacher") :] or 0)
        if index >= len(cfg.teachers):
            raise ConfigError(f"run '{run_dir}' has {len(cfg.teachers)} teacher(s)")
        comp, kind = cfg.teachers[index], "teacher"
        path = run_dir / f"teacher{index}_best.pt"
        if not path.exists():
            import json

            record = run_dir / f"teacher{index}.json"
            if record.exists():
                path = Path(json.loads(record.read_text())["source"])
    else:
        raise ConfigError(f"--model must be 'student' or 'teacherN', got '{which}'")
    model = build_model(reg, kind, comp, dataset, size, cfg.seed)
    model.load_state_dict(extract_state_dict(load_checkpoint(path), "model"))
    return SavedModel(model.eval(), cfg, dataset, f"{kind} {comp.name}")
