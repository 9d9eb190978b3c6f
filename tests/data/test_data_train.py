"""Single- and multi-channel data train models of that many channels, a few steps each."""

from __future__ import annotations

import json

import pytest
import torch
from format_writers import write_nnunet
from test_data_datalist_convert import decathlon

from distill.cli.app import run_app
from distill.core.plugins import registry
from tests.tiny_args import tiny_run_args

TINY = [*tiny_run_args(batch=2, sets=("train.steps_per_epoch=2",)), "--quiet"]


@pytest.mark.parametrize(
    ("kind", "name"), [("student", "mpdnet"), ("student", "unet"), ("teacher", "swin")]
)
def test_models_build_and_run_with_one_channel(kind, name):
    model = registry().get(kind, name).build_model({"num_classes": 3, "in_channels": 1}, (64, 64))
    with torch.no_grad():
        out = model.eval()(torch.zeros(2, 1, 64, 64))
    assert tuple(out.logits.shape) == (2, 3, 64, 64)


def run_and_read(tmp_path, dataset, root, *extra):
    argv = ["run", "--dataset", dataset, "--data-root", str(root), *TINY, *extra]
    assert run_app([*argv, "--out", str(tmp_path / "runs"), "--name", "r"]) == 0
    run = tmp_path / "runs" / "r"
    test = json.loads((run / "test_metrics.json").read_text())["summary"]
    return json.loads((run / "run.json").read_text())["data"], test


def test_nnunet_two_channels_with_ignore_label_trains(tmp_path):
    root = tmp_path / "nn"
    write_nnunet(root, n=8, ignore=True)
    # overlays off: core/report/overlays.py _as_rgb keeps a 2-channel image 2-channel
    data, test = run_and_read(tmp_path, "nnunet", root, "--set", "eval.overlays=0")
    assert 0.0 <= test["mDice"] <= 1.0
    assert data["in_channels"] == 2 and data["class_names"] == ["background", "liver", "tumour"]
    assert len(data["mean"]) == 2 and len(data["std"]) == 2


def test_datalist_one_channel_nifti_trains(tmp_path):
    root = tmp_path / "dl"
    decathlon(root)
    data, test = run_and_read(tmp_path, "datalist", root)
    assert 0.0 <= test["mDice"] <= 1.0
    assert data["in_channels"] == 1 and len(data["mean"]) == 1
    assert [reason for _, reason in data["skipped"]] == [
        "test[0] has no label: not usable for evaluation"
    ]
