"""``python -m benchmarks.accuracy``: the options and their defaults per mode, then one of
three things: train the grid, only price it (``--estimate``), or only redraw an earlier
result (``--render``)."""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import benchmarks.accuracy as package
from benchmarks.accuracy.grid import (
    FULL_COUNTS,
    TARGET_METHODS,
    Budget,
    all_methods,
    batch_pieces,
    parse_variant,
    run_config,
)
from benchmarks.accuracy.results import Results
from benchmarks.accuracy.runner import REPO, execute

OUT = REPO / "benchmarks" / "results" / "accuracy"


def plan(args: argparse.Namespace, budget: Budget, results: Results) -> list[tuple]:
    """(dataset, seed, method) still to run, in the order a time limit should cut last:
    the methods the targets compare on every dataset and seed first, then the rest
    dataset by dataset (the real set first by default), seed by seed; with
    ``--longest-first``, the rest by their price instead, longest first."""
    todo = [
        (dataset, seed, args.catalog[label])
        for dataset in args.datasets
        for seed in range(args.seeds)
        for label in args.methods
        if not results.done(dataset, seed, args.catalog[label], budget.key())
    ]
    todo.sort(key=lambda item: item[2].label not in TARGET_METHODS)  # stable
    if args.longest_first:
        todo = longest_first(todo, budget, args.longest_first)
    return todo


def longest_first(todo: list[tuple], budget: Budget, timed: Path) -> list[tuple]:
    """The runs after the targets' in falling price (from an earlier grid's runs): a grid
    ends when its last run does, and a long run started late leaves the other slots idle
    (one MedT run on the real sample lasts half of an 8-minute grid). A run nothing prices
    may be long: it goes first."""
    from benchmarks.accuracy.cost import Prices

    prices = Prices.from_rows(read_results(timed, "--longest-first")["runs"], budget.key())

    def key(run: tuple) -> tuple[bool, float]:
        found = prices.price(run[0], run[2].label)
        return run[2].label not in TARGET_METHODS, -found[0] if found else -math.inf

    return sorted(todo, key=key)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.accuracy", description=package.__doc__.splitlines()[0]
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
        "--longest-first",
        type=Path,
        metavar="ACCURACY_JSON",
        help="start the longest runs first, priced from an earlier accuracy.json: the grid "
        "ends sooner (the targets' runs still go first)",
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
    from benchmarks.accuracy.report import write_report

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


def stop(signum: int, frame: Any) -> None:
    """SIGTERM ends the suite as Ctrl-C does: finished rows kept, workers killed."""
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
    # one run at a time trains in this process: its report is written between runs
    results = Results(args.work, args.out, settings, args.fresh, background=args.jobs > 1)
    todo = plan(args, budget, results)
    if args.estimate:
        return print_estimate(todo, budget, args.estimate)
    print(f"accuracy ({settings['mode']}): {len(todo)} runs to do on {args.datasets}, "
          f"{args.seeds} seed(s), work folder {args.work}", flush=True)  # fmt: skip
    try:
        execute(todo, budget, args, results)
    except BaseException:  # Ctrl-C, SIGTERM: the report holds every row finished so far
        results.finish(final=False)
        raise
    return announce(results.finish(), args.out)


def print_estimate(todo: list[tuple], budget: Budget, path: Path) -> dict[str, Any]:
    """The planned runs priced from a timed grid, at that grid's number of runs at a time (a
    run's seconds were measured beside that many others)."""
    from benchmarks.accuracy.cost import Prices, estimate, estimate_lines

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
    print("\n".join(summary["check_lines"]) + f"\nwrote {out}/accuracy.{{json,md,tex,png}}")
    return summary
