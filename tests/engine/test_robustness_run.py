"""A real run on the ISIC sample with the shift split held out, colour constancy on and
every robustness pass of the augmentation enabled; then ``distill eval --split shift``."""

from __future__ import annotations

import json
import shlex

import pytest
from tiny_run import cli, final_summary

from distill.core.colour import constant_split
from distill.core.evaluation import load_trained, score_split
from distill.core.plugins import registry
from distill.core.run import Run
from tests.conftest import require_isic_sample

PASSES = "zoom_p=0.5 hair_p=0.5 ruler_p=0.3 ink_p=0.3 bubble_p=0.3 vignette_p=0.3 rim_p=0.3"
PASSES += " illuminant_p=0.5 blur_p=0.3 jpeg_p=0.3"
ROBUST_RUN = shlex.split(
    "--student unet --set student.base_width=4 --distiller none --dataset isic2017-cc0 "
    "--set data.dataset.shift_fraction=0.2 --set data.colour_constancy=6 --size 32 32 "
    "--epochs 1 --set train.steps_per_epoch=3 --set train.batch_size=4 "
    "--set runtime.num_threads=1 --set eval.val_distances=false"
) + [arg for p in PASSES.split() for arg in ("--set", f"data.augment.{p}")]


@pytest.fixture(scope="module")
def robust_run(tmp_path_factory, monkeypatch_module):
    monkeypatch_module.setenv("DISTILL_SHARED_DATA", str(require_isic_sample()))
    out = tmp_path_factory.mktemp("robust")
    assert cli("run", *ROBUST_RUN, "--out", out, "--name", "robust", "--quiet") == 0
    return out / "robust"


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_the_run_records_colour_constancy_and_never_saw_the_shift_images(robust_run):
    run = Run.open(robust_run)
    assert run.data["colour_constancy"] == 6.0
    assert run.config.data.augment.hair_p == 0.5
    assert run.data.get("train_images", 256) == 256  # the 456 less the 91 held out, less val/test


def test_eval_scores_the_shift_split(robust_run, tmp_path):
    out = tmp_path / "shift.json"
    code = cli(
        "eval",
        robust_run,
        "--dataset",
        "isic2017-cc0",
        "--split",
        "shift",
        "--json",
        out,
        "--device",
        "cpu",
    )
    assert code == 0
    summary = json.loads(out.read_text())["summary"]
    assert summary["n_images"] == 91 and 0 <= summary["mDice"] <= 1


def test_evaluation_applies_the_colour_constancy_training_used(robust_run, monkeypatch):
    import distill.core.evaluation as evaluation

    seen = []

    def recording(arrays, p):
        seen.append(p)
        return constant_split(arrays, p)

    monkeypatch.setattr(evaluation, "constant_split", recording)
    run = Run.open(robust_run)
    trained = load_trained(run)
    assert trained.preprocess.colour_constancy == 6.0
    dataset = registry().get("dataset", "isic2017-cc0").build(run.config.data.dataset.params)
    scores, _ = score_split(trained, dataset, "test", device="cpu")
    assert seen == [6.0]
    # the same images the run was tested on, so the same score
    assert scores.summary["mDice"] == pytest.approx(final_summary(robust_run)["mDice"], abs=1e-6)
