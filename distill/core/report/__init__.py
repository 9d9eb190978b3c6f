"""Run reports: training curves, prediction overlays, metric tables (terminal, Markdown,
LaTeX) and ``report.md``."""

from distill.core.report.curves import curve_keys, plot_curves
from distill.core.report.latex import latex_table
from distill.core.report.overlays import overlay_grid, overlay_image
from distill.core.report.report import write_report
from distill.core.report.tables import markdown_table, metrics_table

__all__ = [
    "curve_keys",
    "latex_table",
    "markdown_table",
    "metrics_table",
    "overlay_grid",
    "overlay_image",
    "plot_curves",
    "write_report",
]
