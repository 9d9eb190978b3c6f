"""A bundle: a trained model on disk that stands alone (``distill export``).

``distill.json`` describes it (format version, the component, classes, input size,
mean/std, resize policy, where it came from, test metrics, parity and int8 figures) and
holds a sha256 of every other file and of itself, so a file that went missing, was
truncated in a copy or was edited by hand is refused on load with the reason, instead of
giving silently different masks. The one module that spells a bundle's file names.
Torch-free: the onnxruntime predictor reads bundles through it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distill.core.errors import DataError
from distill.deploy.preprocess import Preprocess

FORMAT = "distill-bundle"
FORMAT_VERSION = 1
MANIFEST = "distill.json"
WEIGHTS = "model.safetensors"
ONNX = "model.onnx"
ONNX_INT8 = "model.int8.onnx"
CARD = "MODEL_CARD.md"
DIGEST_KEY = "self_sha256"  # of distill.json without this key, keys sorted


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _self_digest(meta: dict[str, Any]) -> str:
    body = {k: v for k, v in meta.items() if k != DIGEST_KEY}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def is_bundle(path: Path) -> bool:
    return (Path(path) / MANIFEST).is_file()


@dataclass(frozen=True)
class Bundle:
    """A checked bundle: its folder and its ``distill.json``."""

    path: Path
    meta: dict[str, Any]

    @property
    def preprocess(self) -> Preprocess:
        return Preprocess.from_dict(self.meta["input"])

    @property
    def class_names(self) -> tuple[str, ...]:
        return tuple(self.meta["classes"]["names"])

    @property
    def label(self) -> str:
        model = self.meta["model"]
        return f"{model['kind']} {model['component']}"

    @property
    def kind_label(self) -> str:
        """``student`` or ``teacherN``: which model of its run this is."""
        return str(self.meta["model"]["which"])

    def file(self, name: str) -> Path:
        return self.path / name


def write_manifest(folder: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Record the sha256 of every file in ``folder`` (the manifest last), then the
    manifest's own digest; returns what was written."""
    files = sorted(p.name for p in folder.iterdir() if p.is_file() and p.name != MANIFEST)
    meta = {**meta, "files": {name: sha256_file(folder / name) for name in files}}
    meta[DIGEST_KEY] = _self_digest(meta)
    (folder / MANIFEST).write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def read_bundle(path: Path, *, verify: bool = True) -> Bundle:
    """Read ``distill.json`` and check it; every refusal is one line naming the file."""
    path = Path(path)
    manifest = path / MANIFEST
    if not manifest.is_file():
        raise DataError(f"{path}: not a bundle (no {MANIFEST}); make one with distill export")
    try:
        meta = json.loads(manifest.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DataError(f"{manifest}: unreadable ({err})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise DataError(f"{manifest}: not a distill bundle manifest (format is not '{FORMAT}')")
    version = meta.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise DataError(
            f"{manifest}: bundle format version {version} is newer than this distill reads "
            f"(up to {FORMAT_VERSION}); upgrade distill"
        )
    if verify:
        _verify(path, meta)
    return Bundle(path, meta)


def _verify(path: Path, meta: dict[str, Any]) -> None:
    manifest = path / MANIFEST
    if meta.get(DIGEST_KEY) != _self_digest(meta):
        raise DataError(f"{manifest}: edited after export (its recorded sha256 does not match)")
    for name, expected in sorted(meta.get("files", {}).items()):
        file = path / name
        if not file.is_file():
            raise DataError(f"{file}: missing from the bundle (listed in {MANIFEST})")
        if sha256_file(file) != expected:
            raise DataError(f"{file}: changed since export (sha256 differs from {MANIFEST})")
