"""The benchmark suites in smoke mode: each writes JSON, Markdown and a PNG that say what
was measured, on what, and with which command; `distill bench` finds and runs them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

from benchmarks import accuracy, data, size, speed  # importable: pythonpath is the repo
from distill.cli.app import run_app
from distill.cli.bench import find_benchmarks, suites
from distill.core.errors import DistillError

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny tensors: one thread is faster, and immune to other processes on the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def read_outputs(out: Path, suite: str) -> tuple[dict, str]:
    data = json.loads((out / f"{suite}.json").read_text())
    markdown = (out / f"{suite}.md").read_text()
    assert (out / f"{suite}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return data, markdown


def assert_environment(env: dict, markdown: str, suite: str) -> None:
    assert env["cpu_cores"] >= 1 and env["cpu"]
    assert env["torch"] and env["timm"] and env["git_commit"] and env["date"]
    assert env["command"].startswith(f"python -m benchmarks.{suite}")
    assert env["command"] in markdown


def test_size_suite_counts_and_checks_targets(tmp_path: Path) -> None:
    result = size.main(
        ["--models", "mpdnet,unext,medt", "--sizes", "64,96", "--out", str(tmp_path)]
    )
    data, markdown = read_outputs(tmp_path, "size")
    rows = {r["name"]: r for r in data["rows"]}
    assert [r["name"] for r in data["rows"]] == ["mpdnet", "medt", "unext"]  # sorted by params
    assert 0.5e6 < rows["mpdnet"]["params"] < rows["medt"]["params"]
    assert 0 < rows["mpdnet"]["gmacs"]["64"] < rows["mpdnet"]["gmacs"]["96"]
    assert rows["unext"]["published_params_m"] == pytest.approx(1.47)
    assert "96" in rows["medt"]["errors"] and "n/a" in markdown  # medt needs multiples of 64
    checks = {c["check"]: c["pass"] for c in data["checks"]}
    assert checks["mpdnet params <= 5M"] and checks["mpdnet GMACs <= 3 at 64x64"]
    assert checks["mpdnet has fewer params than student medt"]
    assert "PASS: mpdnet has fewer params than student medt" in markdown
    assert result["checks"] == data["checks"]
    # a miss is reported, not hidden: the same rows with an mpdnet larger than MedT
    bigger = [
        {**r, "params": 9e6, "params_m": 9.0} if r["name"] == "mpdnet" else r for r in rows.values()
    ]
    missed = {c["check"]: c["pass"] for c in size.target_checks(bigger, 64)}
    assert missed["mpdnet has fewer params than student medt"] is False
    assert missed["mpdnet params <= 5M"] is False
    assert_environment(data["env"], markdown, "size")


def test_speed_suite_times_models_and_the_pipelines(tmp_path: Path) -> None:
    args = ["--models", "unext", "--size", "64", "--repeats", "1", "--teacher", "cnn"]
    args += ["--set", "teacher.backbone=resnet18"]
    args += ["--distiller", "kd", "--pipeline-size", "64", "--batch", "2", "--steps", "1"]
    args += ["--pipeline-repeats", "2", "--warmup", "1", "--workers", "0", "--precision", "bf16"]
    args += ["--source-size", "64,96", "--out", str(tmp_path)]
    speed.main(args)
    data, markdown = read_outputs(tmp_path, "speed")
    (model,) = data["models"]
    assert model["name"] == "unext" and model["cpu_ms_per_image"] > 0
    pipe = data["pipeline"]
    for key in ("conventional", "engine", "ideal", "engine_fp32"):
        assert pipe[key] > 0 and len(pipe[f"{key}_all"]) == 2
    assert pipe["engine_vs_conventional"] == pytest.approx(pipe["engine"] / pipe["conventional"])
    assert pipe["engine_fp32_vs_conventional"] == pytest.approx(
        pipe["engine_fp32"] / pipe["conventional"]
    )
    assert pipe["precision"] == "bf16 autocast" and pipe["teacher"] == "cnn"
    assert "| engine at fp32: the same data path" in markdown
    (check,) = data["checks"]
    assert check["check"].startswith("engine >= 1.5x conventional")
    assert ("PASS" if check["pass"] else "FAIL") + ": engine" in markdown
    assert_environment(data["env"], markdown, "speed")


def test_a_model_that_fails_to_time_is_reported_and_the_others_still_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a GPU one model out of memory must not lose the table of the others."""
    from distill.core import profile

    real = profile.cpu_latency_ms

    def latency(model, *args, **kwargs):
        if type(model).__name__ == "UNeXt":
            raise RuntimeError("out of memory\nlong details")
        return real(model, *args, **kwargs)

    monkeypatch.setattr(profile, "cpu_latency_ms", latency)
    args = ["--models", "unext,mpdnet", "--size", "64", "--repeats", "1", "--skip-pipeline"]
    speed.main([*args, "--out", str(tmp_path)])
    data, markdown = read_outputs(tmp_path, "speed")
    failed, timed = sorted(data["models"], key=lambda r: r["name"] != "unext")
    assert failed["error"] == "RuntimeError: out of memory" and failed["gmacs"] > 0
    assert "cpu_ms_per_image" not in failed and timed["cpu_ms_per_image"] > 0
    assert f"| student | unext | {failed['params_m']:.2f} | {failed['gmacs']:.2f} | - |" in markdown
    assert "- unext failed: RuntimeError: out of memory" in markdown


def test_accuracy_suite_writes_the_table_and_resumes(tmp_path: Path) -> None:
    out, work = tmp_path / "out", tmp_path / "work"
    args = ["--quick", "--methods", "mpdnet+kd", "--teachers", "cnn", "--size", "32"]
    args += ["--set", "teacher.backbone=resnet18", "--counts", "4,2,2", "--batch", "2"]
    args += ["--epochs", "1", "--teacher-epochs", "1", "--out", str(out), "--work", str(work)]
    accuracy.main(args)
    data, markdown = read_outputs(out, "accuracy")
    assert data["status"] == "complete" and len(data["runs"]) == 1
    teacher, student = data["tables"]["synthetic-derm"]
    assert teacher["method"] == "cnn (teacher)" and student["method"] == "mpdnet+kd"
    assert 10 < teacher["params_m"] < 20  # resnet18 from --set, not the default resnet50
    assert student["seeds"] == 1 and "mDice_std" not in student  # no spread from one seed
    assert 0 <= student["mDice"] <= 100 and 0.5 < student["params_m"] < 1.39  # below MedT
    assert "| Method | mIoU (%) | mDice (%) | mASSD (px) | Params (M) | GMACs |" in markdown
    assert "synthetic train/val/test = 4/2/2" in markdown
    assert_environment(data["settings"]["env"], markdown, "accuracy")
    # the run's time split into phases; a teacher was trained (1 epoch) in this run
    (run,) = data["runs"]
    phases = run["phases"]
    assert all(phases[p] > 0 for p in accuracy.PHASES)
    assert sum(phases.values()) < run["seconds"]  # the rest: setup, test, writing
    assert "## Where the time went" in markdown and "| mpdnet+kd | 1 |" in markdown
    assert len((work / "rows.jsonl").read_text().splitlines()) == 1
    # A rerun with the same settings finds every run done and trains nothing.
    again = accuracy.main(args)
    assert [r["seconds"] for r in again["runs"]] == [r["seconds"] for r in data["runs"]]


def test_silent_accuracy_runs_print_nothing_but_keep_their_epoch_log(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Runs side by side stay silent (their epoch lines would interleave in the suite's
    log); one run alone prints its epochs; both keep metrics.jsonl."""
    budget = accuracy.Budget(32, 2, 1, 2, ("cnn",), "cpu", counts=(4, 2, 2), threads=1)
    method = accuracy.all_methods()["mpdnet"]
    lines = {}
    for silent in (True, False):
        row = accuracy.run_one("synthetic-derm", 0, method, budget, tmp_path / str(silent),
                               silent=silent)  # fmt: skip
        assert "error" not in row, row.get("traceback")
        metrics = tmp_path / str(silent) / row["run_dir"] / "metrics.jsonl"
        assert len(metrics.read_text().splitlines()) == 2  # one row per epoch
        lines[silent] = capfd.readouterr().err
    assert lines[True] == ""
    assert "[student] epoch 2" in lines[False]


def test_parallel_accuracy_runs_train_each_teacher_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two worker processes: the kd run trains the teacher while mpdnet (no teacher) runs
    beside it; the at run starts only after, and reuses the stored teacher."""
    monkeypatch.setenv("DISTILL_CACHE", str(tmp_path / "cache"))  # no teacher stored yet
    args = ["--quick", "--methods", "mpdnet+kd,mpdnet+at,mpdnet", "--teachers", "cnn"]
    args += ["--set", "teacher.backbone=resnet18", "--size", "32", "--counts", "4,2,2"]
    args += ["--batch", "2", "--epochs", "1", "--teacher-epochs", "1", "--jobs", "2"]
    result = accuracy.main([*args, "--out", str(tmp_path / "out"), "--work", str(tmp_path)])
    rows = {r["method"]: r for r in result["runs"]}
    assert result["status"] == "complete" and not any("error" in r for r in rows.values())
    trained = [m for m, r in rows.items() if r["phases"]["teacher_steps"] > 0]
    assert len(trained) == 1 and trained[0] != "mpdnet"
    assert rows["mpdnet"]["phases"]["teacher_steps"] == 0


def test_accuracy_variants_join_the_table_and_are_chosen_on_validation(
    tmp_path: Path, tiny_swin_params: dict
) -> None:
    out, work = tmp_path / "out", tmp_path / "work"
    args = ["--quick", "--methods", "mpdnet,mpdnet+dual", "--size", "64", "--counts", "4,2,2"]
    args += ["--batch", "2", "--epochs", "1", "--teacher-epochs", "1"]
    args += [f"--set=teacher.{k}={json.dumps(v)}" for k, v in tiny_swin_params.items()]
    args += ["--variant", "coarse=mpdnet+dual distiller.dual.strides=[16,32]"]
    args += ["--out", str(out), "--work", str(work)]
    result = accuracy.main(args)
    table = result["tables"]["synthetic-derm"]
    labels = [r["method"] for r in table]
    assert labels == ["swin (teacher)", "mpdnet", "mpdnet+dual", "mpdnet+dual@coarse"]
    variant = next(r for r in result["runs"] if r["method"] == "mpdnet+dual@coarse")
    assert variant["method_overrides"] == ["distiller.dual.strides=[16,32]"]
    assert not Path(variant["run_dir"]).is_absolute()  # results carry no machine paths
    resolved = yaml.safe_load((work / variant["run_dir"] / "config.yaml").read_text())
    assert resolved["distillers"][0]["strides"] == [16, 32]
    markdown = (out / "accuracy.md").read_text()
    assert "| mpdnet+dual@coarse | distiller.dual.strides=[16,32] |" in markdown
    assert "| mpdnet+dual | (defaults) |" in markdown
    assert "Distillation gain" in markdown and "what distillation bought" not in markdown
    duals = [r for r in table if r["method"].startswith("mpdnet+dual")]
    picked = max(duals, key=lambda r: r["val_mDice"])
    (check,) = [c for c in result["checks"] if c["check"].startswith("validation-selected")]
    assert check["detail"].startswith(f"{picked['method']}, best val mDice")
    # The same label with other overrides is a different run, not one already done.
    catalog = accuracy.all_methods()
    other = accuracy.parse_variant("coarse=mpdnet+dual distiller.dual.strides=[32]", catalog)
    from benchmarks.accuracy_report import Results

    rows = Results(work, out, result["settings"], fresh=False)
    budget = result["settings"]["budget"]
    assert rows.done("synthetic-derm", 0, catalog["mpdnet+dual"], budget)
    assert not rows.done("synthetic-derm", 0, other, budget)


def test_accuracy_retries_alone_what_failed_beside_other_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight runs share one GPU, each capped at a quarter of its memory (more runs: still a
    quarter; fewer: twice a fair share); a run that fails there (out of memory beside the
    others) is tried once more at the end, alone and uncapped."""
    calls, rows = [], []

    def fake_parallel(runs, budget, jobs, work, report, out_of_time, gpu_share):
        labels = []
        while runs:
            dataset, seed, method = run = runs.next()
            labels.append(method.label)
            row = {"dataset": dataset, "seed": seed, "method": method.label, "seconds": 1.0}
            if jobs > 1 and method.label == "medt":
                row["error"] = "OutOfMemoryError: CUDA out of memory"
            else:
                row["mDice"] = 0.5
            report(row)
            runs.finished(run, "error" not in row)
        calls.append((labels, jobs, gpu_share))

    class Collect:
        def add(self, row):
            rows.append(row)

    monkeypatch.setattr(accuracy, "run_parallel", fake_parallel)
    argv = ["--device", "cuda", "--jobs", "8", "--methods", "mpdnet,medt", "--seeds", "1"]
    args = accuracy.parse_args([*argv, "--datasets", "synthetic-derm", "--work", str(tmp_path)])
    budget = accuracy.Budget(None, 1, 1, 2, ("swin",), "cuda")
    todo = [("synthetic-derm", 0, args.catalog[m]) for m in ("mpdnet", "medt")]
    accuracy.execute(todo, budget, args, Collect())
    assert calls == [(["mpdnet", "medt"], 8, 0.25), (["medt"], 1, None)]
    assert [accuracy.gpu_share(j) for j in (1, 2, 4, 8, 12, 16)] == [1, 1, 0.5, 0.25, 0.25, 0.25]
    assert [("error" in r, r["method"]) for r in rows] == [
        (False, "mpdnet"), (True, "medt"), (False, "medt")
    ]  # fmt: skip


@pytest.mark.parametrize(("device", "index"), [("cuda", None), ("cuda:1", 1)])
def test_accuracy_caps_gpu_memory_on_the_device_it_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, device: str, index: int | None
) -> None:
    """torch refuses a ``torch.device('cuda')`` without an index here (it cost a GPU lease
    once): plain "cuda" must pass None, the current device."""
    capped = []
    monkeypatch.setattr(torch.cuda, "set_per_process_memory_fraction",
                        lambda share, dev: capped.append((share, dev)))  # fmt: skip
    monkeypatch.setattr(accuracy, "run_config", lambda *a: 1 / 0)  # stop right after the cap
    budget = accuracy.Budget(None, 1, 1, 2, ("swin",), device)
    method = accuracy.all_methods()["mpdnet"]
    row = accuracy.run_one("synthetic-derm", 0, method, budget, tmp_path, gpu_share=0.25)
    assert capped == [(0.25, index)]
    assert row["error"].startswith("ZeroDivisionError")


def test_accuracy_trains_medt_in_micro_batches_that_add_up_to_the_budget_batch(
    tmp_path: Path,
) -> None:
    catalog = accuracy.all_methods()

    def recipes(method: str, batch: int) -> tuple:
        budget = accuracy.Budget(None, 1, 1, batch, ("swin",), "cpu")
        cfg = accuracy.run_config("synthetic-derm", 0, catalog[method], budget, tmp_path)
        return (cfg.train.batch_size, cfg.train.accumulate), cfg.teacher_train.batch_size

    assert recipes("medt", 32) == ((8, 4), 32)  # the teacher's recipe is the budget's
    assert recipes("medt", 20) == ((5, 4), 20)  # equal pieces of at most 8
    assert recipes("medt", 4) == ((4, 1), 4)  # small batches stay whole
    assert recipes("unet", 32) == ((32, 1), 32)


def test_accuracy_render_redoes_the_report_of_stored_rows_for_its_grid_only(
    tmp_path: Path,
) -> None:
    """A shared work folder holds other grids' rows too; the report counts its own."""
    out, work = tmp_path / "out", tmp_path / "work"
    args = ["--quick", "--methods", "mpdnet", "--size", "32", "--counts", "4,2,2"]
    args += ["--batch", "2", "--epochs", "1", "--work", str(work)]
    accuracy.main([*args, "--out", str(out)])
    accuracy.main([*args, "--methods", "unext", "--out", str(out / "other")])
    earlier = json.loads((out / "other" / "accuracy.json").read_text())
    assert [r["method"] for r in earlier["runs"]] == ["unext"]  # not mpdnet's row beside it
    assert earlier["status"] == "complete"
    again = accuracy.main(
        ["--render", str(out / "other" / "accuracy.json"), "--out", str(out / "r")]
    )
    assert again["tables"] == earlier["tables"] and again["status"] == "complete"
    assert "re-rendered from the rows of accuracy.json" in (out / "r" / "accuracy.md").read_text()


def test_accuracy_tracebacks_name_files_without_this_machines_paths() -> None:
    text = (
        f'  File "{accuracy.REPO}/benchmarks/accuracy.py", line 1, in run_one\n'
        '  File "/opt/env/lib/python3.12/site-packages/torch/nn/modules/module.py", line 2\n'
    )
    assert accuracy.portable_paths(text) == (
        '  File "benchmarks/accuracy.py", line 1, in run_one\n'
        '  File "site-packages/torch/nn/modules/module.py", line 2\n'
    )


@pytest.mark.parametrize(
    "variant, message",
    [
        ("x=nosuch a=1", "unknown base method 'nosuch'"),
        ("x=mpdnet", "give one or more PATH=VALUE"),
        ("x/y=mpdnet train.lr=1", "use letters, digits"),
        ("x=mpdnet+dual distiller.dual.nosuch=1", "nosuch"),
    ],
)
def test_accuracy_rejects_bad_variants_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], variant: str, message: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        accuracy.main(["--quick", "--methods", "mpdnet", "--size", "32", "--counts", "4,2,2",
                       "--epochs", "1", "--variant", variant, "--work", str(tmp_path)])  # fmt: skip
    assert message in f"{exit_info.value} {capsys.readouterr().err}"
    assert not (tmp_path / "runs").exists()


@pytest.mark.xdist_group("accuracy-sigterm")
def test_sigterm_ends_a_parallel_accuracy_suite_and_its_workers(tmp_path: Path) -> None:
    """`timeout` sends SIGTERM: the suite must exit and take its pool workers with it (idle
    workers of a dead parent otherwise live on and hold the caller's output pipe open)."""
    args = ["--quick", "--methods", "mpdnet,unext", "--size", "32", "--counts", "64,2,2"]
    args += ["--epochs", "50", "--jobs", "2", "--out", tmp_path / "out", "--work", tmp_path]
    env = {**os.environ, "DISTILL_QUIET": "1", "HF_HUB_OFFLINE": "1"}
    suite = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.accuracy", *map(str, args)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob("runs/*/config.yaml")):  # a worker is training
        assert suite.poll() is None and time.monotonic() < deadline, suite.stdout.read()
        time.sleep(0.2)
    workers = child_pids(suite.pid)
    assert workers
    suite.send_signal(signal.SIGTERM)
    suite.wait(timeout=30)
    deadline = time.monotonic() + 30
    while any(map(running, workers)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(map(running, workers)) and suite.returncode != 0


def child_pids(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def running(pid: int) -> bool:
    """Alive and not a zombie (a container's init may never reap orphans)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_data_suite_compares_both_pipelines(tmp_path: Path) -> None:
    result = data.main(
        [
            "--size",
            "64",
            "--count",
            "8",
            "--batch",
            "4",
            "--repeats",
            "1",
            "--workers",
            "0",
            "--device",
            "cpu",
            "--out",
            str(tmp_path),
        ]
    )
    assert result["dataloader_images_per_s"] > 0 and result["cached_images_per_s"] > 0
    assert result["speedup"] == pytest.approx(
        result["cached_images_per_s"] / result["dataloader_images_per_s"]
    )
    saved = json.loads((tmp_path / "data.json").read_text())
    assert saved["environment"]["git_commit"] and saved["size"] == [64, 64]
    md = (tmp_path / "data.md").read_text()
    assert "Speed-up" in md and "Command: `" in md
    verdict = "PASS" if result["speedup"] >= 5 else "FAIL"
    assert f"- {verdict}: cache >= 5x the DataLoader (cpu)" in md
    assert result["cached_threads"] == torch.get_num_threads()  # every core, as the loader
    assert (tmp_path / "data.png").stat().st_size > 1000


def test_accuracy_rejects_unknown_methods(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        accuracy.main(["--methods", "mpdnet,nosuch"])
    assert "unknown method(s) ['nosuch']" in capsys.readouterr().err


def test_bench_command_lists_and_runs_suites(capfd: pytest.CaptureFixture[str]) -> None:
    folder = find_benchmarks()
    assert folder == REPO / "benchmarks"
    assert {"size", "speed", "accuracy"} <= set(suites(folder))
    assert "environment" not in suites(folder)
    assert run_app(["bench", "nosuch"]) == 2
    assert "unknown suite 'nosuch'" in capfd.readouterr().err
    assert run_app(["bench", "size", "--help"]) == 0  # a real child: python -m benchmarks.size
    assert "usage: python -m benchmarks.size" in capfd.readouterr().out


def test_speed_engine_precision_follows_the_device():
    from distill.core.engine.runtime import cpu_computes_bf16

    assert speed.engine_amp("auto", on_gpu=True) == "bf16"
    assert speed.engine_amp("auto", on_gpu=False) == ("bf16" if cpu_computes_bf16() else "off")
    assert speed.engine_amp("fp32", on_gpu=True) == "off"
    assert speed.engine_amp("bf16", on_gpu=False) == "bf16"


def test_every_variant_in_the_gpu_script_resolves(tmp_path: Path) -> None:
    """The lent GPU is rare and short: a typo in gpu_check.sh's variants must fail here,
    not there. Each variant resolves against the registry with both teachers given."""
    import re

    from distill.core.config import resolve
    from distill.core.plugins import registry

    script = (Path(__file__).parents[1] / "benchmarks" / "gpu_check.sh").read_text()
    variants = re.findall(r'--variant "([^"]+)"', script)
    assert len(variants) >= 8
    budget = accuracy.Budget(None, 10, 30, 32, ("swin", "cnn"), "cpu")
    catalog = accuracy.all_methods()
    for text in variants:
        method = accuracy.parse_variant(text, catalog)
        resolve(accuracy.run_config("isic2017-cc0", 0, method, budget, tmp_path), registry())
    with pytest.raises(DistillError, match="logit_ensembel"):
        typo = accuracy.parse_variant("t=mpdnet+dual distiller.dual.logit_ensembel=true", catalog)
        resolve(accuracy.run_config("isic2017-cc0", 0, typo, budget, tmp_path), registry())


def test_gain_table_pairs_each_method_with_mpdnet_on_the_same_seed() -> None:
    """Gains are per-seed differences (seed 2 of kd has no mpdnet partner and is left out);
    the room is the better teacher minus mpdnet, seed by seed."""
    from benchmarks.accuracy_report import gain_section, gain_table

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


def test_a_cut_off_report_prices_what_is_left_by_the_runs_that_finished() -> None:
    from benchmarks.accuracy_report import time_left

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
