"""What a run folder records as it starts: the config, the data's facts a predictor needs
later (classes, normalisation, colour constancy, a digest of the pixels), the models' costs
and the commit of the code that ran."""

from __future__ import annotations

import hashlib
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from distill.core.config import RunConfig
from distill.core.engine.build import Models
from distill.core.engine.streams import seeded
from distill.core.interfaces import Dataset, SplitArrays
from distill.core.run import Run


def data_fingerprint(arrays: Sequence[SplitArrays]) -> str:
    """A digest of the decoded data itself (ids, pixels, labels of every split)."""
    h = hashlib.blake2b(digest_size=16)
    for split in arrays:
        h.update("\n".join(split.ids).encode())
        h.update(split.images.tobytes())
        h.update(split.masks.tobytes())
    return h.hexdigest()


def start_record(
    run: Run,
    cfg: RunConfig,
    dataset: Dataset,
    models: Models,
    fingerprint: str,
    counts: dict[str, int],
) -> None:
    """The config, and what using the models later needs: the data's facts and the costs."""
    from distill.core.profile import count_macs, count_parameters

    size = list(cfg.data.size)
    cost = {}
    with seeded(cfg.seed, "cost"):
        named = [("student", cfg.student.name, models.student)]
        named += [
            (f"teacher{i}", c.name, m)
            for i, (c, m) in enumerate(zip(cfg.teachers, models.teachers, strict=False))
        ]
        for key, name, model in named:
            cost[key] = {
                "name": name,
                "params": count_parameters(model),
                "gmacs": count_macs(model, tuple(size)) / 1e9,
                "size": size,
            }
    data = {
        "dataset": cfg.data.dataset.name,
        "num_classes": dataset.num_classes,
        "class_names": list(dataset.class_names),
        "in_channels": dataset.in_channels,
        "mean": [float(v) for v in dataset.mean],
        "std": [float(v) for v in dataset.std],
        "size": size,
        "fingerprint": fingerprint,
        "skipped": [list(s) for s in getattr(dataset, "skipped", [])],
        "colour_constancy": cfg.data.colour_constancy,  # a Predictor must apply it too
        **counts,  # train_images (labelled), val, test, unlabelled
    }
    run.write_config(cfg)  # marks the run as started
    run.update(status="running", data=data, cost=cost, commit=git_commit(), started=time.time())
    for mirror in run.mirrors:
        mirror.start(run)


def git_commit() -> str | None:
    """The commit of the distill checkout that ran this, when it is one (a record, not a
    requirement: an installed wheel has none)."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None
