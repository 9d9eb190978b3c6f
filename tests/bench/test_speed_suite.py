"""`python -m benchmarks.speed`: latency per model (a failing model reported, the others
timed) and the training pipeline against the conventional loop and the ideal."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_outputs import assert_environment, read_outputs

from benchmarks import speed  # importable: pythonpath is the repo


def test_speed_suite_times_models_and_the_pipelines(tmp_path: Path) -> None:
    args = ["--models", "unext", "--size", "64", "--repeats", "1", "--teacher", "cnn"]
    args += ["--set", "teacher.backbone=resnet18"]
    args += ["--distiller", "kd", "--pipeline-size", "64", "--batch", "2", "--steps", "1"]
    args += ["--pipeline-repeats", "2", "--warmup", "1", "--workers", "0", "--precision", "bf16"]
    args += ["--source-size", "64,96", "--out", str(tmp_path)]
    speed.main(args)
    data, markdown = read_outputs(tmp_path, "speed")
    (model,) = data["models"]
    assert model["name"] == "unext" and model["cpu_ms_per_image"] > 0
    pipe = data["pipeline"]
    for key in ("conventional", "engine", "ideal", "engine_fp32"):
        assert pipe[key] > 0 and len(pipe[f"{key}_all"]) == 2
    assert pipe["engine_vs_conventional"] == pytest.approx(pipe["engine"] / pipe["conventional"])
    assert pipe["engine_fp32_vs_conventional"] == pytest.approx(
        pipe["engine_fp32"] / pipe["conventional"]
    )
    assert pipe["precision"] == "bf16 autocast" and pipe["teacher"] == "cnn"
    assert "| engine at fp32: the same data path" in markdown
    (check,) = data["checks"]
    assert check["check"].startswith("engine >= 1.5x conventional")
    assert ("PASS" if check["pass"] else "FAIL") + ": engine" in markdown
    assert_environment(data["env"], markdown, "speed")


def test_a_model_that_fails_to_time_is_reported_and_the_others_still_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a GPU one model out of memory must not lose the table of the others."""
    from distill.core import profile

    real = profile.cpu_latency_ms

    def latency(model, *args, **kwargs):
        if type(model).__name__ == "UNeXt":
            raise RuntimeError("out of memory\nlong details")
        return real(model, *args, **kwargs)

    monkeypatch.setattr(profile, "cpu_latency_ms", latency)
    args = ["--models", "unext,mpdnet", "--size", "64", "--repeats", "1", "--skip-pipeline"]
    speed.main([*args, "--out", str(tmp_path)])
    data, markdown = read_outputs(tmp_path, "speed")
    failed, timed = sorted(data["models"], key=lambda r: r["name"] != "unext")
    assert failed["error"] == "RuntimeError: out of memory" and failed["gmacs"] > 0
    assert "cpu_ms_per_image" not in failed and timed["cpu_ms_per_image"] > 0
    assert f"| student | unext | {failed['params_m']:.2f} | {failed['gmacs']:.2f} | - |" in markdown
    assert "- unext failed: RuntimeError: out of memory" in markdown


def test_speed_engine_precision_follows_the_device():
    from distill.core.engine.runtime import cpu_computes_bf16

    assert speed.engine_amp("auto", on_gpu=True) == "bf16"
    assert speed.engine_amp("auto", on_gpu=False) == ("bf16" if cpu_computes_bf16() else "off")
    assert speed.engine_amp("fp32", on_gpu=True) == "off"
    assert speed.engine_amp("bf16", on_gpu=False) == "bf16"
