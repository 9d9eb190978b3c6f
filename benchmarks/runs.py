"""A suite's run, trained once: a finished run folder is read back, so a stopped suite
resumes where it stopped; an unfinished one (suites keep no resume state) is redone."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import distill
from distill.core.config import RunConfig
from distill.core.run import Run


def finished(cfg: RunConfig) -> Run | None:
    """The run of ``cfg`` if its folder holds a finished run, else None."""
    folder = Path(cfg.out) / cfg.run_name()
    if folder.is_dir() and (folder / Run.CONFIG).is_file() and Run.open(folder).test:
        return Run.open(folder)
    return None


def train_or_read(cfg: RunConfig) -> Run:
    run = finished(cfg)
    if run is not None:
        return run
    folder = Path(cfg.out) / cfg.run_name()
    if folder.is_dir():
        shutil.rmtree(folder)
    print(f"training {cfg.run_name()}", file=sys.stderr, flush=True)
    return distill.run(cfg, progress=False)
