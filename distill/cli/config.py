"""`distill config show`: the fully resolved configuration a run would use."""

from __future__ import annotations

import typer
from rich.syntax import Syntax

from distill.cli.app import app, console
from distill.cli.options import ConfigFlags, config_options

config_app = typer.Typer(help="Inspect run configurations.")
app.add_typer(config_app, name="config")


@config_app.command("show")
@config_options()
def config_show(options: ConfigFlags) -> None:
    """Print the resolved config (every component parameter validated, defaults filled)."""
    from distill.core.config import resolve, to_yaml
    from distill.core.plugins import registry

    cfg = options.config()
    cfg = resolve(cfg, registry(), {"img_size": list(cfg.data.size)})
    console.print(Syntax(to_yaml(cfg), "yaml", theme="ansi_dark", background_color="default"))
