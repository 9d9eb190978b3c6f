"""`distill compare` on real run folders: seeds of one method become one row (mean ± std of
their own test_metrics.json), teachers a row each, costs those of the models the runs built;
unfinished runs are skipped and named, a folder that is not a run is an error naming it."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

from distill.cli.app import run_app
from distill.core.profile import count_macs, count_parameters
from distill.core.report.compare import read_runs
from tests.tiny_args import tiny_run_args

TINY = [*tiny_run_args(epochs=3, counts=(16, 2, 4), distiller=None), "--quiet"]
TEACHER = ["--teacher", "unet", "--set", "teacher.base_width=4", "--teacher-epochs", "1"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two seeds of unet alone, one of unet + kd from a unet teacher, one unfinished."""
    out = tmp_path_factory.mktemp("runs")
    for seed in (0, 1):
        assert (
            run_app(["run", *TINY, "--distiller", "none", "--seed", str(seed), "--out", str(out)])
            == 0
        )
    assert run_app(["run", *TINY, *TEACHER, "--distiller", "kd", "--out", str(out)]) == 0
    unfinished = out / "unet-kd-synthetic-derm-s9"
    unfinished.mkdir()
    config = (out / "unet-kd-synthetic-derm-s0" / "config.yaml").read_text()
    (unfinished / "config.yaml").write_text(config.replace("seed: 0", "seed: 9"))
    return out


def test_seeds_of_a_method_make_one_row_with_their_spread(runs: Path, tmp_path: Path) -> None:
    folders = [
        runs / f"unet-{m}-synthetic-derm-s{s}"
        for m, s in (("none", 0), ("kd", 0), ("none", 1), ("kd", 9))
    ]
    files = {kind: tmp_path / f"table.{kind}" for kind in ("md", "tex", "json", "png")}
    assert (
        run_app(
            [
                "compare",
                *map(str, folders),
                "--markdown",
                str(files["md"]),
                "--latex",
                str(files["tex"]),
                "--json",
                str(files["json"]),
                "--plot",
                str(files["png"]),
                "--reference",
                "unet",
            ]
        )
        == 0
    )
    (table,) = json.loads(files["json"].read_text()).values()
    teacher, alone, kd = table
    assert [teacher["method"], alone["method"], kd["method"]] == [
        "unet (teacher)",
        "unet",
        "unet+kd",
    ]
    tests = [
        json.loads((runs / f"unet-none-synthetic-derm-s{s}" / "test_metrics.json").read_text())[
            "summary"
        ]
        for s in (0, 1)
    ]
    dice = [100 * t["mDice"] for t in tests]
    assert dice[0] != dice[1]  # two seeds, two results: the spread is real
    assert alone["seeds"] == 2 and alone["mDice"] == pytest.approx(statistics.fmean(dice))
    assert alone["mDice_std"] == pytest.approx(statistics.stdev(dice))
    assert alone["mASSD"] == pytest.approx(statistics.fmean(t["mASSD"] for t in tests))
    assert kd["seeds"] == 1 and "mDice_std" not in kd
    (finished_kd,) = [r for r in read_runs(folders)[0] if r.cfg.distillers[0].name == "kd"]
    assert teacher["mDice"] == pytest.approx(100 * finished_kd.test["teachers"][0]["mDice"])
    # the cost of the model the run built: its checkpoint's weights, counted again
    from distill.core.evaluation import load_trained
    from distill.core.run import Run

    model = load_trained(Run.open(runs / "unet-none-synthetic-derm-s0")).model
    assert alone["params_m"] == pytest.approx(count_parameters(model) / 1e6)
    assert alone["gmacs"] == pytest.approx(count_macs(model, (32, 32)) / 1e9)
    markdown = files["md"].read_text()
    assert f"| unet | {alone['mIoU']:.2f} ± {alone['mIoU_std']:.2f} |" in markdown
    # against the reference: kd's per-image mDice minus unet's, each averaged over its seeds
    per_image = {}
    for name in (
        "unet-none-synthetic-derm-s0",
        "unet-none-synthetic-derm-s1",
        "unet-kd-synthetic-derm-s0",
    ):
        rows = json.loads((runs / name / "test_metrics.json").read_text())["per_image"]
        per_image[name] = {row["image_id"]: row["mDice"] for row in rows}
    images = sorted(per_image["unet-kd-synthetic-derm-s0"])
    unet = [
        (per_image["unet-none-synthetic-derm-s0"][i] + per_image["unet-none-synthetic-derm-s1"][i])
        / 2
        for i in images
    ]
    gains = [
        per_image["unet-kd-synthetic-derm-s0"][i] - u for i, u in zip(images, unet, strict=True)
    ]
    assert kd["delta_mDice"] == pytest.approx(100 * statistics.fmean(gains))
    assert kd["paired_images"] == 4 and 0 < kd["p_mDice"] <= 1
    assert "delta_mDice" not in alone and "delta_mDice" not in teacher
    assert "| ΔmDice vs unet | p (Wilcoxon) |" in markdown
    tex = files["tex"].read_text()
    assert r"\label{tab:synthetic-derm}" in tex and r"unet (teacher) & " in tex
    assert r"$\Delta$mDice vs unet & p (Wilcoxon) \\" in tex
    assert f"{kd['delta_mDice']:.2f} & {kd['p_text']}".replace("<", r"\textless{}") in tex
    assert files["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unfinished_runs_are_skipped_by_name_and_non_runs_refused(
    runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        run_app(
            [
                "compare",
                str(runs / "unet-kd-synthetic-derm-s9"),
                str(runs / "unet-none-synthetic-derm-s0"),
            ]
        )
        == 0
    )
    err = " ".join(capsys.readouterr().err.split())  # rich wraps long paths' lines
    assert "skipped" in err and "unet-kd-synthetic-derm-s9: no test_metrics.json" in err
    assert run_app(["compare", str(runs / "unet-kd-synthetic-derm-s9")]) == 2
    assert "no finished run among the folders given" in capsys.readouterr().err
    finished = str(runs / "unet-none-synthetic-derm-s0")
    assert run_app(["compare", finished, "--reference", "nosuch"]) == 2
    assert "--reference nosuch: no such method; methods: unet" in capsys.readouterr().err
    assert run_app(["compare", str(tmp_path)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"'{tmp_path}' is not a run folder: it has no config.yaml" in err


def one_more_run(tmp_path: Path, *options: str) -> Path:
    """A run of its own beside the shared ones: unet alone with these options."""
    assert (
        run_app(
            [
                "run",
                *TINY,
                "--distiller",
                "none",
                *options,
                "--out",
                str(tmp_path),
                "--name",
                "extra",
            ]
        )
        == 0
    )
    return tmp_path / "extra"


def compare_json(folders: list[Path], out: Path, *options: str) -> dict[str, list[dict]]:
    assert run_app(["compare", *map(str, folders), "--json", str(out), *options]) == 0
    return json.loads(out.read_text())


def test_the_same_method_with_other_settings_is_told_apart(runs: Path, tmp_path: Path) -> None:
    wider = one_more_run(tmp_path, "--set", "student.base_width=8")
    folders = [runs / "unet-none-synthetic-derm-s0", wider]
    (table,) = compare_json(folders, tmp_path / "table.json").values()
    labels = [row["method"] for row in table]
    assert labels == ["unet (student.base_width=4)", "unet (student.base_width=8)"]
    assert table[1]["params_m"] > table[0]["params_m"]


def test_settings_that_differ_name_a_method_else_its_folder_does() -> None:
    from distill.core.report.compare import differences, flatten

    a = flatten({"student": {"name": "unet", "base_width": 4}, "train": {"lr": 0.1}})
    b = flatten({"student": {"name": "unet", "base_width": 8}, "train": {"lr": 0.2}})
    assert a == {"student.name": "unet", "student.base_width": 4, "train.lr": 0.1}
    assert differences(a, [a, b], "unet-a") == "student.base_width=4, train.lr=0.1"
    assert differences(a, [a, b], "unet-a", most=1) == "unet-a"  # too many to read: the folder


def test_each_dataset_gets_its_own_table(runs: Path, tmp_path: Path) -> None:
    pap = one_more_run(tmp_path, "--dataset", "synthetic-pap")
    folders = [runs / "unet-none-synthetic-derm-s0", pap]
    plot = tmp_path / "plot.png"
    tables = compare_json(folders, tmp_path / "tables.json", "--plot", str(plot))
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # one panel per dataset
    assert list(tables) == ["synthetic-derm", "synthetic-pap"]
    assert [[row["method"] for row in rows] for rows in tables.values()] == [["unet"], ["unet"]]
    # three classes on the Pap set: the same unet has a wider head than on the binary set
    assert tables["synthetic-pap"][0]["params_m"] > tables["synthetic-derm"][0]["params_m"]


def test_a_recorded_shift_score_is_a_column_beside_the_test_mdice(
    runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    copies = []
    for name in ("unet-none-synthetic-derm-s0", "unet-none-synthetic-derm-s1"):
        copies.append(tmp_path / name)
        shutil.copytree(runs / name, copies[-1])  # the shared runs stay without records
    kd = runs / "unet-kd-synthetic-derm-s0"
    printed = []
    for folder in copies:
        shift = tmp_path / f"{folder.name}-shift.json"
        args = ["eval", str(folder), "--split", "shift", "--record", "--json", str(shift)]
        assert run_app([*args, "--device", "cpu"]) == 0
        assert (folder / "scores-shift.json").read_text() == shift.read_text()
        printed.append(json.loads(shift.read_text())["summary"])
    assert printed[0]["n_images"] == 80  # synthetic-derm's shift split
    tables = compare_json(
        [*copies, kd], tmp_path / "table.json", "--markdown", str(tmp_path / "t.md")
    )
    (table,) = tables.values()
    alone = next(row for row in table if row["method"] == "unet")
    dice = [100 * s["mDice"] for s in printed]
    assert alone["shift_mDice"] == pytest.approx(statistics.fmean(dice))
    assert alone["shift_mDice_std"] == pytest.approx(statistics.stdev(dice))
    assert "shift_mDice" not in next(row for row in table if row["method"] == "unet+kd")
    header = (tmp_path / "t.md").read_text().splitlines()[2]
    assert "| mDice (%) | shift mDice (%) | mASSD (px) |" in header
    capsys.readouterr()


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        (["--split", "test"], "the test scores are the run's own"),
        (["--split", "shift", "--dataset", "synthetic-pap"], "the run's own dataset only"),
        (["--split", "shift", "--tta", "flip"], "plain predictions only"),
    ],
)
def test_record_refuses_what_would_read_back_as_something_else(
    runs: Path, options: list[str], reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = runs / "unet-none-synthetic-derm-s0"
    assert run_app(["eval", str(folder), *options, "--record"]) == 2
    assert reason in " ".join(capsys.readouterr().err.split())
    assert not list(folder.glob("scores-*.json"))
