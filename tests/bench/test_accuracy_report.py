"""The accuracy report's derived tables: per-seed distillation gains and the price of what a
cut-off grid left undone."""

from __future__ import annotations

from datetime import datetime

import pytest

from benchmarks.accuracy import report
from benchmarks.accuracy.runner import PHASES


def test_gain_table_pairs_each_method_with_mpdnet_on_the_same_seed() -> None:
    """Gains are per-seed differences (seed 2 of kd has no mpdnet partner and is left out);
    the room is the better teacher minus mpdnet, seed by seed."""
    from benchmarks.accuracy.gains import gain_section, gain_table

    def row(method: str, seed: int, mdice: float, teachers=()) -> dict:
        named = [{"name": n, "mDice": v} for n, v in teachers]
        return {"dataset": "d", "seed": seed, "method": method, "mDice": mdice, "teachers": named}

    rows = [
        row("mpdnet", 0, 0.80),
        row("mpdnet", 1, 0.90),
        row("mpdnet+kd", 0, 0.82, [("swin", 0.85), ("cnn", 0.86)]),
        row("mpdnet+kd", 1, 0.91, [("swin", 0.93), ("cnn", 0.92)]),
        row("mpdnet+kd", 2, 0.99, [("swin", 0.99), ("cnn", 0.99)]),
        {**row("mpdnet+dual", 0, 0.0), "error": "OutOfMemoryError"},
    ]
    table, room = gain_table(rows, "d", ["mpdnet", "mpdnet+kd", "mpdnet+dual"])
    (kd,) = table
    assert kd["method"] == "mpdnet+kd" and kd["seeds"] == 2
    assert kd["gain"] == pytest.approx(1.5)  # mean of +2 and +1 points
    assert kd["gain_std"] == pytest.approx(0.7071, abs=1e-4)
    assert room == kd["room"] == pytest.approx(4.5)  # mean of 6 and 3 points
    assert kd["closed"] == pytest.approx(100 * 1.5 / 4.5)
    text = "\n".join(gain_section(table, room))
    assert "| mpdnet+kd | 1.50 ± 0.71 | 4.50 | 33 | 2 |" in text
    assert "a 1-point gain is 22% of it" in text
    assert gain_table(rows[:2], "d", ["mpdnet"]) == ([], None)


def test_the_gain_table_tests_each_method_against_mpdnet_image_by_image() -> None:
    """Six test images, each better with kd once averaged over the paired seeds 0 and 1
    (seed 2 has no mpdnet partner): the exact two-sided p is 2 / 2^6."""
    from benchmarks.accuracy.gains import gain_section, gain_table

    def row(method: str, seed: int, per_image: list[float]) -> dict:
        scores = {f"img{i}": v for i, v in enumerate(per_image)}
        return {"dataset": "d", "seed": seed, "method": method, "mDice": 0.5,
                "per_image_mDice": scores}  # fmt: skip

    rows = [
        row("mpdnet", 0, [0.5] * 6),
        row("mpdnet", 1, [0.7] * 6),
        row("mpdnet+kd", 0, [0.51, 0.52, 0.53, 0.54, 0.55, 0.56]),
        row("mpdnet+kd", 1, [0.71, 0.72, 0.73, 0.74, 0.75, 0.76]),
        row("mpdnet+kd", 2, [0.0] * 6),  # would make kd worse, were it paired
    ]
    (kd,), _ = gain_table(rows, "d", ["mpdnet", "mpdnet+kd"])
    assert kd["p"] == pytest.approx(2 / 64) and kd["images"] == 6 and kd["p_text"] == "0.031"
    text = "\n".join(gain_section([kd], None))
    assert "| p (Wilcoxon) | test images |" in text and "| 0.031 | 6 |" in text
    from benchmarks.accuracy.report import target_checks

    table = [{"method": m, "mDice": d} for m, d in (("mpdnet+dual", 51.0), ("mpdnet", 50.0))]
    dual = {**kd, "method": "mpdnet+dual"}
    (check,) = target_checks(table, "isic2017-cc0", [dual])
    assert check["pass"] and check["detail"] == (
        "51.00 vs 50.00; paired over 6 test images, Wilcoxon p = 0.031"
    )
    older = [{k: v for k, v in r.items() if k != "per_image_mDice"} for r in rows]
    (kd,), _ = gain_table(older, "d", ["mpdnet", "mpdnet+kd"])  # rows from before: no test
    assert "p" not in kd and "p (Wilcoxon)" not in "\n".join(gain_section([kd], None))


def test_a_cut_off_report_prices_what_is_left_by_the_runs_that_finished() -> None:
    from benchmarks.accuracy.report import time_left

    settings = {"datasets": ["a", "b"], "seeds": 2, "methods": ["m", "n"], "jobs": 2}
    rows = [
        {"dataset": "a", "seed": 0, "method": "m", "seconds": 10.0},
        {"dataset": "a", "seed": 0, "method": "n", "seconds": 30.0},
        {"dataset": "a", "seed": 1, "method": "n", "seconds": 60.0, "error": "OOM"},
        {"dataset": "b", "seed": 0, "method": "m", "seconds": 20.0},
    ]
    # left: a1m (10 s), a1n (30 s: the failed try does not count as done or as a price),
    # b1m (20 s), b0n and b1n (n on b: 30 s scaled by b/a for m, 20/10)
    line = time_left(rows, settings)
    assert line.startswith("Left undone: 5 runs. Priced by the finished runs of the same method "
                           "(5 runs, 2 of them scaled from another dataset)")  # fmt: skip
    assert "about 180 run-s (~1.5 min at 2 at a time)" in line
    never_ran = {**settings, "methods": ["m", "n", "o"]}
    assert time_left(rows, never_ran).endswith(
        "4 have no finished run of their method to price them by."
    )
    done = [{"dataset": d, "seed": s, "method": m, "seconds": 1.0}
            for d in "ab" for s in (0, 1) for m in "mn"]  # fmt: skip
    assert time_left(done, settings) is None


def test_slot_use_counts_this_invocations_runs_from_first_start_to_last_end() -> None:
    since = "2026-11-26T18:00:00+00:00"
    t0 = datetime.fromisoformat(since).timestamp()
    earlier = {"started": t0 - 3600, "seconds": 50.0}  # a resumed grid's row: not counted
    side_by_side = [{"started": t0 + 10, "seconds": 20.0}, {"started": t0 + 10, "seconds": 20.0}]
    one_then_other = [{"started": t0 + 10, "seconds": 20.0}, {"started": t0 + 30, "seconds": 20.0}]
    assert report.slot_use([earlier, *side_by_side], 2, since) == 1.0
    assert report.slot_use([earlier, *one_then_other], 2, since) == 0.5
    assert report.slot_use(one_then_other, 4, since) == 0.25
    assert report.slot_use(one_then_other, 1, since) is None  # one slot: nothing to share
    assert report.slot_use([earlier, {"seconds": 3.0}], 2, since) is None  # no start times
    note = report.time_section([{**r, "method": "mpdnet", "phases": dict.fromkeys(PHASES, 1.0)}
                                for r in one_then_other], 2, since)[2]  # fmt: skip
    assert note.endswith("kept the 2 slots 50% busy from the first start to the last end.")


def test_the_time_table_shows_each_methods_largest_gpu_memory_when_runs_record_it() -> None:
    def row(method: str, peak: float | None = None) -> dict:
        extra = {} if peak is None else {"peak_gpu_gib": peak}
        return {"method": method, "seconds": 5.0, "phases": dict.fromkeys(PHASES, 1.0), **extra}

    lines = report.time_section([row("medt", 9.5), row("medt", 11.25), row("unet", 2.0)], 2, None)
    assert lines[4].splitlines()[0].endswith("| peak GPU GiB |")
    assert "| medt | 2 |" in lines[4] and lines[4].count("| 11.2 |") == 1
    assert "peak GPU GiB" not in report.time_section([row("unet")], 2, None)[4]  # on a CPU
