"""The public API as a notebook uses it, and a run's independence from the process's
global random stream."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from PIL import Image

import distill
from distill.core.errors import ConfigError

TINY = {
    "student": {"name": "unet", "base_width": 4},
    "distillers": ["none"],
    "data.size": [64, 64],
    "data.dataset.train_count": 16,
    "data.dataset.val_count": 4,
    "data.dataset.test_count": 6,
    "train.epochs": 3,
    "train.batch_size": 4,
    "runtime.num_threads": 1,
}


def tiny_config(tmp_path, name: str):
    return distill.config("quick", out=tmp_path, name=name, **TINY)


def test_config_validates_like_set(tmp_path):
    cfg = tiny_config(tmp_path, "a")
    assert cfg.train.epochs == 3 and cfg.student.name == "unet"
    with pytest.raises(ConfigError, match="train.epochs"):
        distill.config(**{"train.epochs": "many"})


def test_config_leaves_the_presets_as_they_were():
    """Dotted keys edit the caller's tree, never the preset shared by every later run
    (a run on isic2017 once inherited a synthetic set's train_count from an earlier call)."""
    from distill.core.presets import preset

    before = preset("quick")
    distill.config("quick", **{"data.dataset.train_count": 16, "train.epochs": 1})
    assert preset("quick") == before
    assert "dataset" not in preset("quick")["data"]


def test_train_load_evaluate_predict_from_the_api(tmp_path):
    run = distill.run(tiny_config(tmp_path, "api"), progress=False)
    assert run.status == "finished" and run.test["summary"]["mDice"] >= 0
    assert run.cost["student"]["params"] > 0 and run.data["size"] == [64, 64]
    scores = distill.evaluate(run, split="test")
    assert scores.summary["mDice"] == pytest.approx(run.test["summary"]["mDice"], abs=1e-9)
    flipped = distill.evaluate(run, split="test", tta="flip")
    assert 0 <= flipped.summary["mDice"] <= 1


def test_a_run_ignores_other_code_drawing_random_numbers(tmp_path):
    """After its first epoch, other code builds a model, reseeds and draws from torch's and
    numpy's global streams, and starts a thread that keeps drawing: the run's numbers do not
    move (a student without dropout, as MPDNet: see distill.core.engine.streams)."""
    plain = distill.run(tiny_config(tmp_path, "plain"), progress=False)
    stop = threading.Event()

    def draw_forever():
        while not stop.is_set():
            torch.rand(64)
            np.random.rand(8)

    def meddle(epoch, score):
        torch.manual_seed(epoch + 123)
        distill.create("student", "unet", base_width=4)
        torch.rand(1000)
        if epoch == 0:
            threading.Thread(target=draw_forever, daemon=True).start()

    try:
        busy = distill.run(tiny_config(tmp_path, "busy"), progress=False, on_epoch=meddle)
    finally:
        stop.set()
    assert busy.test["summary"] == plain.test["summary"]
    assert [r["loss/total"] for r in busy.rows()] == [r["loss/total"] for r in plain.rows()]


def test_an_image_file_is_all_predict_needs(tmp_path):
    run = distill.run(tiny_config(tmp_path, "p"), progress=False)
    image = tmp_path / "lesion.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (50, 70, 3), np.uint8)).save(image)
    (mask,) = distill.load(run).predict([image])
    assert mask.shape == (50, 70)
