"""The accuracy suite's report: mean ± std over seeds in the paper's layout (rows: methods;
columns: mIoU, mDice, mASSD, Params(M), GMACs), the targets as PASS/FAIL, where the time
went, as Markdown, LaTeX and JSON beside the plot."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from benchmarks.accuracy.gains import gain_section, gain_table
from benchmarks.accuracy.grid import paper_order
from benchmarks.accuracy.plots import plot
from distill.core.engine.checkpoint import write_atomic
from distill.core.profile import model_cost
from distill.core.report.compare import BEST, PAPER_COLUMNS, is_teacher, seed_row

REAL_DATASETS = ("isic2017", "isic2017-cc0")
CALIBRATION = (75, 92)  # a U-Net's mDice (%) on a synthetic set: neither trivial nor hopeless


def in_scope(row: dict[str, Any], settings: dict[str, Any]) -> bool:
    """A row of this invocation's grid (a shared work folder also holds other grids')."""
    variants = settings.get("variants", {})
    return (
        row["budget"] == settings["budget"]
        and row["dataset"] in settings["datasets"]
        and row["method"] in settings["methods"]
        and row["seed"] < settings["seeds"]
        and row.get("method_overrides", []) == variants.get(row["method"], [])
    )


def table_rows(rows: list[dict[str, Any]], dataset: str, size: int, methods: list[str],
               teachers: list[str]) -> list[dict[str, Any]]:  # fmt: skip
    """Teachers, then methods in the paper's order (baselines, mpdnet, its distillers)."""
    ok = [r for r in rows if r["dataset"] == dataset and "error" not in r]
    out = []
    for index, name in enumerate(teachers):
        per_seed = {r["seed"]: t for r in ok for t in r.get("teachers", []) if t["name"] == name}
        if per_seed:
            row = summarise(list(per_seed.values()), f"{name} (teacher)")
            comp = next(r["teacher_configs"][index] for r in ok if r.get("teachers"))
            classes = ok[0]["num_classes"]
            row["params_m"], row["gmacs"] = model_cost("teacher", comp, classes, (size, size))
            out.append(row)
    for label in paper_order(methods):
        runs = [r for r in ok if r["method"] == label]
        if runs:
            row = summarise(runs, label)
            first = runs[0]
            row["params_m"], row["gmacs"] = model_cost(
                "student", first["student"], first["num_classes"], (size, size)
            )
            out.append(row)
    return out


def summarise(runs: list[dict[str, Any]], label: str) -> dict[str, Any]:
    row = seed_row(label, runs)
    if all("best_val" in r for r in runs):  # teachers' rows have no validation score
        row["val_mDice"] = statistics.fmean(r["best_val"] for r in runs) * 100.0
    return row


def target_checks(table: list[dict[str, Any]], dataset: str,
                  gains: list[dict[str, Any]] = ()) -> list[dict[str, Any]]:  # fmt: skip
    """mpdnet+dual >= mpdnet + 1 mDice point and >= the U-Net reference, at <= 1/3 its MACs.
    ``gains`` (the gain table) adds the paired test's p to the first check's detail."""
    from benchmarks.accuracy.grid import UNET_REFERENCE

    by = {r["method"]: r for r in table}
    dual, alone, unet = by.get("mpdnet+dual"), by.get("mpdnet"), by.get(UNET_REFERENCE)
    scope = "target" if dataset in REAL_DATASETS else "informational (not the real images)"
    checks = []

    def add(what: str, ok: bool, detail: str, kind: str = scope) -> None:
        checks.append({"dataset": dataset, "scope": kind, "check": what, "pass": bool(ok),
                       "detail": detail})  # fmt: skip

    if dataset.startswith("synthetic") and unet:  # the set must leave room to gain
        low, high = CALIBRATION
        add(f"{UNET_REFERENCE} mDice within {low}-{high} (calibration)",
            low <= unet["mDice"] <= high, f"{unet['mDice']:.2f}", "calibration")  # fmt: skip
    if dual and alone:
        paired = next((g for g in gains if g["method"] == "mpdnet+dual" and "p" in g), None)
        test = (f"; paired over {paired['images']} test images, Wilcoxon p = {paired['p_text']}"
                if paired else "")  # fmt: skip
        add("mpdnet+dual >= mpdnet alone + 1 mDice point", dual["mDice"] >= alone["mDice"] + 1,
            f"{dual['mDice']:.2f} vs {alone['mDice']:.2f}{test}")  # fmt: skip
    tuned = [r for r in table if r["method"].split("@")[0] == "mpdnet+dual" and "val_mDice" in r]
    if alone and len(tuned) > 1:  # variants ran: pick one on validation, judge it on test
        most = max(r["seeds"] for r in tuned)
        pick = max((r for r in tuned if r["seeds"] == most), key=lambda r: r["val_mDice"])
        add("validation-selected mpdnet+dual setting >= mpdnet alone + 1 mDice point",
            pick["mDice"] >= alone["mDice"] + 1,
            f"{pick['method']}, best val mDice {pick['val_mDice']:.2f} of {len(tuned)} "
            f"settings: test {pick['mDice']:.2f} vs {alone['mDice']:.2f}")  # fmt: skip
    if dual and unet:
        add(f"mpdnet+dual mDice >= {UNET_REFERENCE}", dual["mDice"] >= unet["mDice"],
            f"{dual['mDice']:.2f} vs {unet['mDice']:.2f}")  # fmt: skip
        add(f"mpdnet+dual GMACs <= 1/3 of {UNET_REFERENCE}", dual["gmacs"] <= unet["gmacs"] / 3,
            f"{dual['gmacs']:.2f} vs {unet['gmacs']:.2f}")  # fmt: skip
    return checks


def variant_section(table: list[dict[str, Any]], variants: dict[str, list[str]]) -> list[str]:
    """Each varied method beside its variants: the overrides, and the validation score a
    choice among them may use (the test score must not choose)."""
    from distill.core.report.tables import markdown_table

    bases = {label.split("@")[0] for label in variants}
    rows = [
        {**r, "overrides": " ".join(variants.get(r["method"], [])) or "(defaults)"}
        for r in table
        if r["method"].split("@")[0] in bases
    ]
    if not rows:
        return []
    columns = [("method", "Method"), ("overrides", "Overrides"), ("val_mDice", "val mDice (%)", 2),
               ("mDice", "test mDice (%)", 2), ("seeds", "seeds")]  # fmt: skip
    note = "Variants: validation mDice is the mean over seeds of each run's best epoch."
    return [note, "", markdown_table(rows, columns)]


def slot_use(rows: list[dict[str, Any]], jobs: int, since: str | None) -> float | None:
    """The share of ``jobs`` slots that the runs started since ``since`` (ISO time) kept
    busy from the first start to the last end: well under 1, the suite, not the runs, held
    the grid back. None for one slot or rows without start times."""
    from datetime import datetime

    if jobs < 2 or since is None:
        return None
    start = datetime.fromisoformat(since).timestamp() - 1
    timed = [r for r in rows if r.get("started", 0) >= start]
    if not timed:
        return None
    span = max(r["started"] + r["seconds"] for r in timed) - min(r["started"] for r in timed)
    return sum(r["seconds"] for r in timed) / (jobs * span) if span > 0 else None


def time_section(rows: list[dict[str, Any]], jobs: int, since: str | None) -> list[str]:
    """Run-seconds per method, split into phases: what to cut when a budget runs long."""
    from benchmarks.accuracy.runner import PHASES
    from distill.core.report.tables import markdown_table

    timed = (*PHASES, "setup")  # setup: rows from before it was timed lack it
    per: dict[str, dict[str, Any]] = {}
    for r in rows:
        if "phases" not in r:  # failed, or from before phases were recorded
            continue
        t = per.setdefault(r["method"], {"method": r["method"], "runs": 0, "seconds": 0.0})
        t["runs"] += 1
        t["seconds"] += r["seconds"]
        for phase in timed:
            t[phase] = t.get(phase, 0.0) + r["phases"].get(phase, 0.0)
        if "peak_gpu_gib" in r:  # what a run needs beside others: its largest
            t["peak_gpu_gib"] = max(t.get("peak_gpu_gib", 0.0), r["peak_gpu_gib"])
    if not per:
        return []
    table = sorted(per.values(), key=lambda t: -t["seconds"])
    for t in table:
        t["per_run"] = t["seconds"] / t["runs"]
        t["rest"] = t["seconds"] - sum(t[phase] for phase in timed)
    setup = any("setup" in r.get("phases", {}) for r in rows)
    columns = [("method", "Method"), ("runs", "runs"), ("seconds", "run-s", 0),
               ("per_run", "s/run", 1), *([("setup", "setup", 0)] if setup else []),
               ("teacher_steps", "teacher steps", 0), ("teacher_val", "teacher val", 0),
               ("student_steps", "student steps", 0), ("student_val", "student val", 0),
               ("rest", "rest", 0)]  # fmt: skip
    if any("peak_gpu_gib" in t for t in table):
        columns.append(("peak_gpu_gib", "peak GPU GiB", 1))
    shared = f"; {jobs} runs at a time shared the device: a run's seconds include waiting"
    shared = shared if jobs > 1 else ""
    note = (
        f"Run-seconds by method and phase, all datasets and seeds "
        f"({sum(t['seconds'] for t in table):.0f} s in all{shared}). The teacher columns "
        "belong to the run that trained the teachers; "
        + (
            "'setup' builds the models and loads the data, 'rest' is the remainder: "
            "loading and testing the teachers, testing, writing."
            if setup
            else "'rest' is setup, loading, testing and writing."
        )
    )
    if (use := slot_use(rows, jobs, since)) is not None:
        note += (f" The runs of this invocation kept the {jobs} slots {100 * use:.0f}% busy "
                 "from the first start to the last end.")  # fmt: skip
    return ["## Where the time went", "", note, "", markdown_table(table, columns), ""]


def time_left(rows: list[dict[str, Any]], settings: dict[str, Any]) -> str | None:
    """What a cut-off run left undone, priced by its finished runs (``cost``): the
    figure to size a budget by after one short GPU lease."""
    from benchmarks.accuracy.cost import Prices

    done = {(r["dataset"], r["seed"], r["method"]) for r in rows if "error" not in r}
    left = [(d, m) for d in settings["datasets"] for s in range(settings["seeds"])
            for m in settings["methods"] if (d, s, m) not in done]  # fmt: skip
    if not left:
        return None
    prices = Prices.from_rows(rows)
    priced = [found for cell in left if (found := prices.price(*cell))]
    jobs = settings["jobs"]
    line = f"Left undone: {len(left)} runs."
    if priced:
        seconds = sum(s for s, _ in priced)
        scaled = sum(not measured for _, measured in priced)
        line += (
            f" Priced by the finished runs of the same method ({len(priced)} runs"
            + (f", {scaled} of them scaled from another dataset" if scaled else "")
            + f"), they need about {seconds:.0f} run-s (~{seconds / jobs / 60:.1f} min at "
            f"{jobs} at a time)."
        )
    if len(priced) < len(left):
        line += f" {len(left) - len(priced)} have no finished run of their method to price them by."
    return line


def check_line(c: dict[str, Any]) -> str:
    verdict = "PASS" if c["pass"] else "FAIL"
    return f"{verdict}: [{c['dataset']}, {c['scope']}] {c['check']} ({c['detail']})"


def write_report(rows: list[dict[str, Any]], settings: dict[str, Any], out: Path,
                 seconds: float, final: bool, rendered_from: str | None = None,
                 ) -> dict[str, Any]:  # fmt: skip
    """``rendered_from``: the results file whose rows were re-rendered (no training)."""
    from benchmarks.environment import environment_line
    from distill.core.report.tables import markdown_table

    rows = [r for r in rows if in_scope(r, settings)]
    budget = settings["budget"]
    tables, gains, checks = {}, {}, []
    for dataset in settings["datasets"]:
        size = settings["sizes"][dataset]
        tables[dataset] = table_rows(rows, dataset, size, settings["methods"], budget["teachers"])
        gains[dataset] = gain_table(rows, dataset, settings["methods"])
        checks += target_checks(tables[dataset], dataset, gains[dataset][0])
    errors = [r for r in rows if "error" in r]
    expected = len(settings["datasets"]) * settings["seeds"] * len(settings["methods"])
    done = len(rows) - len(errors)
    status = "complete" if final and done == expected else f"partial: {done}/{expected} runs"
    lines = [
        f"# Accuracy ({settings['mode']} mode, {status})",
        "",
        f"Budget: student {budget['epochs']} epochs, teacher(s) {', '.join(budget['teachers'])} "
        f"{budget['teacher_epochs']} epochs (trained once per dataset and seed, reused by every "
        f"method), batch {budget['batch']}"
        + (
            f", {budget['steps_per_epoch']} steps per epoch at most"
            if budget["steps_per_epoch"]
            else ""
        )  # fmt: skip
        + (
            f", synthetic train/val/test = {'/'.join(map(str, budget['counts']))} images"
            if budget["counts"]
            else ""
        )  # fmt: skip
        + (f", overrides {' '.join(budget['overrides'])}" if budget["overrides"] else "")
        + "".join(
            f"; {m} in {n} micro-batches (gradients accumulated, same batch per update)"
            for m, n in settings.get("micro_batches", {}).items()
        )
        + f"; seeds 0..{settings['seeds'] - 1}; device {budget['device']}, {settings['jobs']} "
        f"run(s) at a time, {budget['threads'] or 'default'} CPU thread(s) each. Test split; "
        "mean ± std over seeds; mASSD in pixels; GMACs at the "
        f"training size (FlopCounterMode / 2, batch 1). Methods: {', '.join(settings['methods'])}.",
        "",
    ]
    variants = settings.get("variants", {})
    for dataset, table in tables.items():
        size = settings["sizes"][dataset]
        lines += [f"## {dataset} ({size}x{size})", "", markdown_table(table, PAPER_COLUMNS)]
        lines += variant_section(table, variants)
        lines += gain_section(*gains[dataset])
    if checks:
        lines += ["## Targets", "", *[f"- {check_line(c)}" for c in checks], ""]
    if errors:
        lines += ["## Failed runs", ""]
        lines += [f"- {r['dataset']} seed {r['seed']} {r['method']}: {r['error']}" for r in errors]
        lines.append("")
    lines += time_section(rows, settings["jobs"], settings["env"].get("date"))
    if (remaining := time_left(rows, settings)) is not None:
        lines += [remaining, ""]
    lines += [f"Wall time of this invocation: {seconds:.0f} s.", "",
              environment_line(settings["env"])]  # fmt: skip
    if rendered_from:
        lines += ["", f"Tables re-rendered from the rows of {rendered_from} (no training)."]
    summary = {
        "suite": "accuracy",
        "status": status,
        "settings": settings,
        "tables": tables,
        "checks": checks,
        "check_lines": [check_line(c) for c in checks],
        "runs": rows,
        "seconds": seconds,
    }
    out.mkdir(parents=True, exist_ok=True)
    texts = {"json": json.dumps(summary, indent=2) + "\n", "md": "\n".join(lines) + "\n",
             "tex": paper_tables(tables, settings, rendered_from)}  # fmt: skip
    # replaced whole: a suite killed while writing its last report leaves the previous one
    for suffix, text in texts.items():
        write_atomic(out / f"accuracy.{suffix}", lambda path, text=text: path.write_text(text))
    write_atomic(out / "accuracy.png", lambda path: plot(tables, gains, path))
    return summary


def paper_tables(tables: dict[str, list[dict[str, Any]]], settings: dict[str, Any],
                 rendered_from: str | None = None) -> str:  # fmt: skip
    """accuracy.tex: each dataset's table for a manuscript, teachers, baselines and mpdnet's
    methods ruled apart, the best student per metric in bold."""
    from distill.core.report.latex import latex_file, latex_table

    source = f"measured by: {settings['env'].get('command', 'python -m benchmarks.accuracy')}"
    if rendered_from:
        source += f" (tables re-rendered from the rows of {rendered_from})"
    parts = []
    for dataset, table in tables.items():
        size = settings["sizes"][dataset]
        seeds = {row["seeds"] for row in table}
        columns = (
            PAPER_COLUMNS if len(seeds) > 1 else PAPER_COLUMNS[:-1]
        )  # one count: the caption says it
        count = seeds.pop() if len(seeds) == 1 else None
        runs = ("mean ± std over the seeds shown" if count is None
                else "one seed" if count == 1 else f"mean ± std over {count} seeds")  # fmt: skip
        caption = (f"{dataset} ({size}x{size}), test split, {runs}; mASSD in pixels; GMACs "
                   "at the training size, batch 1. Bold: the best student.")  # fmt: skip
        parts.append(latex_table(
            table, columns, caption=caption, label=f"tab:accuracy-{dataset}",
            best=BEST,
            ranked=lambda row: not is_teacher(row),
            group=lambda row: 0 if is_teacher(row) else 1 + row["method"].startswith("mpdnet"),
        ))  # fmt: skip
    return latex_file(source, parts)
