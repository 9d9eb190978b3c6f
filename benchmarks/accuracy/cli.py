"""``python -m benchmarks.accuracy``: the options and their defaults per mode, the grid's
cells still to train, then the report of every finished cell."""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import benchmarks.accuracy as package
from benchmarks.accuracy.grid import (
    FULL_COUNTS,
    Budget,
    all_methods,
    parse_variant,
    run_config,
    run_folder,
)
from benchmarks.accuracy.runner import REPO

OUT = REPO / "benchmarks" / "results" / "accuracy"


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
    p.add_argument(
        "--jobs", type=int, default=1, help="runs at a time, in worker processes (default 1)"
    )
    p.add_argument("--work", type=Path, help="folder for run folders (default: a temp folder)")
    p.add_argument("--fresh", action="store_true", help="redo runs already finished in --work")
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    if args.device is None:
        import torch

        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    from distill.plugins.datasets.isic2017 import default_shared_root

    synthetic = "synthetic-derm,synthetic-pap"
    full = f"isic2017-cc0,{synthetic}" if default_shared_root() or args.data_root else synthetic
    args.datasets = (args.datasets or ("synthetic-derm" if args.quick else full)).split(",")
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
    args.seeds = args.seeds or (1 if args.quick else 3)
    args.work = args.work or Path(tempfile.gettempdir()) / "distill-bench" / "accuracy"
    return args


def make_budget(args: argparse.Namespace) -> Budget:
    """The budget every cell shares: the options given, else the mode's defaults."""
    quick = args.quick
    if args.threads:
        threads = args.threads
    elif args.device.startswith("cuda"):  # the cores shared out among parallel runs
        threads = max(1, (os.cpu_count() or 1) // args.jobs) if args.jobs > 1 else None
    else:
        threads = 1 if quick else None  # tiny tensors
    counts = FULL_COUNTS if not quick else (32, 16, 16)
    return Budget(
        size=args.size or (64 if quick else None),
        epochs=args.epochs or (4 if quick else 10),
        teacher_epochs=(4 if quick else 30) if args.teacher_epochs is None else args.teacher_epochs,
        batch=args.batch or (4 if quick else 32),
        teachers=tuple(args.teachers.split(",")),
        device=args.device,
        counts=tuple(int(c) for c in args.counts.split(",")) if args.counts else counts,
        data_root=args.data_root,
        steps_per_epoch=args.steps_per_epoch,
        overrides=tuple(args.overrides),
        threads=threads,
    )


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
    """SIGTERM ends the suite as Ctrl-C does: a report of what finished, workers killed."""
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    os.environ.setdefault("DISTILL_QUIET", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args = parse_args(argv)
    budget = make_budget(args)
    from benchmarks.accuracy.grid import batch_pieces
    from benchmarks.accuracy.report import finished_run, write_report
    from benchmarks.accuracy.runner import execute
    from benchmarks.environment import environment

    pieces = {m: batch_pieces(budget.batch, args.catalog[m].micro_batch) for m in args.methods}
    settings = {
        "mode": "quick" if args.quick else "full",
        "datasets": args.datasets,
        "methods": args.methods,
        "variants": {m: list(args.catalog[m].overrides) for m in args.methods if "@" in m},
        "micro_batches": {m: n for m, n in pieces.items() if n > 1},
        "seeds": args.seeds,
        "jobs": args.jobs,
        "budget": budget.key(),
        "sizes": {d: budget.size_for(d) for d in args.datasets},
        "env": environment(
            args.device,
            argv=None if argv is None else ["python", "-m", "benchmarks.accuracy", *argv],
        ),
    }
    check_variants(args, budget)
    cells = [
        (dataset, seed, args.catalog[label])
        for dataset in args.datasets
        for seed in range(args.seeds)
        for label in args.methods
    ]
    if args.fresh:
        for cell in cells:
            shutil.rmtree(run_folder(*cell, budget, args.work), ignore_errors=True)
    todo = [cell for cell in cells if finished_run(run_folder(*cell, budget, args.work)) is None]
    print(
        f"accuracy ({settings['mode']}): {len(todo)} of {len(cells)} runs to do, "
        f"{args.jobs} at a time; work folder {args.work}",
        flush=True,
    )
    failed: list[dict[str, Any]] = []
    ended = 0

    def report(outcome: dict[str, Any]) -> None:
        nonlocal ended
        ended += 1
        if "error" in outcome:
            failed.append(outcome)
        what = outcome.get("error", "finished")
        cell = f"{outcome['dataset']} seed {outcome['seed']} {outcome['method']}"
        print(f"[{ended}/{len(todo)}] {cell}: {what}", flush=True)

    try:
        execute(todo, budget, args.work, args.jobs, report)
    finally:  # also after Ctrl-C or SIGTERM: the report of every run finished so far
        summary = write_report(cells, budget, args.work, settings, failed, args.out)
        print("\n".join(summary["check_lines"]))
        print(f"wrote {args.out}/accuracy.{{json,md,tex,png}} ({summary['status']})")
    return summary
