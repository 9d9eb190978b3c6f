"""Accuracy: the 14 baselines, mpdnet alone, mpdnet + mpd/dual and the classic distillers,
trained at one fixed budget over several seeds, in the paper's table layout.

Run as ``python -m benchmarks.accuracy`` (full mode, for one H100/H200, ``--device cuda``;
the H200 timings price it at ~16 minutes, twice the 8 it should take),
``python -m benchmarks.accuracy --quick`` (a 2-core CPU in well under 20 minutes), or
``--dataset isic2017 --data-root PATH`` for the official ISIC 2017 folders.
``--estimate ACCURACY_JSON`` prices the planned runs from a timed grid without training.
Every run goes through ``run_experiment`` (quiet) into a work folder; each teacher is trained
once per dataset and seed and reused by every method (the teacher config never varies).
Results are rewritten after every finished run, so a late crash keeps the earlier rows, and
a rerun with the same settings skips runs already done. Writes
benchmarks/results/accuracy/{accuracy.json,accuracy.md,accuracy.png}.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import tempfile
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from benchmarks.accuracy_report import Results
from benchmarks.accuracy_schedule import TeacherFirst

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "results" / "accuracy"
CLASSIC = ["kd", "fitnet", "at", "skd", "cwd", "ifvd", "dist"]
UNET_REFERENCE = "unet-32"
TARGET_METHODS = ("mpdnet+dual", "mpdnet", UNET_REFERENCE)
PRESET_DATASETS = {"isic2017": "isic2017", "sipakmed": "sipakmed"}
# Full mode on one GPU: 8 runs at a time share it, and a small model's step is bound by
# kernel launches, so the grid costs about its number of steps. Batch 32 and these synthetic
# counts (5 steps an epoch; the real sample gives 10) need half the steps of batch 16 and
# 240 images; on an H200 that was still more than 8 minutes (README, Results).
FULL_COUNTS = (160, 40, 80)
# MedT's axial attention kept ~115 GiB for one 256x256 batch of 32 on the H200 (the runs
# beside it failed out of memory); in pieces of 8 it fits a share of the GPU, and each
# update still sees the whole batch.
MICRO_BATCH = {"medt": 8}
PHASES = ("teacher_steps", "teacher_val", "student_steps", "student_val")


@dataclass(frozen=True)
class Method:
    label: str
    student: dict[str, Any]
    distillers: tuple[str, ...] = ("none",)
    overrides: tuple[str, ...] = ()  # a variant's PATH=VALUE, applied after the budget's
    micro_batch: int | None = None  # most images per forward pass; gradients accumulated

    @property
    def needs_teacher(self) -> bool:
        return self.distillers != ("none",)


def all_methods() -> dict[str, Method]:
    """Run order: what the targets compare first, then the classic distillers, then the
    baselines; the first entry trains the teacher the others reuse."""
    from distill.core.plugins import registry

    methods = [
        Method("mpdnet+dual", {"name": "mpdnet"}, ("dual",)),
        Method("mpdnet", {"name": "mpdnet"}),
        Method(UNET_REFERENCE, {"name": "unet", "base_width": 32}),
        Method("mpdnet+mpd", {"name": "mpdnet"}, ("mpd",)),
        *[Method(f"mpdnet+{d}", {"name": "mpdnet"}, (d,)) for d in CLASSIC],
        *[
            Method(n, {"name": n}, micro_batch=MICRO_BATCH.get(n))
            for n in registry().names("student")
            if n != "mpdnet"
        ],
    ]
    return {m.label: m for m in methods}


VARIANT_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def parse_variant(text: str, methods: dict[str, Method]) -> Method:
    """``NAME=BASE PATH=VALUE ...``: method BASE with config overrides, labelled BASE@NAME,
    so a loss-weight or scale sweep lands in the same table as the method it varies."""
    head, *overrides = text.split()
    name, _, base = head.partition("=")
    if not VARIANT_NAME.fullmatch(name):
        raise ValueError(f"variant name {name!r}: use letters, digits, '_', '.', '-'")
    if base not in methods:
        raise ValueError(f"variant {name}: unknown base method {base!r}")
    if not overrides or any("=" not in o for o in overrides):
        raise ValueError(f"variant {name}: give one or more PATH=VALUE after {base}")
    return replace(methods[base], label=f"{base}@{name}", overrides=tuple(overrides))


@dataclass
class Budget:
    """Everything that fixes a run besides dataset, seed and method."""

    size: int | None
    epochs: int
    teacher_epochs: int
    batch: int
    teachers: tuple[str, ...]
    device: str
    counts: tuple[int, int, int] | None = None  # synthetic train/val/test images
    data_root: str | None = None
    steps_per_epoch: int | None = None
    overrides: tuple[str, ...] = ()  # --set PATH=VALUE, applied to every run alike
    threads: int | None = None  # CPU threads per run

    def key(self) -> dict[str, Any]:
        """As stored in JSON (tuples become lists), to match rows of an earlier try."""
        return json.loads(json.dumps(asdict(self)))

    def size_for(self, dataset: str) -> int:
        if self.size:
            return self.size
        if dataset in PRESET_DATASETS:
            from distill.core.presets import preset

            return int(preset(PRESET_DATASETS[dataset])["data"]["size"][0])
        return 128 if dataset.startswith("synthetic") else 256


def dataset_config(dataset: str, budget: Budget) -> dict[str, Any]:
    tree: dict[str, Any] = {"name": dataset}
    if dataset.startswith("synthetic") and budget.counts:
        tree.update(zip(("train_count", "val_count", "test_count"), budget.counts, strict=True))
    if budget.data_root and not dataset.startswith("synthetic"):
        tree["data_root"] = budget.data_root
    return tree


def run_config(dataset: str, seed: int, method: Method, budget: Budget, work: Path):
    """The RunConfig of one table cell (teacher config identical for every method)."""
    from distill.core.config import build_config

    size = budget.size_for(dataset)
    # The suite resumes run by run, so per-epoch checkpoints (GBs for the big baselines)
    # would only cost time: each stage writes its checkpoint once, at the end.
    recipe = {"epochs": budget.epochs, "batch_size": budget.batch, "checkpoint_every": 0}
    if budget.steps_per_epoch:
        recipe["steps_per_epoch"] = budget.steps_per_epoch
    pieces = batch_pieces(budget.batch, method.micro_batch)
    student_recipe = {**recipe, "batch_size": budget.batch // pieces, "accumulate": pieces}
    return build_config(
        {
            "out": str(work / "runs"),
            "name": f"{dataset}-s{seed}-{method.label}",
            "seed": seed,
            "data": {"dataset": dataset_config(dataset, budget), "size": [size, size]},
            "teachers": list(budget.teachers),
            "student": method.student,
            "distillers": list(method.distillers),
            "train": student_recipe,
            "teacher_train": {**recipe, "epochs": budget.teacher_epochs},
            "eval": {"overlays": 0, "batch_size": 64},  # fewer launches; same scores
            # frozen teachers replayed from CUDA graphs on a GPU (fewer launches)
            "runtime": {
                "device": budget.device,
                "num_threads": budget.threads,
                "cuda_graphs": "auto",
            },
        },
        [*budget.overrides, *method.overrides],
    )


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


def batch_pieces(batch: int, most: int | None) -> int:
    """Fewest equal pieces of ``batch`` with at most ``most`` images each."""
    if not most or batch <= most:
        return 1
    return next(n for n in range(-(-batch // most), batch + 1) if batch % n == 0)


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
    start = time.perf_counter()
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
    except Interrupted:
        raise  # Ctrl-C / SIGTERM stops the suite; finished rows are already saved
    except Exception as err:  # one broken method must not lose the other rows
        row["error"] = f"{type(err).__name__}: {err}"
        row["traceback"] = portable_paths(traceback.format_exc(limit=6))
    row["seconds"] = round(time.perf_counter() - start, 1)
    return row


def plan(args: argparse.Namespace, budget: Budget, results: Results) -> list[tuple]:
    """(dataset, seed, method) still to run, in the order a time limit should cut last:
    the methods the targets compare on every dataset and seed first, then the rest
    dataset by dataset (the real set first by default), seed by seed."""
    todo = [
        (dataset, seed, args.catalog[label])
        for dataset in args.datasets
        for seed in range(args.seeds)
        for label in args.methods
        if not results.done(dataset, seed, args.catalog[label], budget.key())
    ]
    return sorted(todo, key=lambda item: item[2].label not in TARGET_METHODS)  # stable


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
        share = gpu_share(args.jobs) if budget.device.startswith("cuda") else None
        run_parallel(runs, budget, args.jobs, args.work, report, out_of_time, share)
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


def run_parallel(runs: TeacherFirst, budget: Budget, jobs: int, work: Path, report, out_of_time,
                 gpu_share: float | None) -> None:  # fmt: skip
    """``jobs`` runs at a time in spawned processes, in the order ``runs`` allows; no new run
    starts after the time limit (runs already going finish). Ctrl-C or SIGTERM ends the
    workers too: idle pool workers never notice their parent's death and would live on."""
    import multiprocessing

    going: dict[Any, tuple] = {}
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        try:
            while True:
                while runs and len(going) < jobs and not out_of_time():
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


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.accuracy", description=__doc__.splitlines()[0]
    )
    p.add_argument("--quick", action="store_true", help="tiny CPU run (see the output)")
    p.add_argument("--datasets", "--dataset", help="comma-separated dataset names")
    p.add_argument("--data-root", help="dataset folder (isic2017, sipakmed, isic2017-cc0)")
    p.add_argument("--methods", help="comma-separated method labels (default: all)")
    p.add_argument(
        "--variant",
        dest="variants",
        action="append",
        default=[],
        metavar="'NAME=BASE PATH=VALUE ...'",
        help="also run method BASE with these overrides, as BASE@NAME (repeatable), e.g. "
        "'coarse=mpdnet+dual distiller.dual.strides=[16,32]'",
    )
    p.add_argument("--seeds", type=int, help="seeds 0..N-1 (default 3; quick 1)")
    p.add_argument("--epochs", type=int, help="student epochs (default 10; quick 4)")
    p.add_argument("--teacher-epochs", type=int, help="teacher epochs (default 30; quick 4)")
    p.add_argument("--size", type=int, help="square training size (default per dataset)")
    p.add_argument("--batch", type=int, help="batch size (default 32; quick 4)")
    p.add_argument(
        "--counts", help="synthetic train,val,test images (default 160,40,80; quick 32,16,16)"
    )
    p.add_argument("--steps-per-epoch", type=int, help="cap steps per epoch")
    p.add_argument("--teachers", default="swin", help="teacher names, comma-separated")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="config override for every run, e.g. teacher.backbone=resnet18 (repeatable)",
    )
    p.add_argument("--device", help="cpu, cuda or cuda:N (default: cuda when present)")
    p.add_argument(
        "--threads",
        type=int,
        help="CPU threads per run (default: torch's; quick: 1, as tiny tensors gain little "
        "from a second thread and stall badly when another process holds a core)",
    )
    p.add_argument("--jobs", type=int, help="runs in parallel (default 8 on GPU, 1 on CPU)")
    p.add_argument("--time-limit", type=float, help="minutes; no new runs after this")
    p.add_argument("--work", type=Path, help="folder for run folders (default: a temp folder)")
    p.add_argument("--fresh", action="store_true", help="ignore finished runs of a previous try")
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument(
        "--estimate",
        type=Path,
        metavar="ACCURACY_JSON",
        help="only print what the runs still to do (those not finished in --work) would take, "
        "priced from the runs of an earlier accuracy.json (e.g. "
        "benchmarks/results/accuracy/h200_accuracy.json; no training)",
    )
    p.add_argument(
        "--render",
        type=Path,
        metavar="ACCURACY_JSON",
        help="only redo the tables, checks and plot of an earlier accuracy.json (no training)",
    )
    args = p.parse_args(argv)
    if args.device is None:
        import torch

        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    quick, on_gpu = args.quick, args.device.startswith("cuda")
    from distill.plugins.datasets.isic2017 import default_shared_root

    synthetic = "synthetic-derm,synthetic-pap"
    full = f"isic2017-cc0,{synthetic}" if default_shared_root() or args.data_root else synthetic
    args.datasets = (args.datasets or ("synthetic-derm" if quick else full)).split(",")
    known = all_methods()
    args.methods = args.methods.split(",") if args.methods else list(known)
    unknown = [m for m in args.methods if m not in known]
    if unknown:
        p.error(f"unknown method(s) {unknown}; known: {', '.join(known)}")
    args.catalog = dict(known)
    for text in args.variants:
        try:
            variant = parse_variant(text, known)
        except ValueError as err:
            p.error(f"--variant {text!r}: {err}")
        args.catalog[variant.label] = variant
        args.methods.append(variant.label)
    args.seeds = args.seeds or (1 if quick else 3)
    args.jobs = args.jobs or (8 if on_gpu else 1)
    args.work = args.work or Path(tempfile.gettempdir()) / "distill-bench" / "accuracy"
    return args


def default_threads(quick: bool, device: str, jobs: int) -> int | None:
    """CPU threads per run: 1 for quick CPU runs (tiny tensors), the cores shared out when
    several GPU runs go at once, else torch's default."""
    if not device.startswith("cuda"):
        return 1 if quick else None
    return max(1, (os.cpu_count() or 1) // jobs) if jobs > 1 else None


def read_results(path: Path, option: str) -> dict[str, Any]:
    """An earlier accuracy.json, or an exit that says what is wrong with the file."""
    try:
        earlier = json.loads(path.read_text())
    except OSError as err:
        raise SystemExit(f"{option} {path}: {err.strerror}") from None
    except json.JSONDecodeError as err:
        raise SystemExit(f"{option} {path}: not JSON ({err})") from None
    if not isinstance(earlier, dict) or earlier.get("suite") != "accuracy":
        raise SystemExit(f"{option} {path}: not an accuracy.json written by this suite")
    return earlier


def render(path: Path, out: Path) -> dict[str, Any]:
    from benchmarks.accuracy_report import write_report

    earlier = read_results(path, "--render")
    summary = write_report(earlier["runs"], earlier["settings"], out, earlier["seconds"],
                           final=True, rendered_from=path.name)  # fmt: skip
    return announce(summary, out)


def check_variants(args: argparse.Namespace, budget: Budget) -> None:
    """A variant's overrides are validated before anything trains, not run by run."""
    from distill.core.config import resolve
    from distill.core.errors import DistillError
    from distill.core.plugins import registry

    for label in args.methods:
        method = args.catalog[label]
        if method.overrides:
            try:
                resolve(run_config(args.datasets[0], 0, method, budget, args.work), registry())
            except DistillError as err:
                raise SystemExit(f"--variant {label}: {err}") from None


def _stop(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    os.environ.setdefault("DISTILL_QUIET", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args = parse_args(argv)
    if args.render:
        return render(args.render, args.out)
    quick = args.quick
    budget = Budget(
        size=args.size or (64 if quick else None),
        epochs=args.epochs or (4 if quick else 10),
        teacher_epochs=args.teacher_epochs if args.teacher_epochs is not None else (
            4 if quick else 30
        ),
        batch=args.batch or (4 if quick else 32),
        teachers=tuple(args.teachers.split(",")),
        device=args.device,
        counts=tuple(int(c) for c in args.counts.split(","))
        if args.counts
        else ((32, 16, 16) if quick else FULL_COUNTS),
        data_root=args.data_root,
        steps_per_epoch=args.steps_per_epoch,
        overrides=tuple(args.overrides),
        threads=args.threads or default_threads(quick, args.device, args.jobs),
    )  # fmt: skip
    from benchmarks.environment import environment

    pieces = {m: batch_pieces(budget.batch, args.catalog[m].micro_batch) for m in args.methods}
    settings = {
        "mode": "quick" if quick else "full",
        "datasets": args.datasets,
        "methods": args.methods,
        "variants": {m: list(args.catalog[m].overrides) for m in args.methods if "@" in m},
        "micro_batches": {m: n for m, n in pieces.items() if n > 1},
        "seeds": args.seeds,
        "jobs": args.jobs,
        "time_limit_min": args.time_limit,
        "budget": budget.key(),
        "sizes": {d: budget.size_for(d) for d in args.datasets},
        "env": environment(
            args.device,
            argv=None if argv is None else ["python", "-m", "benchmarks.accuracy", *argv],
        ),
    }
    check_variants(args, budget)
    results = Results(args.work, args.out, settings, args.fresh)
    todo = plan(args, budget, results)
    if args.estimate:
        return print_estimate(todo, budget, args.estimate)
    print(f"accuracy ({settings['mode']}): {len(todo)} runs to do on {args.datasets}, "
          f"{args.seeds} seed(s), work folder {args.work}", flush=True)  # fmt: skip
    execute(todo, budget, args, results)
    return announce(results.write(final=True), args.out)


def print_estimate(todo: list[tuple], budget: Budget, path: Path) -> dict[str, Any]:
    """The planned runs priced from a timed grid, at that grid's number of runs at a time (a
    run's seconds were measured beside that many others)."""
    from benchmarks.accuracy_cost import Prices, estimate, estimate_lines

    timed = read_results(path, "--estimate")
    scaled = ("epochs", "teacher_epochs")  # priced by scaling the runs' logged phases
    ignored = ("device", "threads", *scaled)  # where it ran, not what it ran
    differs = sorted(k for k, v in timed["settings"]["budget"].items()
                     if k not in ignored and budget.key().get(k) != v)  # fmt: skip
    prices = Prices.from_rows(timed["runs"], budget.key())
    est = estimate(todo, prices, timed["settings"]["jobs"])
    env = timed["settings"]["env"]
    where = env.get("gpu") or env.get("cpu") or "an unnamed machine"
    print("\n".join(estimate_lines(est, f"{path.name} ({where})")))
    if differs:
        print(f"  caution: those runs had another budget ({', '.join(differs)} differ; "
              "only epochs are rescaled)")  # fmt: skip
    return asdict(est)


def announce(summary: dict[str, Any], out: Path) -> dict[str, Any]:
    print("\n".join(summary["check_lines"]) + f"\nwrote {out}/accuracy.{{json,md,png}}")
    return summary


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _stop)  # `timeout` or a scheduler: end like Ctrl-C
    main()
