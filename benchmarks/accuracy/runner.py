"""Training the cells of the grid: one run in-process, or several in spawned workers on one
GPU, started in ``TeacherFirst`` order, each failure kept as a row instead of ending the suite."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import time
import traceback
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from benchmarks.accuracy.grid import Budget, Method, run_config
from benchmarks.accuracy.results import Results
from benchmarks.accuracy.schedule import TeacherFirst

REPO = Path(__file__).resolve().parents[2]
PHASES = ("teacher_steps", "teacher_val", "student_steps", "student_val")


def portable_paths(text: str) -> str:
    """File names in a traceback relative to the repository or to site-packages."""
    text = text.replace(f'"{REPO}/', '"')
    return re.sub(r'"[^"]*/site-packages/', '"site-packages/', text)


def time_phases(run_dir: Path) -> dict[str, float]:
    """Seconds a run spent in training steps and in validation, teacher and student apart
    (from its per-epoch log): beside its wall time they show where a budget goes."""
    from distill.core.engine.experiment import METRICS_FILE
    from distill.core.engine.loop import read_jsonl

    phases = dict.fromkeys(PHASES, 0.0)
    for entry in read_jsonl(Path(run_dir) / METRICS_FILE):
        stage = "teacher" if entry["stage"].startswith("teacher") else "student"
        phases[f"{stage}_steps"] += entry.get("train_s", 0.0)
        phases[f"{stage}_val"] += entry.get("val_s", 0.0)
    return {k: round(v, 2) for k, v in phases.items()}


def setup_seconds(run_dir: Path, started: float) -> float:
    """Wall seconds from a run's start (``time.time()``) to its config file, written once
    its models are built and its data loaded: the part of 'rest' spent before training."""
    from distill.core.engine.experiment import CONFIG_FILE

    return round((Path(run_dir) / CONFIG_FILE).stat().st_mtime - started, 2)


def per_image_dice(run_dir: Path) -> dict[str, float]:
    """Each test image's mDice, kept in the row so that the report can pair two methods
    image by image (a paired test) after the run folders are gone."""
    import json

    from distill.core.engine.experiment import TEST_FILE
    from distill.core.metrics.paired import image_scores

    test = json.loads((Path(run_dir) / TEST_FILE).read_text())
    return {image: round(dice, 5) for image, dice in image_scores(test["per_image"]).items()}


def run_one(dataset: str, seed: int, method: Method, budget: Budget, work: Path,
            gpu_share: float | None = None, silent: bool = False) -> dict[str, Any]:  # fmt: skip
    """Train and test one (dataset, seed, method); failures become a row with the error.
    ``gpu_share``: the most of the GPU's memory this process may take, so that one model
    that needs far more (MedT at 256x256) fails alone instead of starving the runs beside it.
    ``silent``: no per-epoch lines (parallel runs would interleave them; the suite prints
    one line per run; each run folder keeps its metrics.jsonl)."""
    os.environ.setdefault("DISTILL_QUIET", "1")
    if gpu_share is not None:
        import torch

        # "cuda" has no index: None means the current device (a torch.device must name one)
        torch.cuda.set_per_process_memory_fraction(gpu_share, torch.device(budget.device).index)
    from distill.core.engine.experiment import build_dataset, run_experiment
    from distill.core.engine.loop import Interrupted
    from distill.core.plugins import registry

    row: dict[str, Any] = {"dataset": dataset, "seed": seed, "method": method.label}
    row.update(budget=budget.key(), method_overrides=list(method.overrides))
    start, started = time.perf_counter(), time.time()
    try:
        cfg = run_config(dataset, seed, method, budget, work)
        shutil.rmtree(Path(cfg.out) / cfg.run_name(), ignore_errors=True)  # an unfinished try
        result = run_experiment(cfg, quiet=True, silent=silent)
        row.update({k: result.test[k] for k in ("mIoU", "mDice", "mASSD", "mHD95")})
        # relative to the work folder: results files must not carry this machine's paths
        row.update(best_val=result.best_val, run_dir=os.path.relpath(result.run_dir, work))
        row["student"] = cfg.student.model_dump(mode="json")
        row["num_classes"] = build_dataset(cfg, registry()).num_classes
        row["teacher_configs"] = [t.model_dump(mode="json") for t in cfg.teachers]
        row["teachers"] = [
            {k: t[k] for k in ("name", "mIoU", "mDice", "mASSD")} for t in result.teacher_test
        ]
        row["phases"] = time_phases(result.run_dir)
        row["phases"]["setup"] = setup_seconds(result.run_dir, started)
        row["per_image_mDice"] = per_image_dice(result.run_dir)
        del result  # its models, before their memory is handed back below
    except Interrupted:
        raise  # Ctrl-C / SIGTERM stops the suite; finished rows are already saved
    except Exception as err:  # one broken method must not lose the other rows
        row["error"] = f"{type(err).__name__}: {err}"
        row["traceback"] = portable_paths(traceback.format_exc(limit=6))
    row["seconds"] = round(time.perf_counter() - start, 1)
    row["started"] = round(started, 2)  # wall clock: when runs overlapped, slots stood empty
    if (peak := hand_back_gpu_memory()) is not None:
        row["peak_gpu_gib"] = peak
    return row


def hand_back_gpu_memory() -> float | None:
    """The most GPU memory this process held since the last call (GiB, the allocator's
    reserve; None where CUDA was never used), after which its cached blocks go back to the
    device. A pool worker lives on to its next run: without this, a small run after a big
    one keeps the big one's reserve from the runs beside it (on the H200, runs failed out of
    memory beside processes holding up to 29 GiB)."""
    import gc

    import torch

    if not torch.cuda.is_initialized():
        return None
    peak = torch.cuda.max_memory_reserved() / 2**30
    gc.collect()
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    return round(peak, 2)


def execute(todo: list[tuple], budget: Budget, args: argparse.Namespace, results: Results) -> None:
    deadline = time.monotonic() + 60 * args.time_limit if args.time_limit else None
    total, count = len(todo), 0
    failed: list[tuple] = []

    def report(row: dict[str, Any]) -> None:
        nonlocal count
        count += 1
        results.add(row)
        if "error" in row:
            failed.append((row["dataset"], row["seed"], args.catalog[row["method"]]))
        status = f"error {row['error']}" if "error" in row else f"mDice {row['mDice']:.4f}"
        print(f"[{count}/{total}] {row['dataset']} seed {row['seed']} {row['method']}: "
              f"{status} ({row['seconds']:.0f} s)", flush=True)  # fmt: skip

    def out_of_time() -> bool:
        return deadline is not None and time.monotonic() > deadline

    runs = TeacherFirst(todo)
    if args.jobs <= 1:
        while runs and not out_of_time():
            run = runs.next()
            row = run_one(*run, budget, args.work)
            report(row)
            runs.finished(run, "error" not in row)
    else:
        share = room = None
        if budget.device.startswith("cuda"):
            share = gpu_share(args.jobs)
            room = gpu_room(budget.device, share)
        run_parallel(runs, budget, args.jobs, args.work, report, out_of_time, share, room)
    if failed and args.jobs > 1 and not out_of_time():
        # Runs that failed beside others (out of memory, mostly) get one more try alone,
        # with the whole GPU: a deterministic error just fails again.
        retry, total = list(failed), total + len(failed)
        failed.clear()
        print(f"retrying {len(retry)} failed run(s) one at a time", flush=True)
        run_parallel(TeacherFirst(retry), budget, 1, args.work, report, out_of_time, None)


def gpu_share(jobs: int) -> float:
    """The most of the GPU's memory one of ``jobs`` parallel runs may take: twice a fair
    share, but never under a quarter, where MedT at 256x256 in micro-batches of 8 (about
    11-13 GiB by our CPU estimate) fits an 80 GB card. Most runs take 1-5 GiB (8 at once
    peaked at 29 GiB on the H100), so the cap only stops one run from starving the rest."""
    return min(1.0, max(2.0 / jobs, 0.25))


def gpu_room(device: str, share: float) -> Callable[[], bool]:
    """Whether ``share`` of the GPU's memory is free, the most one run may take (its cap): a
    run started then fits beside the others as they stand. Started regardless, runs landed
    beside big neighbours and failed out of memory (five in one block of baselines on the
    H200), to be retried alone at the end, the slowest way to finish a grid."""
    import torch

    index = torch.device(device).index

    def room() -> bool:
        free, total = torch.cuda.mem_get_info(index)
        return free >= share * total

    return room


def run_parallel(runs: TeacherFirst, budget: Budget, jobs: int, work: Path, report, out_of_time,
                 gpu_share: float | None, room: Callable[[], bool] | None = None,
                 ) -> None:  # fmt: skip
    """``jobs`` runs at a time in spawned processes, in the order ``runs`` allows; while
    ``room()`` says no, the next run waits for one going to end (one always goes). No new
    run starts after the time limit (runs already going finish). Ctrl-C or SIGTERM ends the
    workers too: idle pool workers never notice their parent's death and would live on."""
    import multiprocessing

    going: dict[Any, tuple] = {}
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        try:
            while True:
                while runs and len(going) < jobs and not out_of_time():
                    if going and room is not None and not room():
                        break  # until a run ends and hands its memory back
                    run = runs.next()
                    try:
                        going[pool.submit(run_one, *run, budget, work, gpu_share, jobs > 1)] = run
                    except BrokenProcessPool as err:  # a worker died; the pool takes no more
                        report(error_row(run, budget, err))
                        runs.finished(run, ok=False)
                if not going:
                    return
                done, _ = wait(going, return_when=FIRST_COMPLETED)
                for future in done:
                    run = going.pop(future)
                    try:
                        row = future.result()
                    except Exception as err:  # its worker died (killed, out of memory)
                        row = error_row(run, budget, err)
                    report(row)
                    runs.finished(run, "error" not in row)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            for child in multiprocessing.active_children():
                child.kill()  # an unfinished run is redone from scratch on the next try
            raise


def error_row(run: tuple, budget: Budget, err: BaseException) -> dict[str, Any]:
    dataset, seed, method = run
    return {"dataset": dataset, "seed": seed, "method": method.label, "budget": budget.key(),
            "error": f"{type(err).__name__}: {err}", "seconds": 0.0}  # fmt: skip
