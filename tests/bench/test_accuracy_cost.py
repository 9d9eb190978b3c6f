"""Pricing an accuracy grid from timed runs: per-cell means, other datasets scaled, other
epoch counts rescaled by the logged phases, and the wall time of the suite's own schedule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.accuracy import cli, grid
from benchmarks.accuracy.cost import Prices, estimate, estimate_lines, makespan, rescaled

METHODS = grid.all_methods()
BUDGET = {"epochs": 10, "teacher_epochs": 30}


def row(dataset: str, method: str, seconds: float, **extra) -> dict:
    return {"dataset": dataset, "seed": 0, "method": method, "seconds": seconds,
            "budget": BUDGET, **extra}  # fmt: skip


def test_a_run_is_priced_by_its_cell_else_by_its_method_on_another_dataset_scaled() -> None:
    rows = [row("real", "unet", 40.0), row("real", "unet", 60.0), row("real", "medt", 300.0),
            row("syn", "unet", 25.0), row("syn", "medt", 999.0, error="OOM")]  # fmt: skip
    prices = Prices.from_rows(rows)
    assert prices.price("real", "unet") == (50.0, True)  # mean of both
    assert prices.ratios["real", "syn"] == pytest.approx(0.5)  # unet: 25 / 50
    assert prices.price("syn", "medt") == (pytest.approx(150.0), False)  # the failure: no price
    assert prices.price("syn", "unext") is None


def test_other_epoch_counts_rescale_the_steps_and_validation_not_the_rest() -> None:
    phases = {"teacher_steps": 20.0, "teacher_val": 4.0, "student_steps": 8.0, "student_val": 2.0}
    timed = row("real", "mpdnet+kd", 40.0, phases=phases)  # 6 s of setup, testing, writing
    assert rescaled(timed, BUDGET) == 40.0
    half = {"epochs": 5, "teacher_epochs": 15}
    assert rescaled(timed, half) == pytest.approx(6.0 + 12.0 + 5.0)
    assert rescaled(timed, {"epochs": 20, "teacher_epochs": 30}) == pytest.approx(50.0)
    assert rescaled(row("real", "unet", 40.0), half) is None  # no phases to scale
    assert Prices.from_rows([timed], half).price("real", "mpdnet+kd") == (23.0, True)


def test_the_wall_time_follows_the_teacher_first_schedule() -> None:
    runs = [("a", 0, METHODS["mpdnet+dual"]), ("a", 0, METHODS["mpdnet+kd"]),
            ("a", 0, METHODS["unet"])]  # fmt: skip
    seconds = {"mpdnet+dual": 10.0, "mpdnet+kd": 2.0, "unet": 5.0}

    def cost(run):
        return seconds[run[2].label]

    # two slots: the teacher run and unet start; kd waits for the teacher (10 s) although
    # a slot is free from 5 s
    assert makespan(runs, cost, jobs=2) == 12.0
    assert makespan(runs, cost, jobs=1) == 17.0
    assert makespan([], cost, jobs=4) == 0.0
    prices = Prices.from_rows([row("a", m, s) for m, s in seconds.items()])
    est = estimate(runs + [("a", 1, METHODS["unext"])], prices, jobs=2)
    assert (est.runs, est.run_seconds, est.wall_seconds) == (4, 17.0, 12.0)
    assert est.unpriced == [("a", "unext")] and list(est.by_method)[0] == "mpdnet+dual"
    text = "\n".join(estimate_lines(est, "timed.json"))
    assert "4 runs, about 17 run-s: ~0.2 min of wall time at 2 at a time" in text
    assert (
        "  1 run not priced (left out of the totals), no finished run" in text
        and "unext (a)" in text
    )


def test_estimate_prices_a_larger_grid_from_a_timed_run_and_trains_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--quick", "--methods", "mpdnet", "--size", "32", "--counts", "4,2,2"]
    args += ["--batch", "2", "--epochs", "2", "--out", str(tmp_path / "timed")]
    cli.main([*args, "--work", str(tmp_path / "work")])
    timed = json.loads((tmp_path / "timed" / "accuracy.json").read_text())
    (run,) = timed["runs"]
    capsys.readouterr()
    empty = tmp_path / "empty"
    est = cli.main([*args, "--seeds", "3", "--epochs", "4", "--work", str(empty),
                         "--estimate", str(tmp_path / "timed" / "accuracy.json")])  # fmt: skip
    phases = run["phases"]
    per_run = run["seconds"] + phases["student_steps"] + phases["student_val"]  # twice the epochs
    assert est["runs"] == 3 and est["run_seconds"] == pytest.approx(3 * per_run)
    out = capsys.readouterr().out
    assert out.startswith("3 runs, about") and "priced from accuracy.json" in out
    assert "caution" not in out  # only the epochs differ, and those are rescaled
    assert not (empty / "runs").exists()  # nothing trained
    cli.main([*args, "--counts", "8,2,2", "--work", str(empty), "--estimate",
                   str(tmp_path / "timed" / "accuracy.json")])  # fmt: skip
    assert "caution: those runs had another budget (counts differ" in capsys.readouterr().out


@pytest.mark.parametrize("option", ["--estimate", "--render"])
def test_a_missing_or_foreign_results_file_is_named_with_the_reason(
    tmp_path: Path, option: str
) -> None:
    speed_json = tmp_path / "speed.json"
    speed_json.write_text(json.dumps({"suite": "speed", "models": []}))
    (tmp_path / "broken.json").write_text("{not json")
    cases = {
        tmp_path / "absent.json": "No such file or directory",
        tmp_path / "broken.json": "not JSON",
        speed_json: "not an accuracy.json written by this suite",
    }
    for path, reason in cases.items():
        with pytest.raises(SystemExit) as stop:
            cli.main(["--quick", "--work", str(tmp_path / "work"), option, str(path)])
        assert str(stop.value).startswith(f"{option} {path}: ") and reason in str(stop.value)


def test_runs_timed_only_at_other_epochs_without_phases_are_named_as_such() -> None:
    """A grid from before phases were logged cannot price another budget: the user is told
    why, not that the method never finished."""
    runs = [("a", 0, METHODS["unet"]), ("a", 0, METHODS["unext"])]
    prices = Prices.from_rows([row("a", "unet", 40.0)], {"epochs": 5, "teacher_epochs": 30})
    est = estimate(runs, prices, jobs=1)
    assert est.unpriced == [("a", "unet"), ("a", "unext")] and est.unscalable == [("a", "unet")]
    text = "\n".join(estimate_lines(est, "old.json"))
    assert text.startswith("2 runs: none could be priced from old.json")
    assert "1 run not priced (left out of the totals), no finished run of the method" in text
    assert "1 run not priced (left out of the totals), timed only at other epochs" in text
    assert "unet (a)" in text and "unext (a)" in text and "run-s" not in text


def test_longest_first_starts_the_targets_then_the_dearest_runs_and_ends_sooner(
    tmp_path: Path,
) -> None:
    """Priced from a timed grid: the targets' runs keep the lead, the rest fall in price,
    a run nothing prices leads the rest; the estimated wall time can only shrink."""
    seconds = {"mpdnet": 5.0, "unet": 20.0, "medt": 200.0, "unext": 10.0, "mpdnet+kd": 8.0}
    timed = tmp_path / "timed.json"
    timed.write_text(json.dumps({"suite": "accuracy", "runs": [
        row(d, m, s) for d in ("real", "syn") for m, s in seconds.items()]}))  # fmt: skip
    args = cli.parse_args(["--quick", "--datasets", "syn,real", "--seeds", "2",
                           "--methods", "unext,unet,mpdnet,medt,mpdnet+kd,cenet",
                           "--epochs", "10", "--teacher-epochs", "30",
                           "--longest-first", str(timed), "--work", str(tmp_path)])  # fmt: skip
    budget = grid.Budget(None, 10, 30, 4, ("swin",), "cpu")

    class Nothing:
        def done(self, *_: object) -> bool:
            return False

    todo = cli.plan(args, budget, Nothing())
    labels = [m.label for _, _, m in todo]
    assert labels[:4] == ["mpdnet"] * 4  # the targets' runs first, as without the option
    assert labels[4:8] == ["cenet"] * 4  # never timed: may be long
    assert labels[8:12] == ["medt"] * 4 and labels[-4:] == ["mpdnet+kd"] * 4
    prices = Prices.from_rows(json.loads(timed.read_text())["runs"])

    def cost(run):
        return (prices.price(run[0], run[2].label) or (50.0,))[0]

    args.longest_first = None
    plain = cli.plan(args, budget, Nothing())
    assert sorted(map(str, plain)) == sorted(map(str, todo))  # the same runs, reordered
    assert makespan(todo, cost, jobs=3) < makespan(plain, cost, jobs=3)
