"""nnU-Net v2 raw-dataset conventions: ``dataset.json``, file names and ``splits_final.json``.

Read by the ``nnunet`` dataset and written by ``distill data convert --to nnunet``, so both
sides spell the format once. Images are ``CASE_XXXX<file_ending>`` (``XXXX`` the 4-digit
channel id of ``channel_names``; an RGB PNG may hold three channels in ``_0000``), labels
``CASE<file_ending>``. ``labels`` maps names to consecutive ids from ``background: 0``; an
``ignore`` entry (the highest id) marks pixels that count for nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distill.core.errors import DataError

REQUIRED = ("channel_names", "labels", "numTraining", "file_ending")
FILE_ENDINGS = (".png", ".tif", ".tiff", ".bmp", ".nii.gz", ".nii")
CHANNEL_SUFFIX = re.compile(r"^(?P<case>.+)_(?P<channel>\d{4})$")


@dataclass(frozen=True)
class DatasetJson:
    """What distill reads from ``dataset.json``."""

    path: Path
    channel_names: tuple[str, ...]
    class_names: tuple[str, ...]  # by id, background first, ignore excluded
    ignore_label: int | None
    num_training: int
    file_ending: str

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def read_dataset_json(path: Path) -> DatasetJson:
    if not path.is_file():
        raise DataError(f"{path}: missing (an nnU-Net raw dataset needs dataset.json)")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: invalid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise DataError(f"{path}: expected a JSON object")
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise DataError(f"{path}: missing required key(s) {', '.join(missing)}")
    ending = str(data["file_ending"]).lower()
    if ending not in FILE_ENDINGS:
        raise DataError(
            f"{path}: file_ending {ending!r} unsupported; use {', '.join(FILE_ENDINGS)}"
        )
    names, ignore = _labels(path, data["labels"])
    return DatasetJson(
        path=path,
        channel_names=_channels(path, data["channel_names"]),
        class_names=names,
        ignore_label=ignore,
        num_training=_count(path, data["numTraining"]),
        file_ending=ending,
    )


def _channels(path: Path, channels: Any) -> tuple[str, ...]:
    if not isinstance(channels, dict) or not channels:
        raise DataError(f"{path}: channel_names must be an object like {{'0': 'CT'}}")
    keys = sorted(channels, key=lambda k: int(k) if str(k).isdigit() else -1)
    if [str(k) for k in keys] != [str(i) for i in range(len(keys))]:
        raise DataError(f"{path}: channel_names keys must be '0', '1', ... in order, got {keys}")
    return tuple(str(channels[k]) for k in keys)


def _labels(path: Path, labels: Any) -> tuple[tuple[str, ...], int | None]:
    if not isinstance(labels, dict) or not labels:
        raise DataError(f"{path}: labels must be an object like {{'background': 0, 'lesion': 1}}")
    by_id: dict[int, str] = {}
    for name, value in labels.items():
        if isinstance(value, (list, tuple)):
            raise DataError(f"{path}: label {name!r} is a region; region-based labels unsupported")
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise DataError(f"{path}: label {name!r} has id {value!r}; ids are integers >= 0")
        if value in by_id:
            raise DataError(f"{path}: labels {by_id[value]!r} and {name!r} share id {value}")
        by_id[value] = str(name)
    ignore = labels.get("ignore")
    classes = sorted(v for v in by_id if v != ignore)
    if classes != list(range(len(classes))) or by_id.get(0) is None:
        raise DataError(f"{path}: label ids must be consecutive from background 0, got {classes}")
    if ignore is not None and ignore != max(by_id):
        raise DataError(f"{path}: the ignore label ({ignore}) must have the highest id")
    if len(classes) > 255:
        raise DataError(f"{path}: {len(classes)} classes; at most 255 are supported")
    return tuple(by_id[v] for v in classes), ignore


def _count(path: Path, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise DataError(f"{path}: numTraining must be a non-negative integer, got {value!r}")
    return value


def split_channel_file(name: str, ending: str) -> tuple[str, int] | None:
    """``('CASE', channel)`` from ``CASE_0001.png``, or None for a name that is not one."""
    if not name.lower().endswith(ending):
        return None
    match = CHANNEL_SUFFIX.match(name[: len(name) - len(ending)])
    return (match["case"], int(match["channel"])) if match else None


def read_folds(path: Path) -> list[dict[str, list[str]]]:
    """``splits_final.json``: a list of ``{"train": [cases], "val": [cases]}`` per fold."""
    try:
        folds = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: invalid JSON ({exc})") from None
    ok = isinstance(folds, list) and all(
        isinstance(f, dict) and isinstance(f.get("train"), list) and isinstance(f.get("val"), list)
        for f in folds
    )
    if not ok or not folds:
        raise DataError(f"{path}: expected a list of {{'train': [...], 'val': [...]}} folds")
    return [
        {"train": [str(c) for c in f["train"]], "val": [str(c) for c in f["val"]]} for f in folds
    ]


def dataset_json(
    channel_names: list[str], class_names: list[str], num_training: int, file_ending: str
) -> dict[str, Any]:
    """The ``dataset.json`` content for a converted dataset."""
    return {
        "channel_names": {str(i): name for i, name in enumerate(channel_names)},
        "labels": {name: i for i, name in enumerate(class_names)},
        "numTraining": num_training,
        "file_ending": file_ending,
    }
