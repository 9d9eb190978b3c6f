"""TensorBoard: event files read back with TensorBoard's own event reader."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROWS, finished_run, require

from distill.core.plugins import registry
from distill.core.tracking import LoggerSet, TrialInfo, trial_scope

require("tensorboard")
from tensorboard.backend.event_processing import event_accumulator  # noqa: E402
from tensorboard.plugins.hparams import plugin_data_pb2  # noqa: E402


def read_events(folder: Path) -> event_accumulator.EventAccumulator:
    everything = {
        event_accumulator.SCALARS: 0,
        event_accumulator.IMAGES: 0,
        event_accumulator.TENSORS: 0,
    }
    events = event_accumulator.EventAccumulator(str(folder), size_guidance=everything)
    events.Reload()
    return events


def mirror(run, params: dict | None = None) -> LoggerSet:
    logger = registry().get("logger", "tensorboard").build(params or {})
    loggers = LoggerSet([("tensorboard", logger)])
    loggers.start(run)
    for row in ROWS:
        loggers.row(row)
    loggers.finish(run, "finished")
    assert loggers.failures == []
    return loggers


def text(events, tag: str) -> str:
    return events.Tensors(f"{tag}/text_summary")[0].tensor_proto.string_val[0].decode()


def test_curves_match_the_metrics_rows_per_stage_and_epoch(run):
    mirror(run)
    events = read_events(run.path / "tensorboard")
    student = events.Scalars("student/val/mDice")
    assert [(e.step, round(e.value, 4)) for e in student] == [(1, 0.30), (2, 0.45)]
    teacher = events.Scalars("teacher:unet/loss/total")
    assert [(e.step, round(e.value, 4)) for e in teacher] == [(1, 1.2), (2, 1.0)]
    assert round(events.Scalars("test/lesion/dice")[0].value, 4) == 0.5
    assert round(events.Scalars("test/teacher:unet/mDice")[0].value, 4) == 0.6


def test_config_tags_images_and_report_are_recorded(run):
    mirror(run)
    events = read_events(run.path / "tensorboard")
    assert "train:\n" in text(events, "config") and "seed: 3" in text(events, "config")
    assert "| commit | abc123 |" in text(events, "tags")
    assert text(events, "report").startswith("# tiny")
    assert text(events, "status") == "finished"
    overlay = events.Images("overlays/test_best_worst")[0]
    assert (overlay.width, overlay.height) == (24, 16)
    assert "curves" in events.Tags()["images"]


def test_a_given_log_dir_gets_one_subfolder_per_run(tmp_path):
    shared = tmp_path / "tb"
    for name in ("a", "b"):
        mirror(finished_run(tmp_path, name), {"log_dir": str(shared)})
    assert sorted(p.name for p in shared.iterdir()) == ["a", "b"]
    assert read_events(shared / "b").Scalars("student/val/mDice")[-1].step == 2


def test_a_trial_writes_hparams_linked_to_its_own_curves(run):
    trial = TrialInfo("study", 3, {"train.lr": 0.004, "student.fusion": "add"})
    with trial_scope(trial):
        mirror(run)
    events = read_events(run.path / "tensorboard")
    content = events.PluginTagToContent("hparams")
    session = plugin_data_pb2.HParamsPluginData.FromString(
        content["_hparams_/session_start_info"]
    ).session_start_info
    assert session.hparams["train.lr"].number_value == pytest.approx(0.004)
    assert session.hparams["student.fusion"].string_value == "add"
    assert session.hparams["trial"].number_value == 3
    assert session.hparams["state"].string_value == "complete"
    experiment = plugin_data_pb2.HParamsPluginData.FromString(
        content["_hparams_/experiment"]
    ).experiment
    shown = {m.name.tag for m in experiment.metric_infos}
    assert shown == {"trial/best_val_mDice", "test/mDice", "test/mIoU"}
    assert events.Scalars("trial/best_val_mDice")[0].value == pytest.approx(0.45)
