"""``datalist``: a Medical Segmentation Decathlon / MONAI datalist JSON.

``{"training": [{"image": ..., "label": ...}], "validation": [...], "test": [...]}`` with
paths relative to ``base_dir`` (default: the JSON's folder), as MONAI's
``load_decathlon_datalist`` reads it. ``image`` may be a list (one file per channel).
A missing ``validation`` list is taken from the entries whose ``fold`` equals ``fold``
when they carry one, else carved seeded from ``training``; a missing or unlabelled
``test`` list is carved seeded too. Masks follow the shared rules (:mod:`labels`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from distill.core.errors import DataError
from distill.core.hookspecs import hookimpl
from distill.plugins.datasets.base import FileDataset, SourceItem
from distill.plugins.datasets.imageio import image_stem
from distill.plugins.datasets.labelled import Labelled, LabelledParams, resolve
from distill.plugins.datasets.splits import SPLITS, require_training, seeded_split

KEYS = {"train": "training", "val": "validation", "test": "test"}


class DatalistParams(LabelledParams):
    datalist: str = Field("dataset.json", description="datalist JSON, relative to data_root")
    base_dir: Path | None = Field(None, description="root of the paths (default: JSON's folder)")
    fold: int | None = Field(None, description="validation = training entries of this fold")
    val_fraction: float = Field(0.1, ge=0.0, lt=1.0, description="seeded val (no list)")
    test_fraction: float = Field(0.2, ge=0.0, lt=1.0, description="seeded test (no list)")
    normalise: Literal["auto", "train", "imagenet"] = Field(
        "train", description="mean/std: training split (default), ImageNet, or auto"
    )


class Datalist(Labelled, FileDataset):
    """Decathlon / MONAI datalist: training, validation and test lists of image/label."""

    name = "datalist"
    Params = DatalistParams

    def __init__(self, params: DatalistParams) -> None:
        super().__init__(params)
        self.params: DatalistParams = params
        self.split_origin = ""
        self.splits()

    def read(self) -> tuple[Path, dict[str, Any]]:
        path = resolve(self.root(), self.params.datalist)
        if not path.is_file():
            raise DataError(f"{path}: datalist not found")
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: invalid JSON ({exc})") from None
        if not isinstance(data, dict) or not isinstance(data.get("training"), list):
            raise DataError(f"{path}: needs a 'training' list of {{'image': ..., 'label': ...}}")
        return path, data

    def entries(self, path: Path, data: dict[str, Any], key: str) -> list[SourceItem]:
        base = self.params.base_dir or path.parent
        items, seen = [], set()
        for n, entry in enumerate(data.get(key) or []):
            where = f"{path}: {key}[{n}]"
            entry = {"image": entry} if isinstance(entry, str) else entry
            if not isinstance(entry, dict) or "image" not in entry:
                raise DataError(f"{where} has no 'image'")
            images = entry["image"] if isinstance(entry["image"], list) else [entry["image"]]
            files = [resolve(base, str(f)) for f in images]
            if "label" not in entry:
                self.unused(files[0], f"{key}[{n}] has no label: not usable for evaluation")
                continue
            ident = image_stem(files[0])
            if ident in seen:
                ident = f"{ident}#{n}"
            seen.add(ident)
            missing = [f for f in [*files, resolve(base, str(entry["label"]))] if not f.is_file()]
            if missing:
                self.problem(missing[0], f"file of {key}[{n}] not found")
                continue
            fold = entry.get("fold")
            items.append(
                SourceItem(
                    ident,
                    files[0],
                    resolve(base, str(entry["label"])),
                    tuple(files[1:]),
                    label="" if fold is None else str(fold),
                )
            )
        return items

    def list_splits(self) -> dict[str, list[SourceItem]]:
        path, data = self.read()
        p = self.params
        given = {s: self.entries(path, data, KEYS[s]) for s in SPLITS}
        train = given["train"]
        origin = [f"{path}"]
        if not given["val"] and p.fold is not None:
            given["val"] = [i for i in train if i.label == str(p.fold)]
            train = [i for i in train if i.label != str(p.fold)]
            origin.append(f"validation = fold {p.fold}")
        val_fraction = 0.0 if given["val"] else p.val_fraction
        test_fraction = 0.0 if given["test"] else p.test_fraction
        by_id = {i.id: i for i in train}
        carved = seeded_split(list(by_id), val_fraction, test_fraction, p.seed)
        splits = {s: given[s] or [by_id[i] for i in carved[s]] for s in ("val", "test")}
        splits["train"] = [by_id[i] for i in carved["train"]]
        carved_names = [KEYS[s] for s in ("val", "test") if not given[s]]
        if carved_names and not (p.fold is not None and carved_names == ["validation"]):
            origin.append(f"{' and '.join(carved_names)} carved seeded from training")
        self.split_origin = "; ".join(origin)
        require_training(splits, self.name, f"{path} with val/test_fraction")
        self.settle([i for s in SPLITS for i in splits[s]])
        return splits


@hookimpl
def distill_register_datasets(register):
    register("datalist", Datalist)
