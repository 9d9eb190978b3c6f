"""Few labels, many unlabelled images: the labelled subset, the unlabelled batches, the
pseudo-label distiller, and exact resume with both kinds of batch."""

from __future__ import annotations

import signal

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from test_resume import wait_for
from tiny_run import WITH_TEACHER, cli, final_summary, metric_rows, spawn

from distill.core.engine.distillation import DistillerSuite
from distill.core.engine.scarcity import labelled_subset
from distill.core.interfaces import ModelSpec, SegOutput, SplitArrays
from distill.core.plugins import registry
from distill.core.run import Run

KD = [*WITH_TEACHER, "--set", "data.labeled_fraction=0.25"]


def masks_with(classes: list[tuple[int, ...]]) -> SplitArrays:
    masks = np.zeros((len(classes), 8, 8), np.uint8)
    for i, present in enumerate(classes):
        for c in present:
            masks[i, c, :] = c
    return SplitArrays(
        np.zeros((len(classes), 8, 8, 3), np.uint8), masks, [f"img{i}" for i in range(len(classes))]
    )


def test_the_labelled_subset_is_seeded_and_stratified_by_class_presence():
    train = masks_with([(1,)] * 16 + [(1, 2)] * 4)
    labelled, rest = labelled_subset(train, 0.25, seed=3)
    assert len(labelled) == 5 and len(rest) == 15
    with_two = [i for i in labelled.ids if int(i[3:]) >= 16]
    assert len(with_two) == 1  # the rare combination keeps its share
    again, _ = labelled_subset(train, 0.25, seed=3)
    assert again.ids == labelled.ids
    other, _ = labelled_subset(train, 0.25, seed=4)
    assert other.ids != labelled.ids
    assert set(labelled.ids).isdisjoint(rest.ids)
    full, none = labelled_subset(train, 1.0, seed=3)
    assert full is train and none is None


def test_distillers_needing_masks_skip_unlabelled_batches():
    spec = ModelSpec(
        name="s", family="cnn", feature_channels=[8], feature_strides=[4], num_classes=2
    )
    reg = registry()
    kd = reg.get("distiller", "kd").build({}, spec, [spec])
    ifvd = reg.get("distiller", "ifvd").build({"strides": [4]}, spec, [spec])
    suite = DistillerSuite([("kd", kd), ("ifvd", ifvd)])
    assert suite.target_free == ["kd"]
    out = SegOutput(torch.randn(2, 2, 16, 16), [torch.randn(2, 8, 4, 4)])
    terms = suite(out, [out], None)
    assert set(terms) == {"kd/kd"}


def test_pseudo_labels_are_cross_entropy_on_confident_teacher_pixels():
    spec = ModelSpec(
        name="s", family="cnn", feature_channels=[8], feature_strides=[4], num_classes=3
    )
    pseudo = registry().get("distiller", "pseudo").build({"threshold": 0.7}, spec, [spec])
    student = torch.randn(1, 3, 4, 4)
    teacher = torch.zeros(1, 3, 4, 4)
    teacher[0, 2, :2] = 5.0  # confident class 2 on the top half, uniform (1/3) below
    (term,) = pseudo(SegOutput(student, []), [SegOutput(teacher, [])], None).values()
    expected = F.cross_entropy(student, torch.full((1, 4, 4), 2), reduction="none")[0, :2].sum()
    assert float(term) == pytest.approx(float(expected) / 16, rel=1e-6)


def test_a_run_with_a_quarter_of_the_labels_trains_the_teacher_on_them_only(tmp_path):
    assert cli("run", *KD, "--out", tmp_path, "--name", "quarter", "--quiet") == 0
    run = Run.open(tmp_path / "quarter")
    assert run.data["train_images"] == 4 and run.data["unlabelled_images"] == 12
    student = [r for r in run.rows() if r["stage"] == "student"]
    assert all("loss/unlabeled/kd/kd" in r for r in student)
    teacher_key = run.teacher_record(0)["key"]
    assert (
        cli(
            "run",
            *KD[:-1],
            "data.labeled_fraction=0.5",
            "--out",
            tmp_path,
            "--name",
            "half",
            "--quiet",
        )
        == 0
    )
    assert Run.open(tmp_path / "half").teacher_record(0)["key"] != teacher_key


def test_a_folder_of_images_adds_unlabelled_images(tmp_path):
    folder = tmp_path / "extra" / "nested"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(5):
        Image.fromarray(rng.integers(0, 255, (40, 50, 3), np.uint8)).save(folder / f"{i}.png")
    args = [
        *KD[:-1],
        "data.labeled_fraction=1",
        "--set",
        f"data.unlabeled={{name: images, data_root: {tmp_path / 'extra'}}}",
    ]
    assert cli("run", *args, "--out", tmp_path, "--name", "extra", "--quiet") == 0
    assert Run.open(tmp_path / "extra").data["unlabelled_images"] == 5


@pytest.mark.slow
def test_resume_with_unlabelled_batches_is_exact(tmp_path):
    args = [*KD, "--set", "train.batch_size=1", "--epochs", "4"]
    assert cli("run", *args, "--out", tmp_path, "--name", "straight", "--quiet") == 0
    stopped = tmp_path / "stopped"
    proc = spawn("run", *args, "--out", tmp_path, "--name", "stopped")
    wait_for(lambda: any(r["stage"] == "student" for r in metric_rows(stopped)), proc)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert cli("run", "--resume", stopped, "--quiet") == 0
    assert final_summary(stopped) == final_summary(tmp_path / "straight")
