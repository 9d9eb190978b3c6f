"""LaTeX tables for papers: booktabs rules, ``mean ± std`` in math mode, each metric's best
value in bold and text escaped, so that a results table goes into a manuscript unedited.

The columns are those of :func:`distill.core.report.tables.markdown_table`, so one list of
columns serves both the Markdown a reader skims and the table a paper prints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

from distill.core.report.tables import ColumnSpec, column_specs, fixed, is_number

Better = Literal["max", "min"]
Row = Mapping[str, Any]

SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "±": r"$\pm$",
    "Δ": r"$\Delta$",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}


def escape(text: str) -> str:
    """Text as LaTeX prints it literally (method names carry '_', headers '%')."""
    return "".join(SPECIAL.get(char, char) for char in text)


def latex_table(
    rows: Sequence[Row],
    columns: Sequence[str | tuple[str, str] | tuple[str, str, int]],
    *,
    caption: str | None = None,
    label: str | None = None,
    best: Mapping[str, Better] | None = None,
    ranked: Callable[[Row], bool] | None = None,
    group: Callable[[Row], Any] | None = None,
) -> str:
    """A ``table`` environment (needs ``\\usepackage{booktabs}``).

    ``best``: column key -> "max" or "min"; the best value as printed is set in bold (ties
    all bold) among the rows ``ranked`` accepts (all by default: pass a test that leaves out
    teachers, say, to mark the best student). ``group``: a rule is drawn wherever its value
    changes from one row to the next (teachers, baselines, the proposed method).
    """
    specs = column_specs(columns)
    winners = _best_values(rows, specs, best or {}, ranked or (lambda row: True))
    align = "".join(
        "r" if i and not any(isinstance(row.get(key), str) for row in rows) else "l"
        for i, (key, _, _) in enumerate(specs)
    )
    lines = [r"\begin{table}[t]", r"\centering"]
    if caption:
        lines.append(rf"\caption{{{escape(caption)}}}")
    if label:
        lines.append(rf"\label{{{label}}}")
    lines += [rf"\begin{{tabular}}{{{align}}}", r"\toprule"]
    lines.append(" & ".join(escape(header) for _, header, _ in specs) + r" \\")
    lines.append(r"\midrule")
    previous = object()
    for index, row in enumerate(rows):
        if group is not None:
            current = group(row)
            if index and current != previous:
                lines.append(r"\midrule")
            previous = current
        cells = [_cell(row, key, decimals, winners.get(key)) for key, _, decimals in specs]
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def latex_file(source: str, tables: Iterable[str]) -> str:
    """A .tex file of tables to ``\\input``: what wrote them and the package they need first."""
    return f"% {source}\n% needs \\usepackage{{booktabs}}\n\n" + "\n".join(tables)


def _best_values(
    rows: Sequence[Row],
    specs: list[ColumnSpec],
    best: Mapping[str, Better],
    ranked: Callable[[Row], bool],
) -> dict[str, float]:
    """Per column, the best value rounded as printed: what is bold is what the reader sees
    to be best, so two cells that print alike are both bold."""
    decimals = {key: places for key, _, places in specs}
    unknown = sorted(set(best) - set(decimals))
    if unknown:
        raise ValueError(f"best: no column {', '.join(unknown)}; columns: {', '.join(decimals)}")
    winners = {}
    for key, direction in best.items():
        if direction not in ("max", "min"):
            raise ValueError(f"best[{key!r}] must be 'max' or 'min', not {direction!r}")
        values = [
            round(row[key], decimals[key])
            for row in rows
            if ranked(row) and is_number(row.get(key))
        ]
        if values:
            winners[key] = max(values) if direction == "max" else min(values)
    return winners


def _cell(row: Row, key: str, decimals: int, winner: float | None) -> str:
    value = row.get(key)
    if value is None:
        return "--"
    if not is_number(value):
        return escape(str(value))
    std = row.get(f"{key}_std")
    if isinstance(value, int) and std is None:
        return str(value)  # counts stay counts
    text = fixed(value, decimals)
    bold = winner is not None and round(value, decimals) == winner
    if std is None:
        return rf"\textbf{{{text}}}" if bold else text
    mean = rf"\mathbf{{{text}}}" if bold else text
    return rf"${mean} \pm {std:.{decimals}f}$"
