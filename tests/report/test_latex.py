"""Paper tables in LaTeX: parsed back by an independent LaTeX parser (pylatexenc), so the
escaping and math are checked by something other than the code that wrote them."""

from __future__ import annotations

import pytest
from pylatexenc.latex2text import LatexNodes2Text
from pylatexenc.latexwalker import LatexWalker

from distill.core.report.latex import escape, latex_table

COLUMNS = [
    ("method", "Method"),
    ("mDice", "mDice (%)", 2),
    ("mASSD", "mASSD (px)", 2),
    ("seeds", "seeds"),
]
ROWS = [
    {"method": "swin (teacher)", "mDice": 91.52, "mDice_std": 0.88, "mASSD": 5.38, "seeds": 3},
    {"method": "unet_32 & co", "mDice": 87.481, "mDice_std": 1.21, "mASSD": 9.30, "seeds": 3},
    {"method": "mpdnet", "mDice": 90.764, "mDice_std": 0.32, "mASSD": 5.62, "seeds": 3},
    {"method": "mpdnet+dual", "mDice": 90.757, "mASSD": None, "seeds": 1},
]


def render(**options) -> str:
    return latex_table(
        ROWS, COLUMNS, caption="ISIC: 3 seeds, 100% test", label="tab:isic", **options
    )


def as_text(latex: str) -> str:
    """What a reader sees, per pylatexenc; raises on unbalanced braces or environments."""
    nodes, _, _ = LatexWalker(latex, tolerant_parsing=False).get_latex_nodes()
    return LatexNodes2Text().nodelist_to_text(nodes)


def test_the_table_parses_and_reads_as_the_rows_say() -> None:
    latex = render()
    text = as_text(latex)
    assert "unet_32 & co" in text and "mDice (%)" in text and "ISIC: 3 seeds, 100% test" in text
    assert "91.52 ± 0.88" in text and "90.76 ± 0.32" in text
    lines = latex.splitlines()
    assert lines[:5] == [
        r"\begin{table}[t]",
        r"\centering",
        r"\caption{ISIC: 3 seeds, 100\% test}",
        r"\label{tab:isic}",
        r"\begin{tabular}{lrrr}",
    ]
    assert lines[5:8] == [r"\toprule", r"Method & mDice (\%) & mASSD (px) & seeds \\", r"\midrule"]
    assert lines[-3:] == [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    assert r"unet\_32 \& co & $87.48 \pm 1.21$ & 9.30 & 3 \\" in lines
    assert r"mpdnet+dual & 90.76 & -- & 1 \\" in lines  # no std for one seed; missing: --
    assert r"\textbf" not in latex and r"\mathbf" not in latex  # nothing marked unless asked


def test_the_best_student_is_bold_as_printed_and_groups_are_ruled() -> None:
    """The teacher is better but not ranked; mpdnet and mpdnet+dual print alike (90.76), so
    both are bold; mASSD is best low."""
    students = render(
        best={"mDice": "max", "mASSD": "min"},
        ranked=lambda row: "teacher" not in row["method"],
        group=lambda row: ("teacher" in row["method"], row["method"].startswith("mpdnet")),
    )
    lines = students.splitlines()
    assert r"swin (teacher) & $91.52 \pm 0.88$ & 5.38 & 3 \\" in lines
    assert r"mpdnet & $\mathbf{90.76} \pm 0.32$ & \textbf{5.62} & 3 \\" in lines
    assert r"mpdnet+dual & \textbf{90.76} & -- & 1 \\" in lines
    body = lines[lines.index(r"\midrule") + 1 : lines.index(r"\bottomrule")]
    assert [line == r"\midrule" for line in body] == [False, True, False, True, False, False]
    as_text(students)  # still well formed
    everyone = render(best={"mDice": "max"}).splitlines()
    assert r"swin (teacher) & $\mathbf{91.52} \pm 0.88$ & 5.38 & 3 \\" in everyone


def test_bad_best_columns_are_named() -> None:
    with pytest.raises(ValueError, match="best: no column mIoU; columns: method, mDice"):
        render(best={"mIoU": "max"})
    with pytest.raises(ValueError, match="must be 'max' or 'min', not 'up'"):
        render(best={"mDice": "up"})


@pytest.mark.parametrize("text", ["a_b", "50% & $5", "#1 {x} ~y^2", r"back\slash", "± 1"])
def test_escaped_text_reads_back_unchanged(text: str) -> None:
    # pylatexenc prints \textasciicircum as the modifier letter; LaTeX prints a caret
    assert as_text(escape(text)).replace("\N{MODIFIER LETTER CIRCUMFLEX ACCENT}", "^") == text


def test_a_negative_that_rounds_to_zero_prints_as_zero() -> None:
    """A published count 0.04% above ours is a difference of 0.0, not -0.0."""
    latex = latex_table(
        [{"name": "unet", "diff": -0.04}, {"name": "x", "diff": -0.06}],
        ["name", ("diff", "diff (%)", 1)],
    )
    assert r"unet & 0.0 \\" in latex and r"x & -0.1 \\" in latex
