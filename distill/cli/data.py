"""``distill data``: inspect, prepare (decode once), preview and download datasets."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Optional

import typer
import yaml
from rich.table import Table

from distill.cli.app import app, console
from distill.core.errors import ConfigError

data_app = typer.Typer(
    help="Datasets: info, prepare (decode and cache), preview, download.", no_args_is_help=True
)
app.add_typer(data_app, name="data")

DATA_ROOT = typer.Option(None, "--data-root", help="folder holding the dataset")
SETS = typer.Option(None, "--set", help="dataset parameter key=value (repeatable)")
SKIP_BAD = typer.Option(False, "--skip-bad", help="skip unreadable items and list them")
SIZE = typer.Option((128, 128), "--size", help="training size: height width")


def parse_sets(sets: list[str] | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in sets or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item!r}: expected key=value")
        values[key.strip()] = yaml.safe_load(raw) if raw.strip() else ""
    return values


def build_dataset(name: str, data_root: Path | None, sets: list[str] | None, skip_bad: bool):
    from distill.core.plugins import registry

    params = parse_sets(sets)
    if data_root is not None:
        params["data_root"] = data_root
    if skip_bad:
        params["skip_bad"] = True
    return registry().get("dataset", name).build(params)


def class_balance(masks, num_classes: int) -> list[float]:
    import numpy as np

    counts = np.bincount(masks.reshape(-1), minlength=num_classes).astype(float)
    return (counts / max(counts.sum(), 1)).tolist()


def headers(ds, split: str) -> list:
    """Header facts (channels, bit depth, size) of a split's image files."""
    from distill.core.errors import DataError
    from distill.plugins.datasets.imageio import describe_image

    if not hasattr(ds, "splits"):
        return []
    found = []
    for item in ds.splits()[split]:
        for path in (item.image, *item.extra):
            try:
                found.append(describe_image(path))
            except DataError:
                continue
    return found


def original_sizes(ds, split: str) -> str:
    """min / median / max source image size (header reads only)."""
    import numpy as np

    if not hasattr(ds, "splits"):
        return "generated at the training size"
    sizes = [info.size for info in headers(ds, split)]
    if not sizes:
        return "-"
    areas = np.array([w * h for w, h in sizes])
    order = np.argsort(areas)
    pick = [sizes[order[0]], sizes[order[len(order) // 2]], sizes[order[-1]]]
    return " / ".join(f"{w}x{h}" for w, h in pick)


@data_app.command("info")
def info_command(
    dataset: str = typer.Argument(..., help="dataset name (see `distill plugins`)"),
    data_root: Path = DATA_ROOT,
    sets: list[str] = SETS,
    skip_bad: bool = SKIP_BAD,
    size: tuple[int, int] = SIZE,
    decode: bool = typer.Option(False, "--decode", help="build the cache to show balance"),
) -> None:
    """Counts per split, class balance, source image sizes and cache state."""
    ds = build_dataset(dataset, data_root, sets, skip_bad)
    table = Table(title=f"{dataset} ({ds.num_classes} classes: {', '.join(ds.class_names)})")
    for col in (
        "split",
        "items",
        "class balance (pixels)",
        "source size min/med/max",
        f"cache {size[0]}x{size[1]}",
    ):
        table.add_column(col)
    for split in ds.split_names():
        entry = ds.cache_entry(split, size)
        n = len(ds.splits()[split]) if hasattr(ds, "splits") else ds.count(split)
        balance = "-"
        if entry.exists or decode:
            arrays = ds.load(split, size)
            n = len(arrays)
            balance = " ".join(
                f"{name} {f:.1%}"
                for name, f in zip(
                    ds.class_names, class_balance(arrays.masks, ds.num_classes), strict=False
                )
            )
        state = f"ready ({entry.nbytes() / 2**20:.1f} MiB)" if entry.exists else "not built"
        table.add_row(split, str(n), balance, original_sizes(ds, split), state)
    console.print(table)
    console.print(f"cache folder: {entry.path.parent}")
    describe_data(ds)


def describe_data(ds) -> None:
    """Channels, bit depths, classes with names, ignore label, split origin, skipped files."""
    from collections import Counter

    from distill.core.metrics import IGNORE_INDEX

    depths = Counter(info.depth for split in ds.split_names() for info in headers(ds, split))
    shown = ", ".join(f"{d} x{n}" for d, n in sorted(depths.items())) or "generated (8-bit)"
    console.print(f"channels: {ds.in_channels}  bit depth: {shown}", highlight=False)
    classes = ", ".join(f"{i} {name}" for i, name in enumerate(ds.class_names))
    console.print(f"classes: {classes}", highlight=False)
    ignore = getattr(ds.params, "ignore_index", None)
    meta = getattr(ds, "meta", None)
    if meta is not None and getattr(meta, "ignore_label", None) is not None:
        ignore = meta.ignore_label
    if ignore is not None:
        console.print(
            f"ignore label: {ignore} (stored as {IGNORE_INDEX}, left out of losses and metrics)",
            highlight=False,
        )
    if getattr(ds, "split_origin", ""):
        console.print(f"splits: {ds.split_origin}", highlight=False)
    if ds.skipped:
        console.print(f"[yellow]{len(ds.skipped)} file(s) skipped:[/]")
        for file, reason in ds.skipped:
            console.print(f"  {file}: {reason}", highlight=False, soft_wrap=True)


@data_app.command("prepare")
def prepare_command(
    dataset: str = typer.Argument(..., help="dataset name"),
    data_root: Path = DATA_ROOT,
    sets: list[str] = SETS,
    skip_bad: bool = SKIP_BAD,
    size: tuple[int, int] = SIZE,
) -> None:
    """Decode, resize and cache every split now (later runs load in seconds)."""
    ds = build_dataset(dataset, data_root, sets, skip_bad)
    table = Table(title=f"{dataset} cached at {size[0]}x{size[1]}")
    for col in ("split", "items", "seconds", "MiB", "cache entry"):
        table.add_column(col)
    for split in ds.split_names():
        start = time.perf_counter()
        arrays = ds.load(split, size)
        entry = ds.cache_entry(split, size)
        table.add_row(
            split,
            str(len(arrays)),
            f"{time.perf_counter() - start:.1f}",
            f"{entry.nbytes() / 2**20:.1f}",
            str(entry.path),
        )
    console.print(table)
    if ds.skipped:
        console.print(f"[yellow]{len(ds.skipped)} bad item(s) skipped[/] (listed above)")


@data_app.command("preview")
def preview_command(
    dataset: str = typer.Argument(..., help="dataset name"),
    data_root: Path = DATA_ROOT,
    sets: list[str] = SETS,
    skip_bad: bool = SKIP_BAD,
    size: tuple[int, int] = SIZE,
    out: Path = typer.Option(Path("preview.png"), "--out", help="PNG file to write"),
    count: int = typer.Option(8, "--count", min=1, help="samples in the grid"),
    split: str = typer.Option("train", "--split", help="split to sample"),
    seed: int = typer.Option(0, "--seed", help="augmentation seed"),
    augment: bool = typer.Option(True, "--augment/--no-augment", help="apply BatchAugment"),
) -> None:
    """Write a PNG grid of (augmented) samples with their masks overlaid."""
    from distill.plugins.datasets.preview import preview_grid

    ds = build_dataset(dataset, data_root, sets, skip_bad)
    arrays = ds.load(split, size)
    preview_grid(arrays, ds.num_classes, out, count=count, seed=seed, augment=augment)
    console.print(f"wrote {out} ({min(count, len(arrays))} samples of {dataset} {split})")
    describe_data(ds)


@data_app.command("convert")
def convert_command(
    dataset: str = typer.Argument(..., help="source dataset name (see `distill plugins`)"),
    out: Path = typer.Argument(..., help="folder to write the nnU-Net raw dataset into"),
    to: str = typer.Option("nnunet", "--to", help="target format (nnunet)"),
    data_root: Path = DATA_ROOT,
    sets: list[str] = SETS,
    skip_bad: bool = SKIP_BAD,
    size: Optional[tuple[int, int]] = typer.Option(
        None, "--size", help="height width (default: each file's own size)"
    ),
) -> None:
    """Write a dataset as an nnU-Net v2 raw folder, with our split as splits_final.json."""
    from distill.plugins.datasets.convert import to_nnunet
    from distill.plugins.datasets.progress import progress_bar

    if to != "nnunet":
        raise ConfigError(f"--to {to!r}: the only target format is nnunet")
    ds = build_dataset(dataset, data_root, sets, skip_bad)
    total = sum(len(v) for v in ds.splits().values()) if hasattr(ds, "splits") else None
    with progress_bar(f"writing {out}", total or 0) as advance:
        ids = to_nnunet(ds, out, size, lambda _ident: advance(1))
    counts = ", ".join(f"{s} {len(v)}" for s, v in ids.items())
    console.print(f"wrote {out} ({counts}); read it with --dataset nnunet --data-root {out}")


@data_app.command("download")
def download_command(
    dataset: str = typer.Argument(..., help="isic2017 or sipakmed"),
    data_root: Path = typer.Option(..., "--data-root", help="folder to download into"),
    base_url: str = typer.Option(None, "--base-url", help="mirror holding the archives"),
    keep_archives: bool = typer.Option(True, "--keep-archives/--delete-archives"),
) -> None:
    """Fetch the official archives (resumable), verify and extract them."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    from distill.plugins.datasets.download import download

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=console,
    ) as progress:
        tasks: dict[str, Any] = {}

        def report(file: str, done: int, total: int | None) -> None:
            if file not in tasks:
                tasks[file] = progress.add_task(file, total=total)
            progress.update(tasks[file], completed=done, total=total)

        fetched = download(dataset, data_root, base_url, report, keep_archives)
    console.print(
        f"{dataset}: {len(fetched)} archive(s) fetched and extracted into "
        f"{data_root}; read it with --data-root {data_root}"
    )
