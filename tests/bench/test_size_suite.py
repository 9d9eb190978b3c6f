"""`python -m benchmarks.size`: parameters and GMACs per model, published counts, targets."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_outputs import assert_environment, read_outputs

from benchmarks import size  # importable: pythonpath is the repo


def test_size_suite_counts_and_checks_targets(tmp_path: Path) -> None:
    result = size.main(
        ["--models", "mpdnet,unext,medt", "--sizes", "64,96", "--out", str(tmp_path)]
    )
    data, markdown = read_outputs(tmp_path, "size")
    rows = {r["name"]: r for r in data["rows"]}
    assert [r["name"] for r in data["rows"]] == ["mpdnet", "unext", "medt"]  # sorted by params
    assert 0.5e6 < rows["mpdnet"]["params"] < rows["medt"]["params"]
    assert 0 < rows["mpdnet"]["gmacs"]["64"] < rows["mpdnet"]["gmacs"]["96"]
    assert rows["unext"]["published_params_m"] == pytest.approx(1.47)
    assert "96" in rows["medt"]["errors"] and "n/a" in markdown  # medt needs multiples of 64
    checks = {c["check"]: c["pass"] for c in data["checks"]}
    assert checks["mpdnet params <= 5M"] and checks["mpdnet GMACs <= 3 at 64x64"]
    assert checks["mpdnet has fewer params than student medt"]
    assert "PASS: mpdnet has fewer params than student medt" in markdown
    assert result["checks"] == data["checks"]
    # a miss is reported, not hidden: the same rows with an mpdnet larger than MedT
    bigger = [
        {**r, "params": 9e6, "params_m": 9.0} if r["name"] == "mpdnet" else r for r in rows.values()
    ]
    missed = {c["check"]: c["pass"] for c in size.target_checks(bigger, 64)}
    assert missed["mpdnet has fewer params than student medt"] is False
    assert missed["mpdnet params <= 5M"] is False
    assert_environment(data["env"], markdown, "size")
    # the paper's version: teachers none here, students by parameters, MedT's 96 missing
    tex = (tmp_path / "size.tex").read_text().splitlines()
    body = [line for line in tex if line.startswith("student &")]
    assert [line.split(" & ")[1] for line in body] == ["mpdnet", "unext", "medt"]
    assert body[2].endswith(" & --" + r" \\") and r"\label{tab:size}" in tex  # medt
