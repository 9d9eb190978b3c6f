"""The order in which the accuracy suite starts its runs.

Each (dataset, seed) has one teacher, trained by the first run that needs it and stored for
the others. Those others must wait for it (two runs would otherwise train the same teacher
at once), but nothing else has to: runs that need no teacher fill the free slots meanwhile,
and a pair's waiting runs go first as soon as its teacher is stored.
"""

from __future__ import annotations

from collections import deque
from typing import Any

Run = tuple[str, int, Any]  # (dataset, seed, Method)


class TeacherFirst:
    """Hands out runs: teacher-training runs, then runs without a teacher; a pair's other
    distillation runs once its teacher run has ended."""

    def __init__(self, runs: list[Run]) -> None:
        self.trainer: dict[tuple[str, int], Run] = {}
        self.waiting: dict[tuple[str, int], list[Run]] = {}
        self.ready: deque[Run] = deque()
        free = []
        for run in runs:
            pair = run[:2]
            if not run[2].needs_teacher:
                free.append(run)
            elif pair in self.trainer:
                self.waiting.setdefault(pair, []).append(run)
            else:
                self.trainer[pair] = run
                self.ready.append(run)
        self.ready.extend(free)

    def __bool__(self) -> bool:
        """Whether a run can start now."""
        return bool(self.ready)

    def __len__(self) -> int:
        """Runs not handed out yet, waiting ones included."""
        return len(self.ready) + sum(map(len, self.waiting.values()))

    def next(self) -> Run:
        return self.ready.popleft()

    def finished(self, run: Run, ok: bool) -> None:
        """``run`` ended. If it was its pair's teacher run, release the pair's waiting runs
        (ahead of the rest); if it failed, the teacher is not stored, so the next of them
        trains it and the others wait on."""
        pair = run[:2]
        if self.trainer.get(pair) != run:
            return
        waiting = self.waiting.pop(pair, [])
        del self.trainer[pair]
        if ok:
            self.ready.extendleft(reversed(waiting))
        elif waiting:
            self.trainer[pair] = waiting[0]
            self.ready.appendleft(waiting[0])
            if waiting[1:]:
                self.waiting[pair] = waiting[1:]
