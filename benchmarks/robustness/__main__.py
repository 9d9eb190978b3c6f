"""Run the grid (finished runs are read back, so a stopped suite resumes), score every run
on the shift splits, then write the table and the JSON rows."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from benchmarks.environment import environment, environment_line
from benchmarks.held_out import split_scores
from benchmarks.mpdnet_grid import add_grid_options, with_epochs
from benchmarks.robustness.grid import (
    FULL,
    METHODS,
    QUICK,
    RECIPES,
    REFERENCE,
    dataset_config,
    run_config,
)
from benchmarks.robustness.table import (
    SCORED,
    Results,
    chosen_recipe,
    markdown,
    rows,
    targets,
)
from benchmarks.runs import finished, train_or_read
from distill.core.run import Run

HERE = Path(__file__).resolve().parents[1] / "results" / "robustness"


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.robustness", description=__doc__)
    p.add_argument("--quick", action="store_true", help="64x64, reduced teachers (CPU)")
    p.add_argument("--data-root", type=Path, default=None, help="the isic2017-cc0 folder")
    p.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=list(RECIPES))
    names = [m.name for m in METHODS]
    p.add_argument("--methods", nargs="+", default=names, choices=names)
    p.add_argument(
        "--report-only",
        action="store_true",
        help="train nothing: the table of the runs of the grid already finished in --work",
    )
    add_grid_options(p, "robustness", HERE)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    budget = with_epochs(QUICK if args.quick else FULL, args.epochs)
    started = time.perf_counter()
    results, runs = train_grid(args, budget)
    if not runs:
        raise SystemExit(f"no finished run of the grid in {args.work}")
    write(args, budget, rows(results), time.perf_counter() - started, runs)
    return 0


def train_grid(args: argparse.Namespace, budget) -> tuple[Results, list[Run]]:
    """Every run of the grid, trained or read back, with its scores on each split; seeds
    outermost, so a stopped suite has whole seeds."""
    methods = [m for m in METHODS if m.name in args.methods]
    dataset = dataset_config(args.data_root)
    results: Results = {}
    runs = []
    for seed in range(args.first_seed, args.seeds):
        for recipe in args.recipes:
            for method in methods:
                cfg = run_config(dataset, recipe, seed, method, budget, args.work, args.device)
                run = finished(cfg) if args.report_only else train_or_read(cfg)
                if run is None:
                    continue
                runs.append(run)
                scored = {s: split_scores(run, s, args.device) for s in SCORED}
                entry = {**scored, "val": run.best_val()}
                results.setdefault(recipe, {}).setdefault(method.name, []).append(entry)
    return results, runs


def write(
    args: argparse.Namespace, budget, table: list[dict], seconds: float, runs: list[Run]
) -> None:
    args.out.mkdir(parents=True, exist_ok=True)
    mode = "quick" if args.quick else "full"
    stem = args.name or f"isic2017-cc0_{mode}"
    records = [run.record() for run in runs]
    trained = sum(r.get("updated", 0) - r.get("started", 0) for r in records)
    header = (
        f"# Robustness: isic2017-cc0 with a lesion-size shift ({mode} mode)\n\n"
        f"{environment_line(environment())}\n\n"
        f"Budget: {budget}. Wall time of this invocation: {seconds / 60:.1f} min; the "
        f"{len(runs)} runs took {trained / 60:.1f} min from start to end, as their records "
        "say (an invocation reads the runs an earlier one finished).\n\n"
        "Recipes, as settings changed against the default config: "
        + "; ".join(f"`{name}`: {RECIPES[name] or 'none'}" for name in args.recipes)
        + ".\n\n"
        "mDice (%) per image, mean ± std over seeds. val: best in-distribution validation "
        "mDice; test: in distribution; shift-val: a third of the smallest-lesion fifth, "
        "to choose on; shift: the other two thirds, never used to choose. Gains and p: "
        "paired by image (each image's Dice averaged over seeds), Wilcoxon signed-rank.\n\n"
    )
    body = markdown(table)
    if REFERENCE in args.methods:
        chosen = chosen_recipe(table, "shift-val")
        body = (
            f"Chosen on validation: **{chosen}** by MPDNet alone's shift-val mDice (the "
            f"in-distribution val split would choose {chosen_recipe(table, 'val')}).\n\n"
            + body
            + "\n## Targets (issue #24)\n\n"
            + "\n".join(targets(table, chosen))
            + "\n"
        )
    (args.out / f"{stem}.md").write_text(header + body)
    (args.out / f"{stem}.json").write_text(json.dumps(table, indent=2))
    print(body)


if __name__ == "__main__":
    sys.exit(main())
