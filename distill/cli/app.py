"""The typer application every command module attaches to, the plugin commands beside
them, and the error boundary."""

from __future__ import annotations

import os
import sys

import click
import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from distill.core.errors import DistillError


class PluginCommandGroup(TyperGroup):
    """The root command group: the built-in commands, then those plugins register through
    ``distill_register_commands``. Plugins are asked only to list every command (``--help``)
    or to run a name no built-in has, so a built-in command never imports a plugin."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        builtin = super().list_commands(ctx)
        return [*builtin, *(n for n in plugin_click_commands(builtin) if n not in builtin)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None:
            command = plugin_click_commands(super().list_commands(ctx)).get(cmd_name)
        return command


_CLICK_COMMANDS: tuple[object, dict[str, click.Command]] | None = None


def plugin_click_commands(builtin: list[str]) -> dict[str, click.Command]:
    """Plugin commands as click commands, converted once per loaded plugin state. A command
    that takes a built-in's name, or cannot be converted, is reported and skipped."""
    from distill.core.plugins import plugin_commands, record_failure

    global _CLICK_COMMANDS
    state = plugin_commands()
    if _CLICK_COMMANDS is not None and _CLICK_COMMANDS[0] is state:
        return _CLICK_COMMANDS[1]
    converted: dict[str, click.Command] = {}
    for name, command in state.commands.items():
        try:
            if name in builtin:
                raise ValueError(f"'{name}' is a built-in command; pick another name")
            converted[name] = as_click_command(name, command.target, command.help)
        except Exception as exc:  # noqa: BLE001 - one plugin's bad command skips only it
            record_failure(state, command.source, f"command '{name}'", exc)
    _CLICK_COMMANDS = (state, converted)
    return converted


def as_click_command(name: str, target: object, help: str | None) -> click.Command:
    """A typer app, a plain function or a click command, as the click command ``name``."""
    if isinstance(target, typer.Typer):
        command = typer.main.get_command(target)
    elif isinstance(target, click.Command):
        command = target
    elif callable(target):
        single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
        single.command(name=name, help=help)(target)
        command = typer.main.get_command(single)
    else:
        raise TypeError(
            f"expected a typer.Typer, a function or a click command, got {type(target).__name__}"
        )
    command.name = name
    if help:
        command.help = help
    return command


app = typer.Typer(
    name="distill",
    help="Knowledge distillation for 2D medical image segmentation.",
    no_args_is_help=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=PluginCommandGroup,
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
    from distill.cli import load_commands

    load_commands(args)
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
