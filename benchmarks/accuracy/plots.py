"""The accuracy suite's plot: mDice against GMACs per dataset, and the distillation gains."""

from __future__ import annotations

from pathlib import Path
from typing import Any


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
