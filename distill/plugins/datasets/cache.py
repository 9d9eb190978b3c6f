"""Decode once: each split at each size is stored as uint8 ``.npy`` files.

Layout: ``<cache_dir>/<dataset>/<config>/<split>-<H>x<W>-<content>/`` with ``images.npy``
(N, H, W, C), ``masks.npy`` (N, H, W) and ``meta.json`` (ids, skipped files). ``config``
hashes the dataset's identity (name, root, params); ``content`` hashes what was decoded
(file paths, sizes, mtimes or generator parameters), so changed sources get a new entry and
the stale one is pruned. An entry is written in a temporary folder and renamed into place,
so a half-written cache is never read; an entry damaged later (a zero-byte or truncated
array, arrays and ids of different lengths) is rebuilt, never trusted.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from distill.core.interfaces import SplitArrays
from distill.core.store import digest

FORMAT_VERSION = 1


def file_fingerprint(paths: Iterable[Path]) -> list[tuple[str, int, int]]:
    """(path, size, mtime_ns) per file: cheap to compute, changes when a file changes."""
    out = []
    for p in paths:
        try:
            st = p.stat()
            out.append((str(p), st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((str(p), -1, -1))
    return out


@dataclass
class Built:
    """What a builder hands to the cache."""

    images: np.ndarray
    masks: np.ndarray
    ids: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)


@dataclass(frozen=True)
class CacheEntry:
    path: Path

    @property
    def exists(self) -> bool:
        return (self.path / "meta.json").is_file()

    def meta(self) -> dict[str, Any]:
        return json.loads((self.path / "meta.json").read_text())

    def read(self) -> SplitArrays:
        meta = self.meta()
        images = np.load(self.path / "images.npy")
        masks = np.load(self.path / "masks.npy")
        ids = list(meta["ids"])
        if not (len(images) == len(masks) == len(ids)) or images.ndim != 4 or masks.ndim != 3:
            raise ValueError(f"{self.path}: arrays and ids disagree")
        return SplitArrays(images=images, masks=masks, ids=ids)

    def nbytes(self) -> int:
        return sum(f.stat().st_size for f in self.path.iterdir() if f.is_file())


def entry_for(
    root: Path, dataset: str, config: Any, split: str, size: tuple[int, int], content: Any
) -> CacheEntry:
    h, w = size
    name = f"{split}-{h}x{w}-{digest([FORMAT_VERSION, content])}"
    return CacheEntry(root / dataset / digest(config) / name)


def new_arrays(
    folder: Path, n: int, size: tuple[int, int], channels: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Disk-backed uint8 arrays to decode into (a full-size dataset need not fit in RAM)."""
    h, w = size
    images = np.lib.format.open_memmap(
        folder / "images.npy", mode="w+", dtype=np.uint8, shape=(n, h, w, channels)
    )
    masks = np.lib.format.open_memmap(
        folder / "masks.npy", mode="w+", dtype=np.uint8, shape=(n, h, w)
    )
    return images, masks


def write(entry: CacheEntry, build: Callable[[Path], Built]) -> Built:
    """Run ``build(tmp_folder)`` (it may decode straight into ``new_arrays(tmp_folder)``),
    save its result there and rename the folder into place atomically."""
    entry.path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=entry.path.parent))
    try:
        built = build(tmp)
        for name, arr in (("images.npy", built.images), ("masks.npy", built.masks)):
            if isinstance(arr, np.memmap) and Path(arr.filename) == tmp / name:
                arr.flush()
            else:  # save beside, then replace: the memmap may still map the old file
                with open(tmp / f"{name}.part", "wb") as fh:
                    np.save(fh, np.ascontiguousarray(arr, dtype=np.uint8))
                os.replace(tmp / f"{name}.part", tmp / name)
        meta = {"ids": built.ids, "skipped": built.skipped, "format": FORMAT_VERSION}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
        try:
            os.replace(tmp, entry.path)
        except OSError:  # another process finished the same entry first: keep theirs
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    prune_siblings(entry)
    return built


def prune_siblings(entry: CacheEntry) -> None:
    """Remove stale entries of the same split and size (their sources changed)."""
    prefix = entry.path.name.rsplit("-", 1)[0] + "-"
    for other in entry.path.parent.iterdir():
        if other != entry.path and other.name.startswith(prefix) and other.is_dir():
            shutil.rmtree(other, ignore_errors=True)


def load_or_build(entry: CacheEntry, build: Callable[[Path], Built]) -> tuple[SplitArrays, bool]:
    """The cached split, building it first if needed; also says whether it was built now."""
    if entry.exists:
        try:
            return entry.read(), False
        except (OSError, EOFError, ValueError, KeyError, json.JSONDecodeError):
            pass  # a zero-byte or truncated array reads as EOFError / ValueError
    if entry.path.exists():  # damaged or incomplete: never trusted, rebuilt below
        shutil.rmtree(entry.path, ignore_errors=True)
    write(entry, build)
    return entry.read(), True
