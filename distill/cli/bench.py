"""`distill bench SUITE [ARGS...]`: run a benchmark suite, ``python -m benchmarks.SUITE``.

The suites live in ``benchmarks/`` beside the package, not inside it (they are the project's
evidence, not a library feature), so this command needs a source checkout: it looks upward
from the current folder, then beside the installed package (an editable install).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import typer

from distill.cli.app import app, console
from distill.core.errors import ConfigError

MAIN_GUARD = 'if __name__ == "__main__":'


def find_benchmarks() -> Path | None:
    """The checkout's ``benchmarks`` folder: from the current folder upward, else beside the
    installed ``distill`` package; None when neither has one."""
    import distill

    here = Path.cwd().resolve()
    candidates = [folder / "benchmarks" for folder in (here, *here.parents)]
    candidates.append(Path(distill.__file__).resolve().parents[1] / "benchmarks")
    for folder in candidates:
        if (folder / "__init__.py").is_file():
            return folder
    return None


def suites(folder: Path) -> list[str]:
    """What runs as ``python -m benchmarks.NAME``: modules with a main guard (helpers have
    none) and packages with a ``__main__.py``."""
    modules = [p.stem for p in folder.glob("*.py") if MAIN_GUARD in p.read_text(encoding="utf-8")]
    packages = [p.parent.name for p in folder.glob("*/__main__.py")]
    return sorted(name for name in modules + packages if not name.startswith("_"))


@app.command(
    "bench",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,  # `distill bench SUITE --help` shows the suite's own options
)
def bench_command(
    ctx: typer.Context,
    suite: str = typer.Argument(
        None, help="size, speed, accuracy, data ...; its own options follow (try SUITE --help)"
    ),
) -> None:
    """Run a benchmark suite from a source checkout; results go to benchmarks/results/SUITE."""
    folder = find_benchmarks()
    if folder is None:
        raise ConfigError(
            "the benchmarks are not part of the installed package: run `distill bench` from a "
            "source checkout of distill (the folder holding benchmarks/), or use "
            "`python -m benchmarks.SUITE` there"
        )
    available = suites(folder)
    if suite in ("--help", "-h") or (suite is None and {"--help", "-h"} & set(ctx.args)):
        console.print(
            "Usage: distill bench SUITE [ARGS...]  (runs python -m benchmarks.SUITE)\n"
            f"Suites in {folder}: {', '.join(available)}\n"
            "distill bench SUITE --help shows a suite's options."
        )
        return
    if suite is None or suite not in available:
        what = "give a suite" if suite is None else f"unknown suite '{suite}'"
        raise ConfigError(f"{what}; suites in {folder}: {', '.join(available)}")
    root = folder.parent
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", f"benchmarks.{suite}", *ctx.args]
    console.print(f"[dim]running {' '.join(command[1:])} in {root}[/]")
    code = subprocess.call(command, cwd=root, env=env)
    if code:
        raise typer.Exit(code)
