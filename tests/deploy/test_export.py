"""distill export: the bundle's files, what distill.json and the card say, and refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from distill.core.errors import ConfigError
from distill.core.interfaces import SegOutput
from distill.deploy import bundle as files
from distill.deploy.onnx_export import ExportError, export_onnx
from distill.deploy.parity import ParityError
from tests.engine.tiny_run import cli


def test_bundle_holds_its_files_and_facts(bundle, synthetic_run):
    meta = json.loads((bundle / files.MANIFEST).read_text())
    assert sorted(meta["files"]) == sorted([files.CARD, files.WEIGHTS, files.ONNX_INT8, files.ONNX])
    assert meta["format_version"] == files.FORMAT_VERSION
    assert meta["model"] == {
        "kind": "student",
        "which": "student",
        "component": "unet",
        "params": {"base_width": 4, "up_mode": "transpose"},
        "label": "student unet",
    }
    assert meta["classes"]["names"] == ["background", "lesion"]
    assert meta["input"]["size"] == [64, 64] and meta["input"]["resize"] == "stretch"
    run = json.loads((synthetic_run / "run.json").read_text())
    assert meta["training"]["data_fingerprint"] == run["data"]["fingerprint"]
    assert meta["onnx"]["dynamic_size"] and meta["onnx"]["tested_sizes"] == [[64, 64], [96, 128]]
    assert meta["parity"]["ok"] and meta["parity"]["source"].startswith("val split")
    assert meta["test"]["summary"]["mDice_std"] >= 0
    assert meta["int8"]["mDice_fp32"] is not None and meta["int8"]["fp32_ms"] > 0
    card = (bundle / files.CARD).read_text()
    assert "not a diagnostic device" in card and "int8" in card and "± " in card


def test_onnx_accepts_another_size_and_batch(bundle):
    import onnxruntime as ort

    session = ort.InferenceSession(str(bundle / files.ONNX), providers=["CPUExecutionProvider"])
    out = session.run(None, {"image": np.zeros((3, 3, 96, 128), np.float32)})[0]
    assert out.shape == (3, 2, 96, 128)


def test_existing_bundle_is_not_replaced_without_force(bundle, synthetic_run, capsys):
    before = (bundle / files.MANIFEST).read_text()
    assert cli("export", synthetic_run, "--out", bundle) == 2
    assert "not empty" in capsys.readouterr().err
    assert (bundle / files.MANIFEST).read_text() == before


def test_parity_failure_leaves_nothing(synthetic_run, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("distill.deploy.parity.LOGIT_RTOL", 0.0)
    monkeypatch.setattr("distill.deploy.parity.MIN_AGREEMENT", 1.01)
    from distill.deploy.export import export

    with pytest.raises(ParityError, match="ONNX export refused"):
        export(synthetic_run, tmp_path / "b")
    assert list(tmp_path.iterdir()) == []  # no bundle, no temporary folder, no model.onnx


class FourierNet(torch.nn.Module):
    def forward(self, x):
        return SegOutput(torch.fft.fft2(x).real[:, :2], [])


def test_unexportable_operator_is_named(tmp_path):
    with pytest.raises(ExportError, match=r"student fourier: .*operator 'aten::fft_fft2'"):
        export_onnx(
            FourierNet(),
            tmp_path / "m.onnx",
            size=(8, 8),
            in_channels=3,
            label="student fourier",
            dynamic_size=True,
        )


def test_bad_quantize_value_is_refused(synthetic_run, tmp_path):
    from distill.deploy.export import export

    with pytest.raises(ConfigError, match="--quantize must be int8"):
        export(synthetic_run, tmp_path / "b", quantize="int4")
