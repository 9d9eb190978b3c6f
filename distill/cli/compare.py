"""``distill compare``: finished run folders as one results table per dataset, in the
terminal and as Markdown, LaTeX, JSON and a plot of mDice against GMACs."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from distill.cli.app import app, console, err_console
from distill.core.errors import ConfigError


@app.command("compare")
def compare_command(
    run_dirs: list[Path] = typer.Argument(..., metavar="RUN_DIR", help="run folders"),
    markdown_file: Path | None = typer.Option(
        None, "--markdown", metavar="FILE", help="the tables as Markdown"
    ),
    latex_file: Path | None = typer.Option(
        None, "--latex", metavar="FILE", help="booktabs tables for a paper"
    ),
    json_file: Path | None = typer.Option(
        None, "--json", metavar="FILE", help="the rows, every value unrounded"
    ),
    plot_file: Path | None = typer.Option(
        None, "--plot", metavar="FILE", help="PNG: mDice against GMACs"
    ),
    reference: str | None = typer.Option(
        None,
        "--reference",
        metavar="METHOD",
        help="add each method's mDice gain over METHOD and its paired Wilcoxon p-value",
    ),
) -> None:
    """Runs side by side: mean ± std over seeds per method, with parameters and GMACs."""
    from distill.core.report.compare import (
        columns_for,
        compare_rows,
        latex_tables,
        markdown_tables,
        plot_dice_vs_gmacs,
        read_runs,
    )
    from distill.core.report.tables import format_value

    runs, skipped = read_runs(run_dirs)
    for note in skipped:
        err_console.print(f"[yellow]skipped[/] {note}")
    if not runs:
        raise ConfigError("no finished run among the folders given")
    tables = compare_rows(runs, reference)
    columns = columns_for(reference, tables)
    for dataset, rows in tables.items():
        table = Table(
            title=dataset, caption="test split (and recorded splits); mean ± std over seeds"
        )
        for key, header, *_ in columns:
            table.add_column(header, justify="left" if key == "method" else "right")
        for row in rows:
            table.add_row(*(format_value(row, key, *rest) for key, _, *rest in columns))
        console.print(table)
    writers = [
        (markdown_file, lambda path: path.write_text(markdown_tables(tables, reference))),
        (latex_file, lambda path: path.write_text(latex_tables(tables, reference))),
        (json_file, lambda path: path.write_text(json.dumps(tables, indent=2) + "\n")),
        (plot_file, lambda path: plot_dice_vs_gmacs(tables, path)),
    ]
    for path, write in writers:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            write(path)
            console.print(f"wrote {path}")
