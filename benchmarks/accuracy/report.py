"""The accuracy suite's output: mean ± std over seeds in the paper's layout (rows: methods;
columns: mIoU, mDice, mASSD, Params(M), GMACs), the targets as PASS/FAIL, mDice vs GMACs."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distill.core.profile import model_cost
from distill.core.report.compare import BEST, PAPER_COLUMNS, is_teacher, seed_row

if TYPE_CHECKING:
    from benchmarks.accuracy.grid import Method

REAL_DATASETS = ("isic2017", "isic2017-cc0")
CALIBRATION = (75, 92)  # a U-Net's mDice (%) on a synthetic set: neither trivial nor hopeless
COLUMNS = PAPER_COLUMNS


class Results:
    """Finished rows, appended to a JSON-lines file in the work folder (resumable), with the
    Markdown/JSON/PNG report rewritten after each one."""

    def __init__(self, work: Path, out: Path, settings: dict[str, Any], fresh: bool) -> None:
        self.path = work / "rows.jsonl"
        self.out, self.settings = out, settings
        if fresh and self.path.exists():
            self.path.unlink()
        self.rows = [json.loads(x) for x in self.path.read_text().splitlines()] if (
            self.path.exists()
        ) else []  # fmt: skip
        self.started = time.perf_counter()

    def done(self, dataset: str, seed: int, method: Method, budget: dict[str, Any]) -> bool:
        return any(
            r["dataset"] == dataset
            and r["seed"] == seed
            and r["method"] == method.label
            and r.get("method_overrides", []) == list(method.overrides)
            and r["budget"] == budget
            and "error" not in r
            for r in self.rows
        )

    def add(self, row: dict[str, Any]) -> None:
        self.rows = [
            r
            for r in self.rows
            if (r["dataset"], r["seed"], r["method"], json.dumps(r["budget"], sort_keys=True))
            != (
                row["dataset"],
                row["seed"],
                row["method"],
                json.dumps(row["budget"], sort_keys=True),
            )
        ] + [row]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("".join(json.dumps(r) + "\n" for r in self.rows))
        self.write()

    def write(self, final: bool = False) -> dict[str, Any]:
        return write_report(
            self.rows, self.settings, self.out, time.perf_counter() - self.started, final
        )


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


def aggregate(values: list[float], scale: float) -> tuple[float, float | None]:
    """Mean and sample std (None for one seed: no spread to show)."""
    mean = statistics.fmean(values) * scale
    return mean, (statistics.stdev(values) * scale if len(values) > 1 else None)


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


def paper_order(methods: list[str]) -> list[str]:
    """Baselines, mpdnet, the classic distillers, mpd, dual; a variant (BASE@NAME) right
    after its base."""

    def key(label: str) -> tuple:
        base = label.split("@")[0]
        anchor = methods.index(base) if base in methods else methods.index(label)
        return (base.startswith("mpdnet"), base == "mpdnet+mpd", base == "mpdnet+dual",
                anchor, "@" in label, methods.index(label))  # fmt: skip

    return sorted(methods, key=key)


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


def gain_table(rows: list[dict[str, Any]], dataset: str, methods: list[str],
               ) -> tuple[list[dict[str, Any]], float | None]:  # fmt: skip
    """What distillation bought, seed by seed: each distilled method minus mpdnet alone
    trained on the same split (paired differences spread less than the two means do), and
    how much of the room between mpdnet and its best teacher that gain is. Also returns the
    mean room in points (None without teachers)."""
    ok = [r for r in rows if r["dataset"] == dataset and "error" not in r]
    alone = {r["seed"]: r["mDice"] for r in ok if r["method"] == "mpdnet"}
    room = {
        r["seed"]: max(t["mDice"] for t in r["teachers"]) - alone[r["seed"]]
        for r in ok
        if r.get("teachers") and r["seed"] in alone
    }
    table = []
    ran = {r["method"] for r in ok}
    for label in [m for m in paper_order(methods) if m.startswith("mpdnet+") and m in ran]:
        seeds = {r["seed"]: r["mDice"] for r in ok if r["method"] == label}
        paired = sorted(set(seeds) & set(alone))
        if not paired:
            continue
        gain, gain_std = aggregate([seeds[s] - alone[s] for s in paired], 100.0)
        row = {"method": label, "gain": gain, "gain_std": gain_std, "seeds": len(paired)}
        row.update(paired_test(ok, label, paired))
        headroom = [room[s] for s in paired if s in room]
        if len(headroom) == len(paired):
            row["room"] = statistics.fmean(headroom) * 100.0
            if row["room"] > 0:
                row["closed"] = 100.0 * gain / row["room"]
        table.append({k: v for k, v in row.items() if v is not None})
    return table, (statistics.fmean(room.values()) * 100.0 if room else None)


def paired_test(rows: list[dict[str, Any]], label: str, seeds: list[int]) -> dict[str, Any]:
    """Wilcoxon signed-rank of ``label`` against mpdnet over the test images, each image's
    mDice averaged over the paired seeds; empty for rows from before per-image scores."""
    from distill.core.metrics.paired import format_p, per_image_scores, wilcoxon_paired

    def scores(method: str) -> dict[str, float] | None:
        runs = [r for r in rows if r["method"] == method and r["seed"] in seeds]
        if not all("per_image_mDice" in r for r in runs):
            return None
        return per_image_scores([[{"image_id": i, "mDice": v} for i, v in
                                  r["per_image_mDice"].items()] for r in runs], "mDice")  # fmt: skip

    method, alone = scores(label), scores("mpdnet")
    result = wilcoxon_paired(method, alone) if method and alone else None
    return {} if result is None else {"p": result.p, "p_text": format_p(result.p),
                                      "images": result.images}  # fmt: skip


def gain_section(table: list[dict[str, Any]], room: float | None) -> list[str]:
    from distill.core.report.tables import markdown_table

    if not table:
        return []
    columns = [("method", "Method"), ("gain", "mDice gain over mpdnet (points)", 2),
               ("room", "teacher - mpdnet (points)", 2), ("closed", "share of that room (%)", 0),
               ("seeds", "paired seeds")]  # fmt: skip
    if any("p_text" in row for row in table):
        columns += [("p_text", "p (Wilcoxon)"), ("images", "test images")]
    note = (
        "Distillation gain: per seed, the method's test mDice minus mpdnet's on the same split "
        "(mean ± std of those differences); the room is the best teacher's mDice minus "
        "mpdnet's, what a student that matched its teacher would gain."
    )
    if any("p_text" in row for row in table):
        note += (" p: two-sided Wilcoxon signed-rank test of the method against mpdnet over "
                 "the test images, each image's mDice averaged over the paired seeds.")  # fmt: skip
    if room is not None:
        note += f" Mean room {room:.2f} points" + (
            f": a 1-point gain is {100.0 / room:.0f}% of it." if room > 0 else "."
        )
    return [note, "", markdown_table(table, columns)]


def time_section(rows: list[dict[str, Any]], jobs: int) -> list[str]:
    """Run-seconds per method, split into phases: what to cut when a budget runs long."""
    from benchmarks.accuracy.runner import PHASES
    from distill.core.report.tables import markdown_table

    per: dict[str, dict[str, Any]] = {}
    for r in rows:
        if "phases" not in r:  # failed, or from before phases were recorded
            continue
        t = per.setdefault(r["method"], {"method": r["method"], "runs": 0, "seconds": 0.0})
        t["runs"] += 1
        t["seconds"] += r["seconds"]
        for phase in PHASES:
            t[phase] = t.get(phase, 0.0) + r["phases"][phase]
    if not per:
        return []
    table = sorted(per.values(), key=lambda t: -t["seconds"])
    for t in table:
        t["per_run"] = t["seconds"] / t["runs"]
        t["rest"] = t["seconds"] - sum(t[phase] for phase in PHASES)
    columns = [("method", "Method"), ("runs", "runs"), ("seconds", "run-s", 0),
               ("per_run", "s/run", 1), ("teacher_steps", "teacher steps", 0),
               ("teacher_val", "teacher val", 0), ("student_steps", "student steps", 0),
               ("student_val", "student val", 0), ("rest", "rest", 0)]  # fmt: skip
    shared = f"; {jobs} runs at a time shared the device: a run's seconds include waiting"
    shared = shared if jobs > 1 else ""
    note = (
        f"Run-seconds by method and phase, all datasets and seeds "
        f"({sum(t['seconds'] for t in table):.0f} s in all{shared}). The teacher columns "
        "belong to the run that trained the teachers; 'rest' is setup, loading, testing and "
        "writing."
    )
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
        lines += [f"## {dataset} ({size}x{size})", "", markdown_table(table, COLUMNS)]
        lines += variant_section(table, variants)
        lines += gain_section(*gains[dataset])
    if checks:
        lines += ["## Targets", "", *[f"- {check_line(c)}" for c in checks], ""]
    if errors:
        lines += ["## Failed runs", ""]
        lines += [f"- {r['dataset']} seed {r['seed']} {r['method']}: {r['error']}" for r in errors]
        lines.append("")
    lines += time_section(rows, settings["jobs"])
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
    (out / "accuracy.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out / "accuracy.md").write_text("\n".join(lines) + "\n")
    (out / "accuracy.tex").write_text(paper_tables(tables, settings, rendered_from))
    plot(tables, gains, out / "accuracy.png")
    return summary


def paper_tables(tables: dict[str, list[dict[str, Any]]], settings: dict[str, Any],
                 rendered_from: str | None = None) -> str:  # fmt: skip
    """accuracy.tex: each dataset's table for a manuscript, teachers, baselines and mpdnet's
    methods ruled apart, the best student per metric in bold."""
    from distill.core.report.latex import latex_table

    source = f"% measured by: {settings['env'].get('command', 'python -m benchmarks.accuracy')}"
    if rendered_from:
        source += f" (tables re-rendered from the rows of {rendered_from})"
    parts = [source, "% needs \\usepackage{booktabs}", ""]
    for dataset, table in tables.items():
        size = settings["sizes"][dataset]
        seeds = {row["seeds"] for row in table}
        columns = COLUMNS if len(seeds) > 1 else COLUMNS[:-1]  # one count: the caption says it
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
    return "\n".join(parts)


def plot(tables: dict[str, list[dict[str, Any]]],
         gains: dict[str, tuple[list[dict[str, Any]], float | None]], path: Path) -> None:  # fmt: skip
    """mDice vs GMACs (log), one panel per dataset; error bars are the std over seeds. Below
    it, where distilled methods ran, their paired gain over mpdnet against the +1 target and
    the teacher's room."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from benchmarks.size import place_labels

    panels = [(d, t) for d, t in tables.items() if t] or [("no finished runs", [])]
    with_gains = any(gains.get(d, ([], None))[0] for d, _ in panels)
    fig, axes = plt.subplots(1 + with_gains, len(panels), squeeze=False,
                             figsize=(8 * len(panels), 6 + 4 * with_gains),
                             height_ratios=[3, 2] if with_gains else None)  # fmt: skip
    for ax, (dataset, table) in zip(axes[0], panels, strict=True):
        for r in table:
            colour = ("#2a7fff" if r["method"].startswith("mpdnet")
                      else "#999999" if "(teacher)" in r["method"] else "#d62728")  # fmt: skip
            ax.errorbar(r["gmacs"], r["mDice"], yerr=r.get("mDice_std", 0.0), fmt="o",
                        color=colour, capsize=3)  # fmt: skip
        ax.set_xscale("log")
        ax.margins(x=0.2, y=0.1)  # room for the labels beside the outermost points
        ax.set_xlabel("GMACs (log)")
        ax.set_ylabel("test mDice (%)")
        ax.set_title(f"{dataset}: mpdnet variants blue, baselines red, teachers grey")
        ax.grid(True, which="both", alpha=0.3)
    if with_gains:
        for ax, (dataset, _) in zip(axes[1], panels, strict=True):
            plot_gains(ax, dataset, *gains.get(dataset, ([], None)))
    fig.tight_layout()
    fig.canvas.draw()
    for ax, (_, table) in zip(axes[0], panels, strict=True):
        points = [(r["method"], r["gmacs"], r["mDice"], r["method"] == "mpdnet+dual")
                  for r in table]  # fmt: skip
        place_labels(ax, fig, points)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_gains(ax: Any, dataset: str, table: list[dict[str, Any]], room: float | None) -> None:
    """One row per distilled method: mean paired gain ± std, with 0, +1 and the room marked."""
    if not table:
        ax.axis("off")
        return
    names = [r["method"] for r in reversed(table)]
    for y, r in enumerate(reversed(table)):
        colour = "#2a7fff" if r["gain"] >= 0 else "#d62728"
        ax.errorbar(r["gain"], y, xerr=r.get("gain_std", 0.0), fmt="o", color=colour, capsize=3)
    ax.axvline(0, color="#444444", linewidth=1)
    ax.axvline(1, color="#d62728", linestyle="--", linewidth=1, label="+1 point target")
    if room is not None:
        ax.axvline(room, color="#999999", linestyle=":", linewidth=1.5,
                   label=f"teacher room ({room:.2f})")  # fmt: skip
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("test mDice gain over mpdnet, paired by seed (points)")
    ax.set_title(f"{dataset}: what distillation bought")
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
