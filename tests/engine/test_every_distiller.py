"""Every registered distiller runs end to end through `distill run` with a Swin teacher.

The teacher is a narrow Swin (same code, smaller widths) so the test stays fast; it is
trained once and reused by every parametrisation through the teacher store.
"""

from __future__ import annotations

import pytest
from tiny_run import TINY_DATA, cli, metric_rows

from distill.core.plugins import registry

SMALL_SWIN = [
    "--teacher",
    "swin",
    "--set",
    "teacher.embed_dim=24",
    "--set",
    "teacher.depths=[1,1,1,1]",
    "--set",
    "teacher.num_heads=[1,2,3,6]",
    "--set",
    "teacher.decoder_channels=16",
    "--teacher-epochs",
    "1",
    "--set",
    "teacher_train.steps_per_epoch=2",
]


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xdist_group("distillers"))
        for n in registry().names("distiller")
    ],
)
def test_distiller_runs_with_swin_teacher_and_mpdnet(name, tmp_path):
    args = [
        *TINY_DATA,
        "--student",
        "mpdnet",
        *SMALL_SWIN,
        "--distiller",
        name,
        "--epochs",
        "1",
        "--set",
        "train.steps_per_epoch=2",
        "--out",
        tmp_path,
        "--name",
        "r",
        "--quiet",
    ]
    assert cli("run", *args) == 0
    row = [r for r in metric_rows(tmp_path / "r") if r["stage"] == "student"][-1]
    terms = [k for k in row if k.startswith(f"loss/{name}/")]
    if name == "none":
        assert not terms
    else:
        assert terms, f"{name} logged no named terms: {sorted(row)}"
