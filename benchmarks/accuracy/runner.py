"""Training the cells of the grid: one at a time in this process, or N at a time in spawned
worker processes sharing one GPU. A failure becomes an outcome with its error instead of
ending the suite; the next invocation redoes it (only finished run folders are skipped)."""

from __future__ import annotations

import os
import re
import shutil
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from benchmarks.accuracy.grid import Budget, Method, run_config
from benchmarks.held_out import record_shift

REPO = Path(__file__).resolve().parents[2]
Cell = tuple[str, int, Method]  # (dataset, seed, method)


def portable_paths(text: str) -> str:
    """File names in a traceback relative to the repository or to site-packages: results
    files must not carry this machine's paths."""
    text = text.replace(f'"{REPO}/', '"')
    return re.sub(r'"[^"]*/site-packages/', '"site-packages/', text)


def gpu_share(jobs: int) -> float:
    """The most of the GPU's memory one of ``jobs`` parallel runs may take: twice a fair
    share, never under a quarter. Most runs take 1-5 GiB; the cap makes the one model that
    needs far more (MedT at 256x256) fail alone instead of starving the runs beside it."""
    return min(1.0, max(2.0 / jobs, 0.25))


def run_one(cell: Cell, budget: Budget, work: Path, jobs: int = 1) -> dict[str, Any]:
    """Train and test one cell: ``{"cell", "run_dir"}`` or ``{"cell", "error", "traceback"}``.
    With several ``jobs`` the run prints nothing (parallel runs' epoch lines would
    interleave; its folder keeps metrics.jsonl) and its GPU memory is capped."""
    os.environ.setdefault("DISTILL_QUIET", "1")
    dataset, seed, method = cell
    outcome: dict[str, Any] = {"dataset": dataset, "seed": seed, "method": method.label}
    try:
        if jobs > 1 and budget.device.startswith("cuda"):
            import torch

            # "cuda" has no index: None means the current device (a torch.device must name one)
            index = torch.device(budget.device).index
            torch.cuda.set_per_process_memory_fraction(gpu_share(jobs), index)
        import distill

        cfg = run_config(dataset, seed, method, budget, work)
        shutil.rmtree(Path(cfg.out) / cfg.run_name(), ignore_errors=True)  # an unfinished try
        run = distill.run(cfg, progress=jobs <= 1)
        record_shift(run, budget.device)  # the report's out-of-distribution column
        outcome["run_dir"] = os.path.relpath(run.path, work)
    except Exception as err:  # one broken method must not lose the other cells
        outcome["error"] = f"{type(err).__name__}: {err}"
        outcome["traceback"] = portable_paths(traceback.format_exc(limit=6))
    finally:
        release_gpu_memory()
    return outcome


def release_gpu_memory() -> None:
    """A pool worker lives on to its next run: the allocator's cache of the last one goes
    back to the device, or a small run after a big one holds the big one's memory."""
    import gc

    import torch

    if torch.cuda.is_initialized():
        gc.collect()
        torch.cuda.empty_cache()


def waves(cells: list[Cell]) -> list[list[Cell]]:
    """Each (dataset, seed) has one teacher, trained by the first run that needs it and
    stored for the others; two runs training it at once would do the work twice. So the
    first wave holds one teacher-training run per pair and every run without a teacher, the
    second the remaining distillation runs. One at a time, the order alone suffices."""
    first, second, trainers = [], [], set()
    for cell in cells:
        pair = cell[:2]
        if cell[2].needs_teacher and pair in trainers:
            second.append(cell)
        else:
            trainers.update([pair] if cell[2].needs_teacher else [])
            first.append(cell)
    return [wave for wave in (first, second) if wave]


def execute(cells: list[Cell], budget: Budget, work: Path, jobs: int, report) -> None:
    """Train ``cells``, calling ``report(outcome)`` as each ends. Ctrl-C or SIGTERM ends the
    workers too: idle pool workers never notice their parent's death and would live on."""
    if jobs <= 1:
        for cell in cells:
            report(run_one(cell, budget, work))
        return
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # CUDA cannot be forked
    with ProcessPoolExecutor(jobs, mp_context=context) as pool:
        try:
            for wave in waves(cells):
                futures = {pool.submit(run_one, c, budget, work, jobs): c for c in wave}
                for future in as_completed(futures):
                    try:
                        report(future.result())
                    except Exception as err:  # its worker died (killed, out of memory)
                        dataset, seed, method = futures[future]
                        report(
                            {
                                "dataset": dataset,
                                "seed": seed,
                                "method": method.label,
                                "error": f"{type(err).__name__}: {err}",
                            }
                        )
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            for child in multiprocessing.active_children():
                child.kill()  # an unfinished run is redone from scratch on the next try
            raise
