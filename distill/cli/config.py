"""`distill config show`: the fully resolved configuration a run would use."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.syntax import Syntax

from distill.cli.app import app, console
from distill.cli.options import ConfigOptions, config_from_options

config_app = typer.Typer(help="Inspect run configurations.")
app.add_typer(config_app, name="config")


@config_app.command("show")
def config_show(
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
) -> None:
    """Print the resolved config (every component parameter validated, defaults filled)."""
    from distill.core.config import resolve, to_yaml
    from distill.core.plugins import registry

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
    cfg = resolve(cfg, registry(), {"img_size": list(cfg.data.size)})
    console.print(Syntax(to_yaml(cfg), "yaml", theme="ansi_dark", background_color="default"))
