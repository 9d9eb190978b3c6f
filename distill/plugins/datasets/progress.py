"""User-facing output of the data pipeline: progress bars and notes on stderr.

Progress bars go away with ``DISTILL_QUIET=1`` (tests, scripts); notes about skipped or
clipped data are always printed, because dropping data silently is never acceptable.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

QUIET_ENV = "DISTILL_QUIET"
_err = Console(stderr=True)


def is_quiet() -> bool:
    return os.environ.get(QUIET_ENV, "").strip().lower() not in ("", "0", "false", "no")


def note(message: str) -> None:
    """A line the user must see (skipped files, clipped contours, inferred splits)."""
    _err.print(f"[yellow]data:[/] {message}", highlight=False, soft_wrap=True)


def info(message: str) -> None:
    """A line that is helpful but optional (quiet mode hides it)."""
    if not is_quiet():
        _err.print(f"[cyan]data:[/] {message}", highlight=False, soft_wrap=True)


@contextmanager
def progress_bar(description: str, total: int) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n)``; shows a rich bar unless quiet."""
    if is_quiet() or total <= 0:
        yield lambda n=1: None
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=_err, transient=False) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n=1: progress.advance(task, n)
