"""The suite's tables and plot: mDice per fraction and method, paired tests against MPDNet
alone at the same fraction, and mDice against the labelled fraction."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from benchmarks.label_efficiency.grid import REFERENCE
from distill.core.metrics.paired import format_p, image_scores, seed_mean, wilcoxon_paired
from distill.core.run import Run

Results = dict[float, dict[str, list[Run]]]  # fraction -> method -> finished runs


def rows(results: Results) -> list[dict[str, Any]]:
    out = []
    for fraction, methods in sorted(results.items()):
        reference = methods.get(REFERENCE, [])
        ref_images = seed_mean(image_scores(r.per_image) for r in reference)
        for method, runs in methods.items():
            dice = [100 * r.test["summary"]["mDice"] for r in runs]
            row = {
                "fraction": fraction,
                "method": method,
                "seeds": len(runs),
                "mDice": statistics.fmean(dice),
                "std": statistics.stdev(dice) if len(dice) > 1 else 0.0,
                "labelled": runs[0].data["train_images"],
                "unlabelled_used": runs[0].config.train.unlabeled_ratio > 0
                and runs[0].data.get("unlabelled_images", 0),
            }
            if method != REFERENCE and reference:
                paired = wilcoxon_paired(
                    seed_mean(image_scores(r.per_image) for r in runs), ref_images
                )
                if paired is not None:
                    row.update(gain=100 * paired.delta, p=paired.p, images=paired.images)
            out.append(row)
    return out


def markdown(table: list[dict[str, Any]]) -> str:
    lines = [
        "| labelled | method | images with masks | unlabelled used | mDice (%) | gain vs alone | p (Wilcoxon) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in table:
        gain = f"{r['gain']:+.2f}" if "gain" in r else ""
        p = format_p(r["p"]) if "p" in r else ""
        lines.append(
            f"| {r['fraction']:.0%} | {r['method']} | {r['labelled']} | "
            f"{r['unlabelled_used'] or 0} | {r['mDice']:.2f} ± {r['std']:.2f} "
            f"({r['seeds']} seeds) | {gain} | {p} |"
        )
    return "\n".join(lines) + "\n"


def plot(table: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for method in dict.fromkeys(r["method"] for r in table):
        mine = [r for r in table if r["method"] == method]
        ax.errorbar(
            [100 * r["fraction"] for r in mine],
            [r["mDice"] for r in mine],
            yerr=[r["std"] for r in mine],
            marker="o",
            capsize=3,
            label=method,
        )
    ax.set_xscale("log")
    ax.set_xlabel("labelled share of the training split (%)")
    ax.set_ylabel("test mDice (%)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
