"""The typer application every command module attaches to, and the error boundary."""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console
from rich.markup import escape

from distill.core.errors import DistillError

app = typer.Typer(
    name="distill",
    help="Knowledge distillation for 2D medical image segmentation.",
    no_args_is_help=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    add_completion=False,
)
LOG_WIDTH = 160  # a log file or pipe has no width; rich's 80-column default cuts tables


def make_console(stderr: bool = False) -> Console:
    """A console that renders whole tables when its output goes to a file or a pipe."""
    console = Console(stderr=stderr)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = LOG_WIDTH
    return console


console = make_console()
err_console = make_console(stderr=True)

DEBUG_ENV = "DISTILL_DEBUG"


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    debug: bool = typer.Option(False, "--debug", help="show full tracebacks on errors"),
) -> None:
    if ctx.invoked_subcommand is None:
        # `distill` with no command runs the default experiment, like `distill run`.
        from distill.cli.run import run_command

        ctx.invoke(run_command)


def run_app(argv: list[str] | None = None) -> int:
    """Run the CLI, mapping errors to exit codes: 0 ok, 2 usage/config, 1 runtime.

    ``--debug`` may appear anywhere on the command line; it shows full tracebacks.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = bool(os.environ.get(DEBUG_ENV))
    if "--debug" in args:
        args.remove("--debug")
        debug = True
    try:
        app(args=args, prog_name="distill", standalone_mode=True)
    except SystemExit as exc:  # click's own exits: usage errors are 2
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except DistillError as exc:
        if debug:
            raise
        for i, line in enumerate(str(exc).splitlines() or [type(exc).__name__]):
            prefix = "[bold red]error:[/] " if i == 0 else "       "
            err_console.print(prefix + escape(line), highlight=False, soft_wrap=True)
        return exc.exit_code
    except Exception as exc:
        if debug:
            raise
        err_console.print(
            f"[bold red]error:[/] {escape(f'{type(exc).__name__}: {exc}')} "
            "(rerun with --debug for the traceback)",
            highlight=False,
            soft_wrap=True,
        )
        return 1
    return 0
