"""What an accuracy grid costs, priced from the run-seconds of grids already measured.

A GPU lease is short and a full grid is long, so the question "does it fit?" should be
answered before the lease, from runs that were timed, and not by running until cut off. A
run is priced at the mean seconds its finished runs of the same method and dataset took;
where the method never finished on that dataset, at its price on another dataset scaled by
how those two datasets compare for the methods timed on both (the real set at 256x256 costs
about twice a synthetic one at 128x128). The wall time is then the makespan of the suite's
own schedule (``TeacherFirst``) over that many slots.

A grid with other epoch counts is priced from the same runs: each run's training and
validation seconds (its logged phases) are scaled by the ratio of epochs, the rest (setup,
loading, testing) kept. That is how a short probe sizes a budget it did not run.
"""

from __future__ import annotations

import heapq
import itertools
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from benchmarks.accuracy.schedule import Run, TeacherFirst

Cell = tuple[str, str]  # (dataset, method label)


@dataclass
class Prices:
    """Mean seconds per finished (dataset, method), and dataset-to-dataset cost ratios."""

    measured: dict[Cell, float]
    ratios: dict[tuple[str, str], float]  # (from, to): median of price[to] / price[from]
    # methods whose finished runs were at other epochs and logged no phases to rescale
    unscalable: frozenset[str] = frozenset()

    @classmethod
    def from_rows(cls, rows: Iterable[dict[str, Any]], budget: dict[str, Any] | None = None,
                  ) -> Prices:  # fmt: skip
        """``budget``: the planned one, whose epochs the prices are scaled to."""
        seconds: dict[Cell, list[float]] = {}
        unscalable = set()
        for r in rows:
            if "error" in r:  # a failed try says nothing about what a run costs
                continue
            s = rescaled(r, budget) if budget else r["seconds"]
            if s is None:
                unscalable.add(r["method"])
            else:
                seconds.setdefault((r["dataset"], r["method"]), []).append(s)
        measured = {cell: statistics.mean(s) for cell, s in seconds.items()}
        ratios = {}
        for a, b in itertools.permutations(sorted({d for d, _ in measured}), 2):
            both = [measured[b, m] / measured[a, m] for d, m in measured
                    if d == a and (b, m) in measured and measured[a, m] > 0]  # fmt: skip
            if both:
                ratios[a, b] = statistics.median(both)
        return cls(measured, ratios, frozenset(unscalable - {m for _, m in measured}))

    def price(self, dataset: str, method: str) -> tuple[float, bool] | None:
        """(seconds, measured on this dataset itself), or None when nothing prices it."""
        if (dataset, method) in self.measured:
            return self.measured[dataset, method], True
        scaled = [self.measured[d, m] * self.ratios[d, dataset] for d, m in self.measured
                  if m == method and (d, dataset) in self.ratios]  # fmt: skip
        return (statistics.mean(scaled), False) if scaled else None


def rescaled(row: dict[str, Any], budget: dict[str, Any]) -> float | None:
    """A run's seconds at ``budget``'s epochs: its step and validation phases scaled by the
    ratio of epochs (teacher and student apart), the rest kept; None when the epochs differ
    but the run logged no phases to scale."""
    ratios = {stage: budget[key] / row["budget"][key]
              for stage, key in (("student", "epochs"), ("teacher", "teacher_epochs"))
              if row["budget"][key]}  # fmt: skip
    if all(r == 1 for r in ratios.values()):
        return row["seconds"]
    if "phases" not in row:
        return None
    extra = sum((ratio - 1) * (row["phases"][f"{stage}_steps"] + row["phases"][f"{stage}_val"])
                for stage, ratio in ratios.items())  # fmt: skip
    return row["seconds"] + extra


def makespan(runs: list[Run], seconds: Callable[[Run], float], jobs: int) -> float:
    """Wall seconds for ``runs`` taken in the suite's order by ``jobs`` slots, each lasting
    ``seconds(run)`` (a run that waits for its teacher starts when a slot and it are free)."""
    schedule, going, now, order = TeacherFirst(runs), [], 0.0, 0
    while True:
        while schedule and len(going) < jobs:
            run = schedule.next()
            heapq.heappush(going, (now + seconds(run), order, run))
            order += 1  # ties end in start order; runs themselves need not compare
        if not going:
            return now
        now, _, run = heapq.heappop(going)
        schedule.finished(run, ok=True)


@dataclass
class Estimate:
    runs: int
    scaled: int  # priced from the same method on another dataset
    unpriced: list[Cell]  # (dataset, method) of each run nothing prices: left out of totals
    unscalable: list[Cell]  # of those, the runs whose method was timed only at other epochs
    run_seconds: float
    wall_seconds: float
    jobs: int
    by_method: dict[str, float]  # run-seconds per method label, largest first


def estimate(runs: list[Run], prices: Prices, jobs: int) -> Estimate:
    cost: dict[Cell, float] = {}
    priced, unpriced, scaled = [], [], 0
    by_method: dict[str, float] = {}
    for run in runs:
        cell = (run[0], run[2].label)
        found = prices.price(*cell)
        if found is None:
            unpriced.append(cell)
            continue
        cost[cell], measured = found
        scaled += not measured
        priced.append(run)
        by_method[cell[1]] = by_method.get(cell[1], 0.0) + cost[cell]
    return Estimate(
        runs=len(runs),
        scaled=scaled,
        unpriced=unpriced,
        unscalable=[cell for cell in unpriced if cell[1] in prices.unscalable],
        run_seconds=sum(by_method.values()),
        wall_seconds=makespan(priced, lambda run: cost[run[0], run[2].label], jobs),
        jobs=jobs,
        by_method=dict(sorted(by_method.items(), key=lambda kv: -kv[1])),
    )


def estimate_lines(est: Estimate, source: str, top: int = 6) -> list[str]:
    """What a user reads before a lease: the wall time, what it rests on, what dominates."""
    if len(est.unpriced) == est.runs:
        lines = [f"{_runs(est.runs)}: none could be priced from {source}"]
    else:
        lines = [f"{_runs(est.runs)}, about {est.run_seconds:.0f} run-s: "
                 f"~{est.wall_seconds / 60:.1f} min of wall time at {est.jobs} at a time, "
                 f"priced from {source}"]  # fmt: skip
    if est.scaled:
        lines.append(f"  {est.scaled} priced from the same method on another dataset (scaled)")
    never = [cell for cell in est.unpriced if cell not in est.unscalable]
    reasons = ((never, "no finished run of the method in the timed grid"),
               (est.unscalable, "timed only at other epochs, with no logged phases to rescale; "
                                "a one-seed probe at this budget would price them"))  # fmt: skip
    for cells, why in reasons:
        if cells:
            lines.append(f"  {_runs(len(cells))} not priced (left out of the totals), {why}: "
                         f"{_cells(cells)}")  # fmt: skip
    if est.run_seconds:
        heavy = list(est.by_method.items())[:top]
        lines.append("  largest: " + ", ".join(
            f"{m} {s:.0f} s ({100 * s / est.run_seconds:.0f}%)" for m, s in heavy
        ))  # fmt: skip
    return lines


def _runs(count: int) -> str:
    return f"{count} run" + ("s" if count != 1 else "")


def _cells(cells: list[Cell]) -> str:
    """'unet (a, b); medt (a)': each method once, with its datasets in order."""
    where: dict[str, list[str]] = {}
    for dataset, method in cells:
        if dataset not in where.setdefault(method, []):
            where[method].append(dataset)
    return "; ".join(f"{m} ({', '.join(d)})" for m, d in where.items())
