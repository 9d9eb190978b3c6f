"""Shared machinery of the built-in datasets: the three splits, the cache, bad-item policy.

``CachedDataset.load`` turns a split into cached uint8 arrays. File datasets list
:class:`SourceItem` s per split and decode one item at a time; generators build arrays
directly. Either way the result is decoded once per size and read from the cache later.
"""

from __future__ import annotations

import os
from abc import abstractmethod
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from distill.core.errors import ConfigError, DataError
from distill.core.interfaces import Dataset, DatasetParams, SplitArrays
from distill.core.store import cache_root
from distill.plugins.datasets import cache
from distill.plugins.datasets.progress import note, progress_bar
from distill.plugins.datasets.splits import SPLITS


class CachedParams(DatasetParams):
    cache_dir: Path | None = Field(
        None, description="decoded-array cache (default: $DISTILL_CACHE or ~/.cache/distill)"
    )
    seed: int = Field(0, description="seed of any split this dataset makes itself")


@dataclass(frozen=True)
class SourceItem:
    """One image/mask pair on disk; ``files`` are every file its decoding reads."""

    id: str
    image: Path
    mask: Path | None
    extra: tuple[Path, ...] = ()
    label: str = ""

    @property
    def files(self) -> tuple[Path, ...]:
        return (self.image, *([self.mask] if self.mask else []), *self.extra)


class CachedDataset(Dataset):
    """A dataset whose splits are built once per size and then read from the cache."""

    Params: ClassVar[type[CachedParams]] = CachedParams
    name: ClassVar[str] = "dataset"
    version: ClassVar[int] = 1  # bump when decoding changes, to invalidate old caches
    not_decoding: ClassVar[frozenset[str]] = frozenset()  # params that leave the cache alone

    def __init__(self, params: CachedParams) -> None:
        super().__init__(params)
        self.params: CachedParams = params
        self.skipped: list[tuple[str, str]] = []

    def split_names(self) -> list[str]:
        return list(SPLITS)

    def check_split(self, split: str) -> None:
        names = self.split_names()
        if split not in names:
            raise ConfigError(f"unknown split '{split}'; valid splits: {', '.join(names)}")

    def config_identity(self) -> dict[str, Any]:
        """What makes two instances the same dataset (cache folder); not the file stats."""
        values = self.params.model_dump(mode="json", exclude={"cache_dir", *self.not_decoding})
        return {"dataset": self.name, "version": self.version, **values}

    @abstractmethod
    def cache_content(self, split: str) -> Any:
        """What, when changed, must rebuild the cache of this split."""

    @abstractmethod
    def build_split(self, split: str, size: tuple[int, int], folder: Path) -> cache.Built:
        """Decode or generate a split (may write into ``cache.new_arrays(folder, ...)``)."""

    def cache_entry(self, split: str, size: tuple[int, int]) -> cache.CacheEntry:
        self.check_split(split)
        return cache.entry_for(
            cache_root(self.params.cache_dir),
            self.name,
            self.config_identity(),
            split,
            tuple(size),
            self.cache_content(split),
        )

    def load(self, split: str, size: tuple[int, int]) -> SplitArrays:
        size = (int(size[0]), int(size[1]))
        entry = self.cache_entry(split, size)
        arrays, built = cache.load_or_build(
            entry, lambda folder: self.build_split(split, size, folder)
        )
        skipped = [tuple(s) for s in entry.meta().get("skipped", [])]
        self.skipped += [s for s in skipped if s not in self.skipped]
        if skipped and not built:
            note(
                f"{self.name} {split}: {len(skipped)} bad item(s) were skipped when this "
                f"cache was built: " + "; ".join(f"{f} ({r})" for f, r in skipped)
            )
        return arrays


DecodeFn = Callable[[SourceItem, tuple[int, int]], tuple[np.ndarray, np.ndarray]]


class FileDataset(CachedDataset):
    """A dataset read from image/mask files: lists items per split, decodes each one."""

    def __init__(self, params: CachedParams) -> None:
        super().__init__(params)
        self._splits: dict[str, list[SourceItem]] | None = None
        self.listing_problems: list[tuple[str, str]] = []  # found while listing files

    @abstractmethod
    def list_splits(self) -> dict[str, list[SourceItem]]:
        """Items of every split (``train``, ``val``, ``test``)."""

    @abstractmethod
    def decode(self, item: SourceItem, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """Image (H, W, in_channels) and class-id mask (H, W), uint8, at ``size``."""

    def root(self) -> Path:
        root = self.params.data_root
        if root is None:
            raise ConfigError(f"dataset '{self.name}' needs data_root (--data-root PATH)")
        root = Path(root).expanduser()
        if not root.is_dir():
            raise DataError(f"{root}: data root of '{self.name}' does not exist")
        return root

    def problem(self, file: Path | str, reason: str) -> None:
        """A bad item found while listing: an error, or a recorded skip with skip_bad."""
        if not self.params.skip_bad:
            raise DataError(f"{file}: {reason}")
        self.listing_problems.append((str(file), reason))

    def unused(self, file: Path | str, reason: str) -> None:
        """A file that is no item but harms none (a mask without an image): always noted
        and listed in ``skipped``, never an error."""
        self.listing_problems.append((str(file), reason))

    def splits(self) -> dict[str, list[SourceItem]]:
        if self._splits is None:
            self._splits = self.list_splits()
            if self.listing_problems:
                note(
                    f"{self.name}: skipped {len(self.listing_problems)} item(s) while "
                    "listing files: " + "; ".join(f"{f} ({r})" for f, r in self.listing_problems)
                )
                self.skipped += self.listing_problems
        return self._splits

    def cache_content(self, split: str) -> Any:
        items = self.splits()[split]
        return [[i.id, i.label] for i in items], cache.file_fingerprint(
            f for i in items for f in i.files
        )

    def build_split(self, split: str, size: tuple[int, int], folder: Path) -> cache.Built:
        items = self.splits()[split]
        if not items:
            raise DataError(f"{self.name}: split '{split}' has no items")
        images, masks = cache.new_arrays(folder, len(items), size, self.in_channels)
        keep = np.ones(len(items), dtype=bool)
        skipped: list[tuple[str, str]] = []

        def one(i: int) -> None:
            try:
                images[i], masks[i] = self.decode(items[i], size)
            except DataError as exc:
                if not self.params.skip_bad:
                    raise
                keep[i] = False
                file, _, reason = str(exc).partition(": ")
                skipped.append((file, reason or str(exc)))

        workers = min(8, os.cpu_count() or 1)
        with (
            progress_bar(f"decoding {self.name} {split}", len(items)) as advance,
            ThreadPoolExecutor(workers) as pool,
        ):
            for _ in pool.map(one, range(len(items))):
                advance(1)
        if skipped:
            note(
                f"{self.name} {split}: skipped {len(skipped)} bad item(s): "
                + "; ".join(f"{f} ({r})" for f, r in sorted(skipped))
            )
        if not keep.any():
            raise DataError(f"{self.name}: every item of split '{split}' is bad")
        ids = [it.id for it, k in zip(items, keep, strict=True) if k]
        if keep.all():
            return cache.Built(images, masks, ids)
        return cache.Built(images[keep], masks[keep], ids, sorted(skipped))
