"""Scatter plots of models: labels placed where they clash least, and the accuracy a method
buys with its compute (test mDice against GMACs), shared by ``distill compare`` and the
benchmark suites so that their figures read alike."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Row = dict[str, Any]


def place_labels(ax: Any, fig: Any, points: list[tuple[str, float, float, bool]]) -> None:
    """Label (text, x, y, bold) points at the nearest offset whose text overlaps the fewest
    earlier labels; a thin leader line shows which point a moved label belongs to. Call after
    the final layout (``fig.canvas.draw()``) so the boxes are where they will be drawn."""
    from matplotlib.text import Text

    renderer = fig.canvas.get_renderer()
    taken: list[Any] = []
    offsets = [(4, 3), (4, -11), (-4, 3), (-4, -11)]
    offsets += [(sx * d, sy * d) for d in (16, 28, 40, 52, 64) for sy in (1, -1) for sx in (1, -1)]
    for label, x, y, bold in sorted(points, key=lambda p: -p[2]):
        best = None
        for dx, dy in offsets:
            text = ax.annotate(
                label,
                (x, y),
                xytext=(dx, dy),
                textcoords="offset points",
                ha="left" if dx > 0 else "right",
                fontsize=8,
                fontweight="bold" if bold else "normal",
                arrowprops={"arrowstyle": "-", "color": "0.5", "lw": 0.5, "shrinkB": 3},
            )
            text.update_positions(renderer)
            box = Text.get_window_extent(text, renderer)  # the text alone, not its leader
            clashes = sum(box.overlaps(other) for other in taken)
            if best is None or clashes < best[0]:
                if best is not None:
                    best[1].remove()
                best = (clashes, text, box)
            else:
                text.remove()
            if clashes == 0:
                break
        taken.append(best[2])


def dice_vs_gmacs(
    ax: Any, rows: Sequence[Row], title: str, colour: Callable[[Row], str]
) -> list[tuple[str, float, float, bool]]:
    """One point per row, the seeds' spread as an error bar, GMACs on a log axis; returns the
    labels for ``place_labels`` (mpdnet+dual in bold), to be placed after the final layout."""
    for row in rows:
        ax.errorbar(
            row["gmacs"],
            row["mDice"],
            yerr=row.get("mDice_std", 0.0),
            fmt="o",
            color=colour(row),
            capsize=3,
        )
    ax.set_xscale("log")
    ax.margins(x=0.2, y=0.1)  # room for the labels beside the outermost points
    ax.set_xlabel("GMACs (log)")
    ax.set_ylabel("test mDice (%)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    return [(r["method"], r["gmacs"], r["mDice"], r["method"] == "mpdnet+dual") for r in rows]
