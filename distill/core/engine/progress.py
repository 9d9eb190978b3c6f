"""Rich progress for long work: stages, epochs and steps with live losses and images/s.
Quiet mode prints nothing but one line per epoch, for CI logs."""

from __future__ import annotations

import sys
import time
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class TrainingProgress:
    def __init__(
        self, quiet: bool = False, console: Console | None = None, silent: bool = False
    ) -> None:
        """``silent`` shows nothing at all (ranks other than 0 under torchrun)."""
        self.quiet = quiet and not silent
        self.silent = silent
        self.console = console or Console(stderr=True)
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[info]}"),
            console=self.console,
            disable=quiet or silent,
            transient=False,
        )
        self._epoch_task: TaskID | None = None
        self._step_task: TaskID | None = None

    def __enter__(self) -> TrainingProgress:
        self.progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.progress.stop()

    def stage(self, name: str, epochs: int, start: int) -> None:
        if self._epoch_task is not None:
            self.progress.remove_task(self._epoch_task)
        self._epoch_task = self.progress.add_task(
            f"{name} epochs", total=epochs, completed=start, info=""
        )
        self._stage = name

    def epoch(self, epoch: int, steps: int) -> None:
        if self._step_task is not None:
            self.progress.remove_task(self._step_task)
        self._step_task = self.progress.add_task(f"epoch {epoch + 1}", total=steps, info="")
        self._t0, self._images = time.perf_counter(), 0

    def step(self, images: int, info: str | None = None) -> None:
        self._images += images
        if self._step_task is not None:
            if info is not None:
                rate = self._images / max(1e-9, time.perf_counter() - self._t0)
                info = f"{info}  {rate:.1f} img/s"
            self.progress.update(
                self._step_task, advance=1, **({"info": info} if info is not None else {})
            )

    def images_per_second(self) -> float:
        return self._images / max(1e-9, time.perf_counter() - self._t0)

    def end_epoch(self, summary: str) -> None:
        if self._epoch_task is not None:
            self.progress.update(self._epoch_task, advance=1, info=summary)
        if self.quiet:
            print(f"[{self._stage}] {summary}", file=sys.stderr, flush=True)

    def note(self, message: str) -> None:
        if self.silent:
            return
        if self.quiet:
            print(Text.from_markup(message).plain, file=sys.stderr, flush=True)
        else:
            self.progress.console.print(message, highlight=False)
