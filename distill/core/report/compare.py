"""Finished runs side by side, in the layout papers use: one row per method and dataset, its
test metrics as mean ± std over the seeds that ran it, and its parameters and GMACs.

Runs are the same method when their resolved configs agree on everything but the seed, the
folder and where they ran; each teacher is a row of its own, counted once per seed.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distill.core.config import RunConfig
from distill.core.errors import DataError

TEST_FILE = "test_metrics.json"
METRICS = ("mIoU", "mDice", "mASSD")
PERCENT = ("mIoU", "mDice")  # shown x100, as papers print them
# (row key, header, decimals): the table of the paper, shared by every writer
PAPER_COLUMNS = [
    ("method", "Method"),
    ("mIoU", "mIoU (%)", 2),
    ("mDice", "mDice (%)", 2),
    ("mASSD", "mASSD (px)", 2),
    ("params_m", "Params (M)", 2),
    ("gmacs", "GMACs", 2),
    ("seeds", "seeds"),
]
BEST = {"mIoU": "max", "mDice": "max", "mASSD": "min"}
NOT_THE_METHOD = ("name", "out", "seed", "runtime")  # what seeds of one method may differ in


@dataclass
class FinishedRun:
    path: Path
    cfg: RunConfig
    test: dict[str, Any]  # test_metrics.json

    @property
    def num_classes(self) -> int:
        return len(self.test["class_names"]) + 1  # the names are the foreground's


def read_runs(folders: Iterable[Path]) -> tuple[list[FinishedRun], list[str]]:
    """The finished runs among ``folders``, and a note for each one skipped (unfinished):
    a glob like ``runs/*`` may catch a run still going."""
    from distill.core.engine.experiment import load_run_config

    runs, skipped = [], []
    for folder in map(Path, folders):
        cfg = load_run_config(folder)  # names a folder that is not a run
        path = folder / TEST_FILE
        if not path.is_file():
            skipped.append(f"{folder}: no {TEST_FILE} (not finished; `distill run --resume "
                           f"{folder}` completes it)")  # fmt: skip
            continue
        try:
            test = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise DataError(f"{path}: not JSON ({err})") from None
        runs.append(FinishedRun(folder, cfg, test))
    return runs, skipped


def method_label(cfg: RunConfig) -> str:
    return "+".join([cfg.student.name, *(d.name for d in cfg.distillers if d.name != "none")])


def seed_row(label: str, results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """mIoU, mDice (in %) and mASSD over seeds: the mean, and the sample std beside it when
    more than one seed ran (one seed has no spread to show)."""
    row: dict[str, Any] = {"method": label, "seeds": len(results)}
    for metric in METRICS:
        scale = 100.0 if metric in PERCENT else 1.0
        values = [r[metric] * scale for r in results]
        row[metric] = statistics.fmean(values)
        if len(values) > 1:
            row[f"{metric}_std"] = statistics.stdev(values)
    return row


def compare_rows(runs: Sequence[FinishedRun]) -> dict[str, list[dict[str, Any]]]:
    """Per dataset: its teachers' rows, then one row per method, in the order first given."""
    from distill.core.profile import model_cost

    methods: dict[str, dict[str, list[FinishedRun]]] = {}
    for run in runs:
        key = json.dumps(run.cfg.model_dump(mode="json", exclude=set(NOT_THE_METHOD)),
                         sort_keys=True)  # fmt: skip
        methods.setdefault(run.cfg.data.dataset.name, {}).setdefault(key, []).append(run)
    tables = {}
    for dataset, groups in methods.items():
        teachers: dict[str, dict[int, dict[str, Any]]] = {}
        rows = []
        labels = [method_label(group[0].cfg) for group in groups.values()]
        for label, group in zip(labels, groups.values(), strict=True):
            first = group[0]
            if labels.count(label) > 1:  # the same method with other settings: say which
                label = f"{label} ({first.path.name})"
            row = seed_row(label, [run.test["summary"] for run in group])
            size = tuple(first.cfg.data.size)
            student = first.cfg.student.model_dump(mode="json")
            row["params_m"], row["gmacs"] = model_cost("student", student, first.num_classes, size)
            rows.append(row)
            for run in group:
                for comp, result in zip(run.cfg.teachers, run.test.get("teachers", []),
                                        strict=False):  # fmt: skip
                    # one teacher: same config, recipe and data; trained once per seed
                    teacher = json.dumps([comp.model_dump(mode="json"), run.cfg.data.size,
                                          run.cfg.teacher_train.model_dump(mode="json"),
                                          run.cfg.data.dataset.model_dump(mode="json")])  # fmt: skip
                    teachers.setdefault(teacher, {})[run.cfg.seed] = result
        teacher_rows = []
        for teacher, per_seed in teachers.items():
            comp, size, _, _ = json.loads(teacher)
            row = seed_row(f"{comp['name']} (teacher)", list(per_seed.values()))
            classes = groups[next(iter(groups))][0].num_classes
            row["params_m"], row["gmacs"] = model_cost("teacher", comp, classes, tuple(size))
            teacher_rows.append(row)
        tables[dataset] = teacher_rows + rows
    return tables


def is_teacher(row: dict[str, Any]) -> bool:
    return row["method"].endswith("(teacher)")


def markdown_tables(tables: dict[str, list[dict[str, Any]]]) -> str:
    from distill.core.report.tables import markdown_table

    parts = [
        f"## {dataset}\n\n{markdown_table(rows, PAPER_COLUMNS)}" for dataset, rows in tables.items()
    ]
    return "\n".join(parts)


def latex_tables(tables: dict[str, list[dict[str, Any]]]) -> str:
    """One booktabs table per dataset: teachers ruled off, the best student in bold."""
    from distill.core.report.latex import latex_table

    parts = ["% distill compare; needs \\usepackage{booktabs}", ""]
    for dataset, rows in tables.items():
        parts.append(latex_table(
            rows, PAPER_COLUMNS, label=f"tab:{dataset}",
            caption=f"{dataset}, test split: mean ± std over seeds; mASSD in pixels; GMACs "
                    "at the training size, batch 1. Bold: the best student.",
            best=BEST, ranked=lambda row: not is_teacher(row), group=is_teacher,
        ))  # fmt: skip
    return "\n".join(parts)


def plot_dice_vs_gmacs(tables: dict[str, list[dict[str, Any]]], path: Path) -> None:
    """mDice against GMACs (log scale), one panel per dataset: the accuracy a method buys
    with its compute, the seeds' spread as error bars, teachers in grey."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(tables), figsize=(6 * len(tables), 4.5), squeeze=False)
    for ax, (dataset, rows) in zip(axes[0], tables.items(), strict=True):
        for row in rows:
            colour = "#999999" if is_teacher(row) else "#1f77b4"
            ax.errorbar(row["gmacs"], row["mDice"], yerr=row.get("mDice_std"), fmt="o",
                        color=colour, capsize=3)  # fmt: skip
            ax.annotate(row["method"], (row["gmacs"], row["mDice"]), fontsize=7,
                        xytext=(4, 3), textcoords="offset points")  # fmt: skip
        ax.set_xscale("log")
        ax.set(title=dataset, xlabel="GMACs (log scale)", ylabel="test mDice (%)")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
