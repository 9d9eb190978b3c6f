"""`distill plugins` / `distill list`: what is registered, where it came from, its parameters."""

from __future__ import annotations

import typing

import typer
from rich.markup import escape
from rich.table import Table

from distill.cli.app import app, console
from distill.core.errors import UnknownComponentError
from distill.core.plugins import plugin_state
from distill.core.registry import KINDS, Component

plugins_app = typer.Typer(
    help="List registered components and show their parameters.", invoke_without_command=True
)


def _components_table() -> Table:
    state = plugin_state()
    table = Table(title="distill components", show_lines=False)
    for col in ("kind", "name", "source", "summary"):
        table.add_column(col, overflow="fold")
    for kind in KINDS:
        for c in state.registry.all(kind):
            table.add_row(kind, f"[bold]{c.name}[/]", c.source, c.summary)
    return table


def _print_failures() -> None:
    state = plugin_state()
    if state.failures:
        table = Table(title="[red]plugins that failed and were skipped[/]")
        for col in ("plugin", "stage", "error"):
            table.add_column(col, overflow="fold")
        for f in state.failures:
            table.add_row(f.plugin, f.stage, f.error)
        console.print(table)
    if state.blocked:
        console.print(f"[yellow]blocked by DISTILL_DISABLE_PLUGINS:[/] {', '.join(state.blocked)}")


@plugins_app.callback()
def plugins_list(ctx: typer.Context) -> None:
    """Every registered component by kind, with its source plugin and summary."""
    if ctx.invoked_subcommand is None:
        console.print(_components_table())
        _print_failures()


def type_label(annotation: object) -> str:
    """``list[int]``, ``Literal['bn', 'gn']``, ``Path | None``: what a user should type."""
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return annotation.__name__
    return str(annotation).replace("typing.", "").replace("pathlib.", "")


def params_table(component: Component) -> Table:
    table = Table(
        title=f"{component.kind} [bold]{component.name}[/] — {component.summary}",
        caption=f"from {component.source}",
    )
    for col in ("parameter", "type", "default", "description"):
        table.add_column(col, overflow="fold")
    for name, field in component.params.model_fields.items():
        annotation = field.annotation
        type_name = type_label(annotation)
        default = (
            "required"
            if field.is_required()
            else repr(field.get_default(call_default_factory=True))
        )
        table.add_row(name, escape(type_name), escape(default), escape(field.description or ""))
    return table


@plugins_app.command("show")
def plugins_show(name: str = typer.Argument(..., help="component name")) -> None:
    """Print a component's parameters with types, defaults and descriptions."""
    registry = plugin_state().registry
    found = registry.find(name)
    if not found:
        every = sorted({c.name for c in registry.all()})
        raise UnknownComponentError("component", name, every)
    for component in found:
        console.print(params_table(component))
        doc = (component.factory.__doc__ or "").strip()
        if doc and "\n" in doc:
            console.print(doc, highlight=False, markup=False)


app.add_typer(plugins_app, name="plugins")
app.add_typer(plugins_app, name="list", help="Alias of `distill plugins`.")
