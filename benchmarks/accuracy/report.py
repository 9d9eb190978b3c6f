"""The accuracy suite's report, read from the grid's run folders alone: the paper's table per
dataset, built and rendered by the code behind ``distill compare`` (Markdown, LaTeX, the
mDice-against-GMACs plot), and what only the suite asks of it: each variant's validation
score, the distillation gains over mpdnet, and the targets as PASS/FAIL."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from benchmarks.accuracy.gains import gain_section, gain_table
from benchmarks.accuracy.grid import UNET_REFERENCE, Budget, Method, paper_order, run_folder
from distill.core.engine.checkpoint import write_atomic
from distill.core.report.compare import (
    FinishedRun,
    latex_tables,
    markdown_tables,
    method_tables,
    plot_dice_vs_gmacs,
    read_runs,
)

REFERENCE = "mpdnet"  # what distillation is measured against: the student alone
REAL_DATASETS = ("isic2017", "isic2017-cc0")
CALIBRATION = (75, 92)  # a U-Net's mDice (%) on a synthetic set: neither trivial nor hopeless
Cell = tuple[str, int, Method]


def finished_run(folder: Path) -> FinishedRun | None:
    """The run in ``folder`` if it finished (its test scores written), else None."""
    from distill.core.errors import DistillError

    if not folder.is_dir():
        return None
    try:
        runs, _ = read_runs([folder])
    except DistillError:  # killed before its config was written
        return None
    return runs[0] if runs else None


def collect(cells: list[Cell], budget: Budget, work: Path) -> dict[str, dict[str, list]]:
    """dataset -> method label -> its finished runs, methods in the paper's order."""
    found: dict[str, dict[str, list[FinishedRun]]] = {}
    for dataset, seed, method in cells:
        run = finished_run(run_folder(dataset, seed, method, budget, work))
        if run is not None:
            found.setdefault(dataset, {}).setdefault(method.label, []).append(run)
    return {
        dataset: {label: groups[label] for label in paper_order(list(groups))}
        for dataset, groups in found.items()
    }


def best_val(run: FinishedRun) -> float:
    """The student's best validation mDice (the epoch its test scores come from)."""
    from distill.core.run import Run

    return Run.open(run.path).best_val() or 0.0


def add_val_scores(table: list[dict[str, Any]], groups: dict[str, list[FinishedRun]]) -> None:
    """Each method's validation mDice (mean over seeds): what a choice among variants may
    read, since the test score must not choose."""
    for row in table:
        if row["method"] in groups:
            runs = groups[row["method"]]
            row["val_mDice"] = 100.0 * statistics.fmean(map(best_val, runs))


def target_checks(table: list[dict[str, Any]], dataset: str) -> list[dict[str, Any]]:
    """mpdnet+dual >= mpdnet + 1 mDice point and >= the U-Net reference at <= 1/3 its MACs;
    on a synthetic set, whether the U-Net lands in the calibration window."""
    by = {r["method"]: r for r in table}
    dual, alone, unet = by.get("mpdnet+dual"), by.get(REFERENCE), by.get(UNET_REFERENCE)
    scope = "target" if dataset in REAL_DATASETS else "informational (not the real images)"
    checks = []

    def add(what: str, ok: bool, detail: str, kind: str = scope) -> None:
        checks.append(
            {"dataset": dataset, "scope": kind, "check": what, "pass": bool(ok), "detail": detail}
        )

    if dataset.startswith("synthetic") and unet:  # the set must leave room to gain
        low, high = CALIBRATION
        within = low <= unet["mDice"] <= high
        add(
            f"{UNET_REFERENCE} mDice within {low}-{high} (calibration)",
            within,
            f"{unet['mDice']:.2f}",
            "calibration",
        )
    if dual and alone:
        detail = f"{dual['mDice']:.2f} vs {alone['mDice']:.2f}"
        if "p_text" in dual:
            detail += f"; paired over {dual['paired_images']} test images, p = {dual['p_text']}"
        add(
            "mpdnet+dual >= mpdnet alone + 1 mDice point",
            dual["mDice"] >= alone["mDice"] + 1,
            detail,
        )
    tuned = [r for r in table if r["method"].split("@")[0] == "mpdnet+dual"]
    if alone and len(tuned) > 1:  # variants ran: pick one on validation, judge it on test
        most = max(r["seeds"] for r in tuned)
        pick = max((r for r in tuned if r["seeds"] == most), key=lambda r: r["val_mDice"])
        add(
            "validation-selected mpdnet+dual setting >= mpdnet alone + 1 mDice point",
            pick["mDice"] >= alone["mDice"] + 1,
            f"{pick['method']}, best val mDice {pick['val_mDice']:.2f} of {len(tuned)} "
            f"settings: test {pick['mDice']:.2f} vs {alone['mDice']:.2f}",
        )
    if dual and unet:
        add(
            f"mpdnet+dual mDice >= {UNET_REFERENCE}",
            dual["mDice"] >= unet["mDice"],
            f"{dual['mDice']:.2f} vs {unet['mDice']:.2f}",
        )
        add(
            f"mpdnet+dual GMACs <= 1/3 of {UNET_REFERENCE}",
            dual["gmacs"] <= unet["gmacs"] / 3,
            f"{dual['gmacs']:.2f} vs {unet['gmacs']:.2f}",
        )
    return checks


def variant_section(table: list[dict[str, Any]], variants: dict[str, list[str]]) -> list[str]:
    """Each varied method beside its variants: their overrides and validation scores."""
    from distill.core.report.tables import markdown_table

    bases = {label.split("@")[0] for label in variants}
    rows = [
        {**r, "overrides": " ".join(variants.get(r["method"], [])) or "(defaults)"}
        for r in table
        if r["method"].split("@")[0] in bases
    ]
    if not rows:
        return []
    columns = [
        ("method", "Method"),
        ("overrides", "Overrides"),
        ("val_mDice", "val mDice (%)", 2),
        ("mDice", "test mDice (%)", 2),
        ("seeds", "seeds"),
    ]
    note = "Variants: validation mDice is the mean over seeds of each run's best epoch."
    return [note, "", markdown_table(rows, columns), ""]


def check_line(c: dict[str, Any]) -> str:
    verdict = "PASS" if c["pass"] else "FAIL"
    return f"{verdict}: [{c['dataset']}, {c['scope']}] {c['check']} ({c['detail']})"


def budget_line(settings: dict[str, Any]) -> str:
    """What every run shared, in one paragraph."""
    b = settings["budget"]
    parts = [
        f"Budget: student {b['epochs']} epochs, teacher(s) {', '.join(b['teachers'])} "
        f"{b['teacher_epochs']} epochs (trained once per dataset and seed, reused by every "
        f"method), batch {b['batch']}"
    ]
    if b["steps_per_epoch"]:
        parts.append(f"{b['steps_per_epoch']} steps per epoch at most")
    if b["counts"]:
        parts.append(f"synthetic train/val/test = {'/'.join(map(str, b['counts']))} images")
    if b["overrides"]:
        parts.append(f"overrides {' '.join(b['overrides'])}")
    parts += [
        f"{m} in {n} micro-batches (gradients accumulated, same batch per update)"
        for m, n in settings["micro_batches"].items()
    ]
    sizes = ", ".join(f"{d} {s}x{s}" for d, s in settings["sizes"].items())
    return (
        "; ".join(parts) + f"; seeds 0..{settings['seeds'] - 1}; sizes {sizes}; device "
        f"{b['device']}, {settings['jobs']} run(s) at a time. Test split; mean ± std over "
        "seeds; mASSD in pixels; GMACs at the training size (FlopCounterMode / 2, batch 1); "
        f"ΔmDice and p: against {REFERENCE} alone (two-sided Wilcoxon signed-rank over the "
        "test images, each image's mDice averaged over seeds). "
        f"Methods: {', '.join(settings['methods'])}."
    )


def write_report(
    cells: list[Cell],
    budget: Budget,
    work: Path,
    settings: dict[str, Any],
    failed: list[dict[str, Any]],
    out: Path,
) -> dict[str, Any]:
    """accuracy.{json,md,tex,png} in ``out`` from the finished run folders of ``cells``;
    ``failed``: this invocation's failures (their folders hold no result)."""
    from benchmarks.environment import environment_line

    grouped = collect(cells, budget, work)
    ran = any(REFERENCE in groups for groups in grouped.values())
    reference = REFERENCE if ran else None
    tables = method_tables(grouped, reference)
    gains, checks = {}, []
    for dataset, table in tables.items():
        add_val_scores(table, grouped[dataset])
        gains[dataset] = gain_table(grouped[dataset], table, REFERENCE)
        checks += target_checks(table, dataset)
    done = sum(len(group) for groups in grouped.values() for group in groups.values())
    status = "complete" if done == len(cells) else f"partial: {done}/{len(cells)} runs"
    lines = [f"# Accuracy ({settings['mode']} mode, {status})", "", budget_line(settings), ""]
    for dataset, table in tables.items():
        lines += [markdown_tables({dataset: table}, reference), ""]
        lines += variant_section(table, settings["variants"])
        lines += gain_section(*gains[dataset], REFERENCE)
    if checks:
        lines += ["## Targets", "", *[f"- {check_line(c)}" for c in checks], ""]
    if failed:
        lines += ["## Failed runs (the next invocation redoes them)", ""]
        lines += [f"- {r['dataset']} seed {r['seed']} {r['method']}: {r['error']}" for r in failed]
        lines.append("")
    lines.append(environment_line(settings["env"]))
    runs = [
        {
            "dataset": dataset,
            "seed": run.cfg.seed,
            "method": label,
            "run_dir": str(run.path.relative_to(work)),
            **run.test["summary"],
        }
        for dataset, groups in grouped.items()
        for label, group in groups.items()
        for run in group
    ]
    summary = {
        "suite": "accuracy",
        "status": status,
        "settings": settings,
        "tables": tables,
        "gains": gains,
        "checks": checks,
        "check_lines": [check_line(c) for c in checks],
        "runs": runs,
        "failed": failed,
    }
    texts = {"json": json.dumps(summary, indent=2) + "\n", "md": "\n".join(lines) + "\n"}
    if tables:
        texts["tex"] = latex_tables(tables, reference)
    # replaced whole: a suite killed while writing its report leaves the previous one
    for suffix, text in texts.items():
        write_atomic(out / f"accuracy.{suffix}", lambda path, text=text: path.write_text(text))
    if tables:
        write_atomic(out / "accuracy.png", lambda path: plot_dice_vs_gmacs(tables, path))
    return summary
