from __future__ import annotations

import numpy as np
from PIL import Image

from distill.cli import run_app


def test_info_prepare_preview_on_synthetic(tmp_path, capsys):
    sets = ["--set", "train_count=4", "--set", "val_count=2", "--set", "test_count=2"]
    assert run_app(["data", "prepare", "synthetic-pap", "--size", "32", "32", *sets]) == 0
    assert run_app(["data", "info", "synthetic-pap", "--size", "32", "32", *sets]) == 0
    out = capsys.readouterr().out
    assert "nucleus" in out and "ready" in out
    png = tmp_path / "grid.png"
    assert (
        run_app(
            [
                "data",
                "preview",
                "synthetic-pap",
                "--size",
                "32",
                "32",
                "--count",
                "3",
                "--out",
                str(png),
                *sets,
            ]
        )
        == 0
    )
    assert Image.open(png).size == (64, 96)


def test_bad_flags_and_bad_root_are_clear_errors(tmp_path, capsys):
    assert run_app(["data", "info", "synthetic-derm", "--set", "nonsense=1"]) == 2
    assert run_app(["data", "info", "isic2017", "--data-root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "nonsense" in err and "not an ISIC 2017 root" in err


def test_skip_bad_flag_on_folder(tmp_path, capsys):
    for i in range(10):
        Image.fromarray(np.full((20, 20, 3), i, np.uint8)).save(tmp_path / f"x{i}.png")
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    for i in range(10):
        (tmp_path / f"x{i}.png").rename(tmp_path / "images" / f"x{i}.png")
        if i:
            Image.fromarray(np.zeros((20, 20), np.uint8)).save(tmp_path / "masks" / f"x{i}.png")
    args = [
        "data",
        "prepare",
        "folder",
        "--data-root",
        str(tmp_path),
        "--size",
        "32",
        "32",
        "--set",
        "num_classes=2",
    ]
    assert run_app(args) == 1
    assert run_app([*args, "--skip-bad"]) == 0
    assert "x0.png" in capsys.readouterr().err.replace("\n", "")
