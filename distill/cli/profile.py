"""`distill profile`: parameters, GMACs, memory and speed of registered models."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich import box
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from distill.cli.app import app, console
from distill.core.errors import ConfigError

if TYPE_CHECKING:
    from distill.core.profile import ModelProfile


def build_for_profile(kind: str, name: str, size: tuple[int, int], num_classes: int):
    """Build a registered teacher or student with default params at this input size."""
    from distill.core.plugins import registry

    component = registry().get(kind, name)  # any student may also serve as a teacher
    return component.build_model({"num_classes": num_classes}, size)


def selected_models(
    students: list[str], teachers: list[str], profile_all: bool
) -> list[tuple[str, str]]:
    """(kind, name) pairs to profile, unknown names rejected before anything is built."""
    from distill.core.plugins import registry

    reg = registry()
    if profile_all:
        return [("teacher", n) for n in reg.names("teacher")] + [
            ("student", n) for n in reg.names("student")
        ]
    if not students and not teachers:
        raise ConfigError("give --student NAME, --teacher NAME or --all")
    for name in students:
        reg.get("student", name)
    for name in teachers:
        reg.get("teacher", name)
    return [("student", n) for n in students] + [("teacher", n) for n in teachers]


def _num(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _diff(p: ModelProfile) -> str:
    diff = p.params_rel_diff
    if diff is None:
        return "-"
    text = f"{100 * diff:+.1f}%"
    return f"[yellow]{text}[/]" if abs(diff) > 0.10 else text


def profiles_table(profiles: list[ModelProfile]) -> Table:
    from distill.core import profile as profiling

    """Rich table; the published and GPU columns appear only when some row has them."""
    columns: list[tuple[str, Callable[[ModelProfile], str]]] = [
        ("kind", lambda p: p.kind),
        ("name", lambda p: p.name),
        ("params\nM", lambda p: f"{p.params_m:.2f}"),
    ]
    if any(p.published_params_m is not None for p in profiles):
        columns += [
            ("publ.\nM", lambda p: _num(p.published_params_m, ".2f")),
            ("diff", _diff),
        ]
    columns += [
        ("GMACs", lambda p: f"{p.gmacs:.2f}"),
        ("mem\nMB", lambda p: _num(p.activation_mb, ".0f")),
        ("CPU\nms/img", lambda p: _num(p.cpu_latency_ms, ".1f")),
    ]
    if any(p.gpu_bf16_img_per_s is not None for p in profiles):
        columns.append(("GPU\nimg/s", lambda p: _num(p.gpu_bf16_img_per_s, ".0f")))
    rows = [[cell(p) for _, cell in columns] for p in profiles]
    table = Table(
        title="Model cost",
        caption=profiling.conditions(profiles),
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    for i, (header, _) in enumerate(columns):
        widest = max((Text.from_markup(row[i]).cell_len for row in rows), default=1)
        text_column = header in ("kind", "name")
        # values are never cut: headers wrap instead
        table.add_column(header, justify="left" if text_column else "right", min_width=widest)
    for row in rows:
        table.add_row(*row)
    return table


@app.command("profile")
def profile_command(
    student: list[str] = typer.Option(
        [], "--student", metavar="NAME", help="student to profile (repeatable)"
    ),
    teacher: list[str] = typer.Option(
        [], "--teacher", metavar="NAME", help="teacher to profile (repeatable)"
    ),
    size: tuple[int, int] = typer.Option((256, 256), "--size", metavar="H W", help="input size"),
    profile_all: bool = typer.Option(False, "--all", help="every registered teacher and student"),
    json_file: Path | None = typer.Option(
        None, "--json", metavar="FILE", help="write the profiles as JSON"
    ),
    markdown_file: Path | None = typer.Option(
        None, "--markdown", metavar="FILE", help="write a markdown table"
    ),
    latex_file: Path | None = typer.Option(
        None, "--latex", metavar="FILE", help="write a LaTeX (booktabs) table for a paper"
    ),
    repeats: int = typer.Option(10, "--repeats", min=1, help="timed runs (median reported)"),
    batch: int = typer.Option(8, "--batch", min=1, help="batch of the memory/throughput step"),
    num_classes: int = typer.Option(2, "--num-classes", min=1, help="output classes"),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda"),
    memory: bool = typer.Option(True, "--memory/--no-memory", help="measure activation memory"),
) -> None:
    """Parameters, GMACs, activation memory, CPU latency (and GPU bf16 throughput)."""
    from distill.core import profile as profiling

    if device not in ("auto", "cpu", "cuda"):
        raise ConfigError(f"--device must be auto, cpu or cuda (got '{device}')")
    if min(size) < 1:
        raise ConfigError(f"--size must be positive (got {size[0]} {size[1]})")
    models = selected_models(student, teacher, profile_all)
    profiles: list[ModelProfile] = []
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("profiling", total=len(models))
        for kind, name in models:
            progress.update(task, description=f"profiling {kind} {name}")
            model = build_for_profile(kind, name, size, num_classes)
            profiles.append(
                profiling.profile_model(
                    model,
                    size,
                    batch,
                    name=name,
                    kind=kind,
                    repeats=repeats,
                    device=device,
                    memory=memory,
                )
            )
            del model
            progress.advance(task)
    console.print(profiles_table(profiles))
    if json_file is not None:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(json.dumps([p.to_dict() for p in profiles], indent=2) + "\n")
        console.print(f"wrote {json_file}")
    renders = (markdown_file, profiling.profiles_markdown), (latex_file, profiling.profiles_latex)
    for path, render in renders:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(profiles))
            console.print(f"wrote {path}")
