"""Run the grid (finished runs are skipped, so a stopped suite resumes), then write the
table, the plot and the JSON rows."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from benchmarks.environment import environment, environment_line
from benchmarks.label_efficiency.grid import (
    FRACTIONS,
    FULL,
    METHODS,
    QUICK,
    dataset_config,
    methods_at,
    run_config,
)
from benchmarks.label_efficiency.table import markdown, plot, rows
from benchmarks.mpdnet_grid import add_grid_options, with_epochs
from benchmarks.runs import train_or_read
from distill.core.run import Run

HERE = Path(__file__).resolve().parents[1] / "results" / "label_efficiency"


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.label_efficiency", description=__doc__)
    p.add_argument("--quick", action="store_true", help="64x64, a reduced Swin, 6 epochs (CPU)")
    p.add_argument(
        "--dataset",
        default="isic2017-cc0",
        help="isic2017-cc0 (the real sample), synthetic-derm or synthetic-pap",
    )
    p.add_argument("--data-root", type=Path, default=None)
    p.add_argument("--fractions", type=float, nargs="+", default=list(FRACTIONS))
    p.add_argument("--methods", nargs="+", default=[m.name for m in METHODS])
    add_grid_options(p, "label_efficiency", HERE)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    budget = with_epochs(QUICK if args.quick else FULL, args.epochs)
    methods = [m for m in METHODS if m.name in args.methods]
    dataset = dataset_config(args.dataset, args.data_root)
    results: dict[float, dict[str, list[Run]]] = {}
    started = time.perf_counter()
    for fraction in args.fractions:
        for seed in range(args.first_seed, args.seeds):
            for method in methods_at(fraction, methods):
                cfg = run_config(dataset, fraction, seed, method, budget, args.work, args.device)
                results.setdefault(fraction, {}).setdefault(method.name, []).append(
                    train_or_read(cfg)
                )
    seconds = time.perf_counter() - started
    write(args, budget, rows(results), seconds)
    return 0


def write(args: argparse.Namespace, budget, table: list[dict], seconds: float) -> None:
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.name or f"{args.dataset}_{'quick' if args.quick else 'full'}"
    mode = "quick" if args.quick else "full"
    header = (
        f"# Label efficiency: {args.dataset} ({mode} mode)\n\n"
        f"{environment_line(environment())}\n\n"
        f"Budget: {budget}. Wall time of this invocation: {seconds / 60:.1f} min (finished "
        "runs of an earlier invocation are read, not retrained).\n\n"
        "Test mDice, mean ± std over seeds; gain and p: paired by test image against "
        "MPDNet alone at the same fraction (each image's Dice averaged over seeds). At 100% "
        "there are no unlabelled images, so the +U methods are not run there.\n\n"
    )
    (args.out / f"{stem}.md").write_text(header + markdown(table) + f"\n![plot]({stem}.png)\n")
    (args.out / f"{stem}.json").write_text(json.dumps(table, indent=2))
    plot(table, args.out / f"{stem}.png")
    print(markdown(table))


if __name__ == "__main__":
    sys.exit(main())
