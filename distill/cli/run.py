"""`distill run`: train the teacher(s) and a distilled student, evaluate, write the run folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from distill.cli.app import app, console
from distill.cli.options import ConfigFlags, config_options


@app.command("run")
@config_options()
def run_command(
    options: ConfigFlags,
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
    from distill.core.engine.distributed import shutdown
    from distill.core.engine.experiment import run_experiment
    from distill.core.engine.resume import resumed_config
    from distill.core.run import Run

    cfg = None if resume is not None else options.config()
    resumed = None
    if resume is not None:
        resumed, changed = resumed_config(Run.open(resume), *options.given())
        if changed:
            console.print(f"resuming with {', '.join(changed)} changed (recorded in config.yaml)")
    result = run_experiment(
        cfg, resume=resume, quiet=quiet, retrain_teacher=retrain_teacher, resumed_cfg=resumed
    )
    shutdown()  # under torchrun: every rank leaves the process group together
    from distill.core.report.tables import metrics_table

    if os.environ.get("RANK", "0") != "0":
        return  # under torchrun, rank 0 reports
    console.print(metrics_table(result.test, title=f"test metrics: {result.run_dir}"))
