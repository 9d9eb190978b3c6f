"""The typer application every command module attaches to, and the error boundary."""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console

from distill.core.errors import DistillError

app = typer.Typer(
    name="distill",
    help="Knowledge distillation for 2D medical image segmentation.",
    no_args_is_help=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)

DEBUG_ENV = "DISTILL_DEBUG"


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    debug: bool = typer.Option(False, "--debug", help="show full tracebacks on errors"),
) -> None:
    if debug:
        os.environ[DEBUG_ENV] = "1"
    if ctx.invoked_subcommand is None:
        # `distill` with no command runs the default experiment, like `distill run`.
        from distill.cli.run import run_command

        ctx.invoke(run_command)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one clear error line and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def run_app(argv: list[str] | None = None) -> int:
    """Run the CLI, mapping errors to exit codes: 0 ok, 2 usage/config, 1 runtime."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        app(args=argv, standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except DistillError as exc:
        if debug or os.environ.get(DEBUG_ENV):
            raise
        for i, line in enumerate(str(exc).splitlines() or [type(exc).__name__]):
            prefix = "[bold red]error:[/] " if i == 0 else "       "
            err_console.print(prefix + line, highlight=False, markup=True, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/]")
        return 130
    except Exception as exc:  # click usage errors carry their own exit codes
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            return exc.exit_code
        if isinstance(exc, click.exceptions.Abort):
            return 1
        if debug or os.environ.get(DEBUG_ENV):
            raise
        err_console.print(
            f"[bold red]error:[/] {type(exc).__name__}: {exc} (rerun with --debug for the "
            "traceback)",
            highlight=False,
            markup=True,
        )
        return 1
    return 0
