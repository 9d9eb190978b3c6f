"""`distill run`: train the teacher(s) and a distilled student, evaluate, write the run folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from distill.cli.app import app, console
from distill.cli.options import ConfigOptions, config_from_options


@app.command("run")
def run_command(
    teacher: Optional[list[str]] = ConfigOptions.teacher,
    student: Optional[str] = ConfigOptions.student,
    distiller: Optional[list[str]] = ConfigOptions.distiller,
    dataset: Optional[str] = ConfigOptions.dataset,
    data_root: Optional[Path] = ConfigOptions.data_root,
    config: Optional[Path] = ConfigOptions.config,
    preset: Optional[str] = ConfigOptions.preset,
    set_: Optional[list[str]] = ConfigOptions.set_,
    out: Optional[Path] = ConfigOptions.out,
    name: Optional[str] = ConfigOptions.name,
    device: Optional[str] = ConfigOptions.device,
    seed: Optional[int] = ConfigOptions.seed,
    epochs: Optional[int] = ConfigOptions.epochs,
    teacher_epochs: Optional[int] = ConfigOptions.teacher_epochs,
    size: Optional[tuple[int, int]] = ConfigOptions.size,
    resume: Optional[Path] = typer.Option(
        None, "--resume", help="continue a killed run folder", file_okay=False
    ),
    retrain_teacher: bool = typer.Option(
        False, "--retrain-teacher", help="train the teacher even if a stored one matches"
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bars (CI, logs)"),
) -> None:
    """Train teacher(s) and a distilled student, then test and write a report.

    With no options: --teacher swin --student mpdnet --distiller mpd --dataset synthetic-derm,
    sized to finish in minutes on a CPU (the `full` preset on a GPU).
    """
    from distill.core.engine.experiment import run_experiment

    cfg = None
    if resume is None:
        cfg = config_from_options(
            teacher=teacher,
            student=student,
            distiller=distiller,
            dataset=dataset,
            data_root=data_root,
            config=config,
            preset=preset,
            set_=set_,
            out=out,
            name=name,
            device=device,
            seed=seed,
            epochs=epochs,
            teacher_epochs=teacher_epochs,
            size=size,
        )
    result = run_experiment(cfg, resume=resume, quiet=quiet, retrain_teacher=retrain_teacher)
    from distill.core.report.tables import metrics_table

    if os.environ.get("RANK", "0") != "0":
        return  # under torchrun, rank 0 reports
    console.print(metrics_table(result.test, title=f"test metrics: {result.run_dir}"))
