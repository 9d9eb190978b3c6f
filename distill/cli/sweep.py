"""`distill sweep`: an Optuna study over loss weights, scales and fusion choices."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from distill.cli.app import app, console
from distill.cli.options import ConfigFlags, config_options


@app.command("sweep")
@config_options(exclude=("out", "name"))
def sweep_command(
    options: ConfigFlags,
    trials: int = typer.Option(20, "--trials", "-n", help="finished trials the study reaches"),
    space: Optional[Path] = typer.Option(None, "--space", help="YAML search space"),
    study: Optional[str] = typer.Option(None, "--study", help="study name"),
    storage: Optional[str] = typer.Option(
        None,
        "--storage",
        help="database URL (default: sqlite in --out); "
        "postgresql://... lets many workers share one study",
    ),
    pruner: str = typer.Option("median", "--pruner", help="median, hyperband or none"),
    heartbeat: int = typer.Option(
        10,
        "--heartbeat",
        min=1,
        help="seconds between worker heartbeats; a trial silent for 3 beats is failed and retried",
    ),
    out: Path = typer.Option(Path("sweeps/sweep"), "--out", "-o", help="sweep folder"),
    quiet: bool = typer.Option(True, "--quiet/--progress", help="per-trial progress bars"),
) -> None:
    """Search distillation settings; every `distill run` option fixes what is not searched."""
    from distill.core.errors import ConfigError
    from distill.core.plugins import registry
    from distill.core.sweep.plots import write_plots
    from distill.core.sweep.space import default_space, load_space, validate_space
    from distill.core.sweep.study import SweepSettings, best_config_yaml, run_sweep

    if pruner not in ("median", "hyperband", "none"):
        raise ConfigError(f"--pruner must be median, hyperband or none, not '{pruner}'")
    cfg = options.config()
    base = cfg.model_dump(mode="json")
    reg = registry()
    search = load_space(space) if space else default_space(cfg, reg)
    validate_space(search, base, reg, {"img_size": list(cfg.data.size)})
    settings = SweepSettings(
        out=out,
        trials=trials,
        study_name=study or out.name,
        storage=storage,
        pruner=pruner,
        seed=cfg.seed,
        heartbeat=heartbeat,
    )
    console.print(
        f"sweep [bold]{settings.study_name}[/]: {trials} trials over {', '.join(search)} -> {out}"
    )
    result = run_sweep(base, search, settings, quiet=quiet)

    table = Table(title=f"best trials of {settings.study_name}")
    for col in ("trial", "state", "val mDice", *search, "run folder"):
        table.add_column(col, overflow="fold")
    done = [t for t in result.trials if t.value is not None]
    for t in sorted(done, key=lambda t: -t.value)[:10]:
        values = [t.params.get(p) for p in search]
        table.add_row(
            str(t.number),
            t.state.name.lower(),
            f"{t.value:.4f}",
            *[shown(search[p], v) for p, v in zip(search, values, strict=True)],
            t.user_attrs.get("run_dir", ""),
        )
    console.print(table)
    counts = {
        s: sum(t.state.name == s for t in result.trials) for s in ("COMPLETE", "PRUNED", "FAIL")
    }
    console.print("trials: " + ", ".join(f"{v} {k.lower()}" for k, v in counts.items()))
    if done:
        (out / "best_config.yaml").write_text(best_config_yaml(result, base))
        plots = write_plots(result, out)
        console.print(
            f"best config: {out / 'best_config.yaml'}  plots: " + ", ".join(str(p) for p in plots)
        )


def shown(dimension, value) -> str:
    """A trial's value as a person reads it (categorical choices are stored as JSON)."""
    if value is None:
        return ""
    if dimension.kind == "categorical":
        return str(json.loads(value))
    return f"{value:.4g}" if isinstance(value, float) else str(value)
