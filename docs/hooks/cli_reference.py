"""MkDocs hook: the command-line reference, generated from the CLI itself at build time.

The page ``reference/cli.md`` holds a short introduction; this hook appends one section per
command, walking the typer app's click tree: usage, help text and a table of its options
with their defaults. Nothing is written by hand, so the reference cannot drift from the code.
"""

from __future__ import annotations

import re
from typing import Any

PAGE = "reference/cli.md"
ARGUMENT = re.compile(r"[{\[][a-z_]+[}\]]")


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    if page.file.src_uri != PAGE:
        return markdown
    import typer

    from distill.cli import app

    root = typer.main.get_command(app)
    return markdown + "\n" + "\n".join(sections(root, "distill"))


def sections(command: Any, path: str) -> list[str]:
    """This command's section, then its subcommands' (a group lists them, in order). The
    objects are click's, as vendored by typer: they are told apart by what they do."""
    ctx = command.context_class(command, info_name=path)
    lines = [f"## `{path}`", "", (command.help or "").strip(), ""]
    usage = " ".join(command.collect_usage_pieces(ctx))
    usage = ARGUMENT.sub(lambda m: m[0].upper(), usage)  # {run_dir} -> RUN_DIR, as in --help
    usage = usage.replace("{", "").replace("}", "")
    lines += ["```text", f"{path} {usage}".rstrip(), "```", ""]
    rows = [option_row(p, ctx) for p in command.params if not getattr(p, "hidden", False)]
    if rows:
        lines += ["| argument / option | default | description |", "|---|---|---|", *rows, ""]
    if hasattr(command, "list_commands"):  # a group
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                lines += sections(sub, f"{path} {name}")
    return lines


def option_row(param: Any, ctx: Any) -> str:
    if param.param_type_name == "argument":
        names = f"`{param.name.upper()}`"
    else:
        names = ", ".join(f"`{n}`" for n in [*param.opts, *param.secondary_opts])
    if param.required:
        names += " (required)"
    default = param.get_default(ctx, call=False)
    shown = "" if default in (None, (), [], False) or callable(default) else f"`{default}`"
    return f"| {names} | {shown} | {cell(getattr(param, 'help', None) or '')} |"


def cell(text: str) -> str:
    """One table cell: no line breaks, no bare pipes."""
    return " ".join(text.split()).replace("|", "\\|")
