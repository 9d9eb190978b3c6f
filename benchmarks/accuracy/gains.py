"""What distillation bought: each distilled method against mpdnet alone on the same seed
(paired differences spread less than two means do), the share of the room up to its teacher,
and a paired test over the test images."""

from __future__ import annotations

import statistics
from typing import Any

from benchmarks.accuracy.grid import paper_order
from distill.core.metrics.paired import format_p, seed_mean, wilcoxon_paired


def aggregate(values: list[float], scale: float) -> tuple[float, float | None]:
    """Mean and sample std (None for one seed: no spread to show)."""
    mean = statistics.fmean(values) * scale
    return mean, (statistics.stdev(values) * scale if len(values) > 1 else None)


def gain_table(rows: list[dict[str, Any]], dataset: str, methods: list[str],
               ) -> tuple[list[dict[str, Any]], float | None]:  # fmt: skip
    """What distillation bought, seed by seed: each distilled method minus mpdnet alone
    trained on the same split (paired differences spread less than the two means do), and
    how much of the room between mpdnet and its best teacher that gain is. Also returns the
    mean room in points (None without teachers)."""
    ok = [r for r in rows if r["dataset"] == dataset and "error" not in r]
    alone = {r["seed"]: r["mDice"] for r in ok if r["method"] == "mpdnet"}
    room = {
        r["seed"]: max(t["mDice"] for t in r["teachers"]) - alone[r["seed"]]
        for r in ok
        if r.get("teachers") and r["seed"] in alone
    }
    table = []
    ran = {r["method"] for r in ok}
    for label in [m for m in paper_order(methods) if m.startswith("mpdnet+") and m in ran]:
        seeds = {r["seed"]: r["mDice"] for r in ok if r["method"] == label}
        paired = sorted(set(seeds) & set(alone))
        if not paired:
            continue
        gain, gain_std = aggregate([seeds[s] - alone[s] for s in paired], 100.0)
        row = {"method": label, "gain": gain, "gain_std": gain_std, "seeds": len(paired)}
        row.update(paired_test(ok, label, paired))
        headroom = [room[s] for s in paired if s in room]
        if len(headroom) == len(paired):
            row["room"] = statistics.fmean(headroom) * 100.0
            if row["room"] > 0:
                row["closed"] = 100.0 * gain / row["room"]
        table.append({k: v for k, v in row.items() if v is not None})
    return table, (statistics.fmean(room.values()) * 100.0 if room else None)


def paired_test(rows: list[dict[str, Any]], label: str, seeds: list[int]) -> dict[str, Any]:
    """Wilcoxon signed-rank of ``label`` against mpdnet over the test images, each image's
    mDice averaged over the paired seeds; empty for rows from before per-image scores."""

    def scores(method: str) -> dict[str, float] | None:
        runs = [r for r in rows if r["method"] == method and r["seed"] in seeds]
        if not all("per_image_mDice" in r for r in runs):
            return None
        return seed_mean(r["per_image_mDice"] for r in runs)

    method, alone = scores(label), scores("mpdnet")
    result = wilcoxon_paired(method, alone) if method and alone else None
    return {} if result is None else {"p": result.p, "p_text": format_p(result.p),
                                      "images": result.images}  # fmt: skip


def gain_section(table: list[dict[str, Any]], room: float | None) -> list[str]:
    from distill.core.report.tables import markdown_table

    if not table:
        return []
    columns = [("method", "Method"), ("gain", "mDice gain over mpdnet (points)", 2),
               ("room", "teacher - mpdnet (points)", 2), ("closed", "share of that room (%)", 0),
               ("seeds", "paired seeds")]  # fmt: skip
    tested = any("p_text" in row for row in table)
    if tested:
        columns += [("p_text", "p (Wilcoxon)"), ("images", "test images")]
    note = (
        "Distillation gain: per seed, the method's test mDice minus mpdnet's on the same split "
        "(mean ± std of those differences); the room is the best teacher's mDice minus "
        "mpdnet's, what a student that matched its teacher would gain."
    )
    if tested:
        note += (" p: two-sided Wilcoxon signed-rank test of the method against mpdnet over "
                 "the test images, each image's mDice averaged over the paired seeds.")  # fmt: skip
    if room is not None:
        note += f" Mean room {room:.2f} points" + (
            f": a 1-point gain is {100.0 / room:.0f}% of it." if room > 0 else "."
        )
    return [note, "", markdown_table(table, columns)]
