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

    from distill.core.report.compare import is_teacher
    from distill.core.report.scatter import dice_vs_gmacs, place_labels

    def colour(row: dict[str, Any]) -> str:
        return ("#2a7fff" if row["method"].startswith("mpdnet")
                else "#999999" if is_teacher(row) else "#d62728")  # fmt: skip

    panels = [(d, t) for d, t in tables.items() if t] or [("no finished runs", [])]
    with_gains = any(gains.get(d, ([], None))[0] for d, _ in panels)
    fig, axes = plt.subplots(1 + with_gains, len(panels), squeeze=False,
                             figsize=(8 * len(panels), 6 + 4 * with_gains),
                             height_ratios=[3, 2] if with_gains else None)  # fmt: skip
    labels = [dice_vs_gmacs(ax, table, f"{dataset}: mpdnet variants blue, baselines red, "
                            "teachers grey", colour)
              for ax, (dataset, table) in zip(axes[0], panels, strict=True)]  # fmt: skip
    if with_gains:
        for ax, (dataset, _) in zip(axes[1], panels, strict=True):
            plot_gains(ax, dataset, *gains.get(dataset, ([], None)))
    fig.tight_layout()
    fig.canvas.draw()  # final layout, so label boxes are where they will be drawn
    for ax, points in zip(axes[0], labels, strict=True):
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
