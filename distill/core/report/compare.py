"""Finished runs side by side, in the layout papers use: one row per method and dataset, its
test metrics as mean ± std over the seeds that ran it, and its parameters and GMACs.

Runs are the same method when their resolved configs agree on everything but the seed, the
folder and where they ran; each teacher is a row of its own, counted once per seed. Scores a
run recorded on another split (``distill eval --record --split shift``) become a column
beside the test mDice: out of distribution next to in distribution.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distill.core.config import RunConfig
from distill.core.errors import ConfigError
from distill.core.run import Run

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
    test: dict[str, Any]  # the test payload: summary, per_class, per_image, teachers
    cost: dict[str, Any]  # as recorded at training time
    held_out: dict[str, dict[str, Any]] = field(default_factory=dict)  # split -> scores

    @property
    def num_classes(self) -> int:
        return len(self.test["class_names"]) + 1  # the names are the foreground's

    def params_and_gmacs(self, model: str, kind: str, comp: dict[str, Any]) -> tuple[float, float]:
        """(parameters in M, GMACs) as recorded when the run built the model; folders from
        before costs were recorded have them counted on a rebuilt model."""
        recorded = self.cost.get(model)
        if recorded:
            return recorded["params"] / 1e6, recorded["gmacs"]
        from distill.core.profile import model_cost

        return model_cost(kind, comp, self.num_classes, tuple(self.cfg.data.size))


def read_runs(folders: Iterable[Path]) -> tuple[list[FinishedRun], list[str]]:
    """The finished runs among ``folders``, and a note for each one skipped (unfinished):
    a glob like ``runs/*`` may catch a run still going."""
    runs, skipped = [], []
    for folder in map(Path, folders):
        run = Run.open(folder)  # names a folder that is not a run
        test = run.test
        if test is None:
            skipped.append(
                f"{folder}: no {Run.TEST} ({run.status}; `distill run --resume "
                f"{folder}` completes it)"
            )
            continue
        runs.append(FinishedRun(folder, run.config, test, run.cost, run.held_out()))
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


def group_methods(runs: Sequence[FinishedRun]) -> dict[str, dict[str, list[FinishedRun]]]:
    """dataset -> method label -> its runs (one per seed), in the order first given. The
    same method with other settings is told apart by the settings that differ."""
    found: dict[str, dict[str, list[FinishedRun]]] = {}
    for run in runs:
        key = json.dumps(
            run.cfg.model_dump(mode="json", exclude=set(NOT_THE_METHOD)), sort_keys=True
        )
        found.setdefault(run.cfg.data.dataset.name, {}).setdefault(key, []).append(run)
    grouped = {}
    for dataset, groups in found.items():
        labels = [method_label(group[0].cfg) for group in groups.values()]
        settings = [flatten(json.loads(key)) for key in groups]
        named = {}
        for label, setting, group in zip(labels, settings, groups.values(), strict=True):
            same = [other for other, name in zip(settings, labels, strict=True) if name == label]
            named[
                f"{label} ({differences(setting, same, group[0].path.name)})"
                if len(same) > 1
                else label
            ] = group
        grouped[dataset] = named
    return grouped


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """{"student": {"base_width": 32}} -> {"student.base_width": 32}; lists stay values."""
    if not isinstance(tree, dict):
        return {prefix: tree}
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        flat.update(flatten(value, f"{prefix}.{key}" if prefix else key))
    return flat


def differences(
    setting: dict[str, Any], alike: list[dict[str, Any]], fallback: str, most: int = 3
) -> str:
    """What sets this method apart from the others of its label, as PATH=VALUE (at most
    ``most``; beyond that ``fallback``, its first run's folder name, says more)."""
    paths = [path for path in setting if any(other.get(path) != setting[path] for other in alike)]
    if not paths or len(paths) > most:
        return fallback
    return ", ".join(f"{path}={json.dumps(setting[path])}" for path in paths)


def compare_rows(
    runs: Sequence[FinishedRun],
    reference: str | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Per dataset: its teachers' rows, then one row per method, in the order first given.
    With a ``reference`` method, each other method's row also holds its mDice gain over it
    (points) and the paired Wilcoxon p-value over the test images."""
    return method_tables(group_methods(runs), reference)


def method_tables(
    grouped: dict[str, dict[str, list[FinishedRun]]], reference: str | None = None
) -> dict[str, list[dict[str, Any]]]:
    """``compare_rows`` for runs already grouped (dataset -> label -> runs, in table order):
    a caller with its own names for methods (the accuracy suite's grid) gets the same rows."""
    tables = {}
    if reference is not None and not any(reference in groups for groups in grouped.values()):
        known = sorted({label for groups in grouped.values() for label in groups})
        raise ConfigError(f"--reference {reference}: no such method; methods: {', '.join(known)}")
    for dataset, groups in grouped.items():
        rows = []
        for label, group in groups.items():
            first = group[0]
            row = seed_row(label, [run.test["summary"] for run in group])
            add_held_out(row, group)
            student = first.cfg.student.model_dump(mode="json")
            row["params_m"], row["gmacs"] = first.params_and_gmacs("student", "student", student)
            rows.append(row)
        if reference in groups:
            add_paired_tests(rows, groups, reference)
        tables[dataset] = teacher_rows(groups) + rows
    return tables


def add_held_out(row: dict[str, Any], group: Sequence[FinishedRun]) -> None:
    """``SPLIT_mDice`` (%, mean ± std over seeds) for each split every seed recorded."""
    shared = sorted(set.intersection(*(set(run.held_out) for run in group)))
    if shared:
        row["held_out"] = shared
    for split in shared:
        values = [100.0 * run.held_out[split]["summary"]["mDice"] for run in group]
        row[f"{split}_mDice"] = statistics.fmean(values)
        if len(values) > 1:
            row[f"{split}_mDice_std"] = statistics.stdev(values)


def held_out_splits(tables: dict[str, list[dict[str, Any]]]) -> list[str]:
    return sorted(
        {split for rows in tables.values() for r in rows for split in r.get("held_out", [])}
    )


def teacher_rows(groups: dict[str, list[FinishedRun]]) -> list[dict[str, Any]]:
    """A row per teacher: the same config, recipe and data, its test scores once per seed."""
    teachers: dict[str, dict[int, dict[str, Any]]] = {}
    counted: dict[str, tuple[float, float]] = {}
    for run in (run for group in groups.values() for run in group):
        tested = run.test.get("teachers", [])
        for i, (comp, result) in enumerate(zip(run.cfg.teachers, tested, strict=False)):
            teacher = json.dumps(
                [
                    comp.model_dump(mode="json"),
                    run.cfg.data.size,
                    run.cfg.teacher_train.model_dump(mode="json"),
                    run.cfg.data.dataset.model_dump(mode="json"),
                ]
            )
            teachers.setdefault(teacher, {})[run.cfg.seed] = result
            if teacher not in counted:
                comp_json = comp.model_dump(mode="json")
                counted[teacher] = run.params_and_gmacs(f"teacher{i}", "teacher", comp_json)
    rows = []
    for teacher, per_seed in teachers.items():
        comp = json.loads(teacher)[0]
        row = seed_row(f"{comp['name']} (teacher)", list(per_seed.values()))
        row["params_m"], row["gmacs"] = counted[teacher]
        rows.append(row)
    return rows


def add_paired_tests(
    rows: list[dict[str, Any]], groups: dict[str, list[FinishedRun]], reference: str
) -> None:
    from distill.core.metrics.paired import format_p, image_scores, seed_mean, wilcoxon_paired

    def scores(label: str) -> dict[str, float]:
        return seed_mean(image_scores(run.test["per_image"]) for run in groups[label])

    base = scores(reference)
    for row in rows:
        if row["method"] == reference:
            continue
        result = wilcoxon_paired(scores(row["method"]), base)
        if result is not None:
            row.update(
                delta_mDice=100 * result.delta,
                p_mDice=result.p,
                p_text=format_p(result.p),
                paired_images=result.images,
            )


def columns_for(
    reference: str | None, tables: dict[str, list[dict[str, Any]]] | None = None
) -> list[tuple]:
    """The paper's columns, each recorded split's mDice right after the test mDice, and
    with a reference the gain over it and its p-value."""
    columns = list(PAPER_COLUMNS)
    at = [c[0] for c in columns].index("mDice") + 1
    columns[at:at] = [(f"{s}_mDice", f"{s} mDice (%)", 2) for s in held_out_splits(tables or {})]
    if reference is None:
        return columns
    return [
        *columns,
        ("delta_mDice", f"ΔmDice vs {reference}", 2),
        ("p_text", "p (Wilcoxon)"),
    ]


def is_teacher(row: dict[str, Any]) -> bool:
    return row["method"].endswith("(teacher)")


def markdown_tables(tables: dict[str, list[dict[str, Any]]], reference: str | None = None) -> str:
    from distill.core.report.tables import markdown_table

    columns = columns_for(reference, tables)
    parts = [f"## {dataset}\n\n{markdown_table(rows, columns)}" for dataset, rows in tables.items()]
    return "\n".join(parts)


def latex_tables(tables: dict[str, list[dict[str, Any]]], reference: str | None = None) -> str:
    """One booktabs table per dataset: teachers ruled off, the best student in bold."""
    from distill.core.report.latex import latex_file, latex_table

    caption = (
        "test split: mean ± std over seeds; mASSD in pixels; GMACs at the training "
        "size, batch 1. Bold: the best student."
    )
    if reference:
        caption += (
            f" ΔmDice: points over {reference}; p: two-sided Wilcoxon signed-rank "
            "test over the test images' mDice, each averaged over seeds."
        )
    return latex_file(
        "distill compare",
        (
            latex_table(
                rows,
                columns_for(reference, tables),
                label=f"tab:{dataset}",
                caption=f"{dataset}, {caption}",
                best=BEST,
                ranked=lambda row: not is_teacher(row),
                group=is_teacher,
            )
            for dataset, rows in tables.items()
        ),
    )


def plot_dice_vs_gmacs(tables: dict[str, list[dict[str, Any]]], path: Path) -> None:
    """mDice against GMACs (log scale), one panel per dataset: the accuracy a method buys
    with its compute, the seeds' spread as error bars, teachers in grey."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from distill.core.report.scatter import dice_vs_gmacs, place_labels

    def colour(row: dict[str, Any]) -> str:
        return "#999999" if is_teacher(row) else "#2a7fff"

    fig, axes = plt.subplots(1, len(tables), figsize=(7 * len(tables), 5), squeeze=False)
    labels = [
        dice_vs_gmacs(ax, rows, f"{dataset}: teachers grey", colour)
        for ax, (dataset, rows) in zip(axes[0], tables.items(), strict=True)
    ]
    fig.tight_layout()
    fig.canvas.draw()  # final layout, so label boxes are where they will be drawn
    for ax, points in zip(axes[0], labels, strict=True):
        place_labels(ax, fig, points)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
