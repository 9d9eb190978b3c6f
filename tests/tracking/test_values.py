"""The names and values every tracker records: one computation, so trackers agree."""

from __future__ import annotations

from conftest import ROWS, TEST

from distill.core.config import build_config
from distill.core.tracking.values import flat_params, result_metrics, row_metrics


def test_rows_become_stage_prefixed_metrics_stepped_by_the_stages_epoch():
    assert row_metrics(ROWS[1]) == (
        2,
        {"teacher:unet/loss/total": 1.0, "teacher:unet/loss/task/ce": 0.6, "teacher:unet/lr": 5e-4},
    )
    step, values = row_metrics({**ROWS[2], "note": "text", "bad": float("nan"), "flag": True})
    assert step == 1 and sorted(values) == [
        "student/loss/total",
        "student/train_s",
        "student/val/mDice",
    ]


def test_the_test_payload_flattens_to_summary_per_class_and_teacher_metrics():
    assert result_metrics(TEST) == {
        "test/mDice": 0.5,
        "test/mIoU": 0.4,
        "test/mHD95": 3.0,
        "test/lesion/dice": 0.5,
        "test/lesion/iou": 0.4,
        "test/teacher:unet/mDice": 0.6,
    }
    assert result_metrics(None) == {}


def test_the_config_flattens_to_dotted_string_params_that_set_would_accept():
    cfg = build_config({"teachers": ["swin", "unet"]}, ["train.lr=0.01"])
    params = flat_params(cfg.model_dump(mode="json"))
    assert params["train.lr"] == "0.01"
    assert params["teachers.1.name"] == "unet"
    assert params["data.size"] == "[128, 128]"
    assert params["train.early_stop"] == "null"
    assert params["train.loggers"] == "[]"
    assert all(isinstance(v, str) for v in params.values())
