"""Fetching the official archives for online users: resume, verify, extract.

Nothing downloads unless the user runs ``distill data download``. Each archive is fetched
to ``<name>.part`` with HTTP Range requests, so an interrupted transfer resumes where it
stopped; it is renamed when complete, checked (size and SHA-256 where known, then the zip's
own CRCs) and extracted into the layout the loader reads.
"""

from __future__ import annotations

import hashlib
import http.client
import shutil
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from distill.core.errors import ConfigError, DataError, DistillError

ISIC_BASE = "https://isic-challenge-data.s3.amazonaws.com/2017/"
SIPAKMED_BASE = "https://www.cs.uoi.gr/~marina/SIPAKMED/"
CHUNK = 1 << 16


@dataclass(frozen=True)
class Archive:
    file: str
    size: int | None = None
    sha256: str | None = None


SOURCES: dict[str, tuple[str, tuple[Archive, ...]]] = {
    "isic2017": (
        ISIC_BASE,
        tuple(
            Archive(f"ISIC-2017_{n}.zip")
            for n in (
                "Training_Data",
                "Training_Part1_GroundTruth",
                "Validation_Data",
                "Validation_Part1_GroundTruth",
                "Test_v2_Data",
                "Test_v2_Part1_GroundTruth",
            )
        ),
    ),
    "sipakmed": (
        SIPAKMED_BASE,
        tuple(
            Archive(f"im_{c}.zip")
            for c in (
                "Dyskeratotic",
                "Koilocytotic",
                "Metaplastic",
                "Parabasal",
                "Superficial-Intermediate",
            )
        ),
    ),
}

Progress = Callable[[str, int, int | None], None]  # (file, bytes done, total or None)


def archives_for(dataset: str) -> tuple[str, tuple[Archive, ...]]:
    if dataset not in SOURCES:
        raise ConfigError(f"no download for '{dataset}'; downloadable: {', '.join(SOURCES)}")
    return SOURCES[dataset]


def fetch(
    url: str, dest: Path, progress: Progress | None = None, retries: int = 3, timeout: float = 60.0
) -> Path:
    """Download ``url`` to ``dest``, resuming ``dest.part`` across interruptions."""
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    last_error: Exception | None = None
    for _ in range(retries + 1):
        done = part.stat().st_size if part.exists() else 0
        request = urllib.request.Request(url, headers={"Range": f"bytes={done}-"} if done else {})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                if done and response.status != 206:  # server ignored Range: start over
                    done = 0
                total = _total(response, done)
                with open(part, "ab" if done else "wb") as out:
                    while chunk := response.read(CHUNK):
                        out.write(chunk)
                        done += len(chunk)
                        if progress:
                            progress(dest.name, done, total)
                if total is not None and done < total:
                    raise ConnectionError(f"connection closed at {done} of {total} bytes")
            part.replace(dest)
            return dest
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and part.exists():  # nothing left to fetch: already complete
                part.replace(dest)
                return dest
            if exc.code in (401, 403, 404):
                raise DistillError(
                    f"{url}: HTTP {exc.code} {exc.reason} (check --base-url)"
                ) from None
            last_error = exc
        except (OSError, http.client.HTTPException) as exc:  # resets, timeouts, short reads
            last_error = exc
    raise DistillError(
        f"{url}: download failed after {retries + 1} attempts ({last_error}); "
        f"rerun to resume from {part}"
    )


def _total(response, done: int) -> int | None:
    content_range = response.headers.get("Content-Range", "")
    if "/" in content_range and content_range.rsplit("/", 1)[1].isdigit():
        return int(content_range.rsplit("/", 1)[1])
    length = response.headers.get("Content-Length")
    return done + int(length) if length and length.isdigit() else None


def verify(path: Path, archive: Archive) -> None:
    """Size and checksum where known, then every member's CRC; a bad file is removed."""
    problem = None
    if archive.size is not None and path.stat().st_size != archive.size:
        problem = f"size {path.stat().st_size} bytes, expected {archive.size}"
    elif archive.sha256 is not None and sha256(path) != archive.sha256:
        problem = "SHA-256 checksum mismatch"
    else:
        try:
            with zipfile.ZipFile(path) as zf:
                bad = zf.testzip()
            if bad is not None:
                problem = f"corrupt member {bad}"
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            problem = f"not a valid zip archive ({exc})"
    if problem:
        path.unlink(missing_ok=True)
        raise DataError(f"{path}: corrupt archive: {problem}; removed it, rerun to fetch again")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def extract(path: Path, root: Path) -> None:
    """Unzip into ``root`` (refusing members that would land outside it)."""
    root = root.resolve()
    with zipfile.ZipFile(path) as zf:
        for member in zf.namelist():
            target = (root / member).resolve()
            if root != target and root not in target.parents:
                raise DataError(f"{path}: member {member!r} would extract outside {root}")
        zf.extractall(root)


def download(
    dataset: str,
    root: Path,
    base_url: str | None = None,
    progress: Progress | None = None,
    keep_archives: bool = True,
) -> list[Path]:
    """Fetch, verify and extract every archive of ``dataset`` into ``root``."""
    default_base, archives = archives_for(dataset)
    base = (base_url or default_base).rstrip("/") + "/"
    downloads = root / "downloads"
    extracted = []
    for archive in archives:
        marker = downloads / f".{archive.file}.extracted"
        if marker.exists():
            continue
        path = downloads / archive.file
        if not path.exists():
            fetch(base + archive.file, path, progress)
        verify(path, archive)
        extract(path, root)
        marker.touch()
        if not keep_archives:
            path.unlink()
        extracted.append(path)
    if not keep_archives and downloads.exists() and not any(downloads.iterdir()):
        shutil.rmtree(downloads)
    return extracted
