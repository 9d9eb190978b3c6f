"""The suite's rows: mDice in distribution (test), on ``shift-val`` and on ``shift`` per
recipe and method, paired tests against MPDNet alone with the same recipe and against the
same method with the default recipe, and the recipe validation picks."""

from __future__ import annotations

import statistics
from typing import Any

from benchmarks.robustness.grid import BASE, REFERENCE
from distill.core.metrics.paired import format_p, image_scores, seed_mean, wilcoxon_paired

SCORED = ("test", "shift-val", "shift")
# recipe -> method -> one dict per seed: split -> {"summary", "per_image"}, and "val"
Results = dict[str, dict[str, list[dict[str, Any]]]]


def images(runs: list[dict[str, Any]], split: str) -> dict[str, float]:
    return seed_mean(image_scores(r[split]["per_image"]) for r in runs)


def paired(runs: list[dict[str, Any]], reference: list[dict[str, Any]], split: str) -> dict:
    result = wilcoxon_paired(images(runs, split), images(reference, split))
    return {} if result is None else {"gain": 100 * result.delta, "p": result.p}


def rows(results: Results) -> list[dict[str, Any]]:
    out = []
    for recipe, methods in results.items():
        for method, runs in methods.items():
            row: dict[str, Any] = {"recipe": recipe, "method": method, "seeds": len(runs)}
            row["val"] = statistics.fmean(100 * r["val"] for r in runs)
            for split in SCORED:
                dice = [100 * r[split]["summary"]["mDice"] for r in runs]
                row[split] = statistics.fmean(dice)
                row[f"{split}_std"] = statistics.stdev(dice) if len(dice) > 1 else 0.0
                row[f"{split}_images"] = len(runs[0][split]["per_image"])
                if method != REFERENCE and REFERENCE in methods:
                    row[f"{split}_vs_alone"] = paired(runs, methods[REFERENCE], split)
                if recipe != BASE and method in results.get(BASE, {}):
                    row[f"{split}_vs_base"] = paired(runs, results[BASE][method], split)
            out.append(row)
    return out


def chosen_recipe(table: list[dict[str, Any]], split: str) -> str:
    """The recipe whose MPDNet alone scores best on ``split`` (ties: the default)."""
    alone = [r for r in table if r["method"] == REFERENCE]
    return max(alone, key=lambda r: (r[split], r["recipe"] == BASE))["recipe"]


def cell(row: dict[str, Any], key: str) -> str:
    test = row.get(key)
    if not test:
        return ""
    return f"{test['gain']:+.2f} (p {format_p(test['p'])})"


def markdown(table: list[dict[str, Any]]) -> str:
    lines = [
        "| recipe | method | val | test | shift-val | shift | shift vs alone | "
        "test vs alone | shift vs base | test vs base |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table:
        scores = " | ".join(f"{r[s]:.2f} ± {r[f'{s}_std']:.2f}" for s in SCORED)
        lines.append(
            f"| {r['recipe']} | {r['method']} | {r['val']:.2f} | {scores} | "
            f"{cell(r, 'shift_vs_alone')} | {cell(r, 'test_vs_alone')} | "
            f"{cell(r, 'shift_vs_base')} | {cell(r, 'test_vs_base')} |"
        )
    return "\n".join(lines) + "\n"


def targets(table: list[dict[str, Any]], chosen: str) -> list[str]:
    """Issue #24's targets: MPDNet alone with a new recipe at least 5 points above the
    base one on shift and at most 0.5 below on test; with the recipe ``shift-val``
    chose, every distillation not below MPDNet alone on shift."""
    lines = []
    for r in table:
        if r["method"] == REFERENCE and r.get("shift_vs_base"):
            met = r["shift_vs_base"]["gain"] >= 5 and r["test_vs_base"]["gain"] >= -0.5
            lines.append(
                f"- MPDNet alone with `{r['recipe']}` against `base`: "
                f"shift {cell(r, 'shift_vs_base')}, test {cell(r, 'test_vs_base')}: "
                f"{'met' if met else '**missed**'} (+5 on shift, at most -0.5 on test)"
            )
    lines.append(f"- shift-val chose `{chosen}`; distillation with it, against MPDNet alone:")
    for r in table:
        if r["recipe"] == chosen and r.get("shift_vs_alone"):
            gain, p = r["shift_vs_alone"]["gain"], r["shift_vs_alone"]["p"]
            verdict = (
                "met" if gain >= 0 else "**missed**" + (" (not significant)" if p >= 0.05 else "")
            )
            lines.append(f"  - {r['method']} on shift: {cell(r, 'shift_vs_alone')}: {verdict}")
    return lines
