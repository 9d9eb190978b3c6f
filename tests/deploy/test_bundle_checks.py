"""A bundle that changed since export is refused on load, with a one-line reason."""

from __future__ import annotations

import json
import shutil

import pytest

import distill
from distill.core.errors import DataError
from distill.deploy import bundle as files


@pytest.fixture
def copy(bundle, tmp_path):
    return shutil.copytree(bundle, tmp_path / "copy")


def test_missing_file_is_refused(copy):
    (copy / files.ONNX_INT8).unlink()
    with pytest.raises(DataError, match=r"model.int8.onnx: missing from the bundle"):
        distill.load(copy, runtime="onnxruntime")


def test_edited_weights_are_refused(copy):
    with open(copy / files.WEIGHTS, "r+b") as handle:
        handle.seek(-4, 2)
        handle.write(b"\0\0\0\1")
    with pytest.raises(DataError, match=r"model.safetensors: changed since export"):
        distill.load(copy)


def test_hand_edited_manifest_is_refused(copy):
    meta = json.loads((copy / files.MANIFEST).read_text())
    meta["input"]["mean"] = [0.5, 0.5, 0.5]
    (copy / files.MANIFEST).write_text(json.dumps(meta))
    with pytest.raises(DataError, match="distill.json: edited after export"):
        distill.load(copy, runtime="onnxruntime")


def test_newer_format_is_refused(copy):
    meta = json.loads((copy / files.MANIFEST).read_text())
    meta["format_version"] = files.FORMAT_VERSION + 1
    (copy / files.MANIFEST).write_text(json.dumps(meta))
    with pytest.raises(DataError, match="format version 2 is newer .* upgrade distill") as err:
        distill.load(copy)
    assert "\n" not in str(err.value)
