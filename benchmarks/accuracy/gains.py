"""What distillation bought: each distilled method against the student alone on the same
seed (paired differences spread less than two means do), and the share of the room up to
its teacher that the gain closed."""

from __future__ import annotations

import statistics
from typing import Any

from distill.core.report.compare import FinishedRun


def gain_table(
    groups: dict[str, list[FinishedRun]], table: list[dict[str, Any]], reference: str
) -> tuple[list[dict[str, Any]], float | None]:
    """Per distilled method (``reference+...``), its test mDice minus the reference's seed
    by seed, and how much of the room between the reference and its best teacher that is;
    the paired test's p comes from the compare ``table``. Also returns the mean room in
    points (None without teachers)."""

    def per_seed(label: str) -> dict[int, dict[str, Any]]:
        return {run.cfg.seed: run.test for run in groups.get(label, [])}

    alone = {seed: test["summary"]["mDice"] for seed, test in per_seed(reference).items()}
    room = {
        seed: max(t["mDice"] for t in test["teachers"]) - alone[seed]
        for label in groups
        for seed, test in per_seed(label).items()
        if test.get("teachers") and seed in alone
    }
    tested = {row["method"]: row for row in table}
    rows = []
    for label in (m for m in groups if m.startswith(f"{reference}+")):
        scores = {seed: test["summary"]["mDice"] for seed, test in per_seed(label).items()}
        paired = sorted(set(scores) & set(alone))
        if not paired:
            continue
        gains = [100.0 * (scores[s] - alone[s]) for s in paired]
        row: dict[str, Any] = {"method": label, "gain": statistics.fmean(gains)}
        if len(gains) > 1:
            row["gain_std"] = statistics.stdev(gains)
        row["seeds"] = len(paired)
        if "p_text" in tested.get(label, {}):
            row["p_text"] = tested[label]["p_text"]
        if all(s in room for s in paired):
            row["room"] = 100.0 * statistics.fmean(room[s] for s in paired)
            if row["room"] > 0:
                row["closed"] = 100.0 * row["gain"] / row["room"]
        rows.append(row)
    return rows, (100.0 * statistics.fmean(room.values()) if room else None)


def gain_section(table: list[dict[str, Any]], room: float | None, reference: str) -> list[str]:
    from distill.core.report.tables import markdown_table

    if not table:
        return []
    columns = [
        ("method", "Method"),
        ("gain", f"mDice gain over {reference} (points)", 2),
        ("room", f"teacher - {reference} (points)", 2),
        ("closed", "share of that room (%)", 0),
        ("seeds", "paired seeds"),
    ]
    if any("p_text" in row for row in table):
        columns.append(("p_text", "p (Wilcoxon)"))
    note = (
        f"Distillation gain: per seed, the method's test mDice minus {reference}'s on the same "
        "split (mean ± std of those differences); the room is the best teacher's mDice minus "
        f"{reference}'s, what a student that matched its teacher would gain."
    )
    if room is not None:
        note += f" Mean room {room:.2f} points" + (
            f": a 1-point gain is {100.0 / room:.0f}% of it." if room > 0 else "."
        )
    return [note, "", markdown_table(table, columns), ""]
