"""Images/s delivered to the model: decode-once cache + on-device BatchAugment vs a
conventional DataLoader that decodes files with PIL and augments per sample on the CPU.

Run as ``python -m benchmarks.data``. Uses the real isic2017-cc0 images when present
(``$DISTILL_SHARED_DATA`` or ../shared/data), else synthetic JPEG/PNG files in a temp dir.
Both pipelines deliver normalised float batches of the same size with the same kinds of
augmentation, measured in the same process. Writes benchmarks/results/data/{data.json,
data.md,data.png}.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from benchmarks.environment import environment, environment_line
from distill.core.interfaces import IMAGENET_MEAN, IMAGENET_STD

OUT = Path(__file__).resolve().parent / "results" / "data"
CPU_TARGET = 5.0  # the data issue: on a 2-core CPU the cache delivers at least 5x the loader


def source_files(tmp: Path, n: int) -> tuple[list[tuple[Path, Path]], str]:
    from distill.plugins.datasets.isic2017 import default_shared_root

    root = default_shared_root()
    if root is not None:
        images = sorted((root / "ISIC-2017_Training_Data").glob("ISIC_*.jpg"))[:n]
        pairs = [
            (p, root / "ISIC-2017_Training_Part1_GroundTruth" / f"{p.stem}_segmentation.png")
            for p in images
        ]
        return pairs, f"isic2017-cc0 ({len(pairs)} real JPEGs, longer side 512)"
    from distill.plugins.datasets.synthetic_derm import SyntheticDerm

    gen = SyntheticDerm(SyntheticDerm.Params())
    pairs = []
    for i in range(n):
        image, mask = gen.generate(np.random.default_rng(i), (384, 512))
        ip, mp = tmp / f"img{i:04d}.jpg", tmp / f"img{i:04d}.png"
        Image.fromarray(image).save(ip, quality=95)
        Image.fromarray(mask * 255).save(mp)
        pairs.append((ip, mp))
    return pairs, f"synthetic-derm files ({n} JPEGs 512x384, temp dir)"


class FileDataset(torch.utils.data.Dataset):
    """The conventional way: decode, resize and augment one sample per __getitem__."""

    def __init__(self, pairs, size: int) -> None:
        from torchvision.transforms import v2

        self.pairs = pairs
        self.transform = v2.Compose(
            [
                v2.Resize((size, size), antialias=True),
                v2.RandomHorizontalFlip(0.5),
                v2.RandomVerticalFlip(0.5),
                v2.RandomApply(
                    [v2.RandomAffine(30, translate=(0.05, 0.05), scale=(0.85, 1.15))], p=0.7
                ),
                v2.RandomApply([v2.ColorJitter(0.15, 0.15, 0.1, 0.02)], p=0.8),
                v2.ToDtype(torch.float32, scale=True),
                v2.Normalize(list(IMAGENET_MEAN), list(IMAGENET_STD)),
            ]
        )

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, i: int):
        from torchvision import tv_tensors

        image_path, mask_path = self.pairs[i]
        image = torch.from_numpy(np.array(Image.open(image_path).convert("RGB"))).permute(2, 0, 1)
        mask = torch.from_numpy((np.asarray(Image.open(mask_path)) > 127).astype(np.int64))
        image, mask = self.transform(tv_tensors.Image(image), tv_tensors.Mask(mask))
        return image.as_subclass(torch.Tensor), mask.as_subclass(torch.Tensor)


def time_dataloader(pairs, size: int, batch: int, workers: int) -> float:
    loader = torch.utils.data.DataLoader(
        FileDataset(pairs, size),
        batch_size=batch,
        shuffle=True,
        num_workers=workers,
        persistent_workers=False,
        drop_last=False,
    )
    start, seen = time.perf_counter(), 0
    for images, _ in loader:
        seen += images.shape[0]
    return seen / (time.perf_counter() - start)


def time_cached(arrays, batch: int, device: str) -> float:
    """The engine's own path: ``DeviceSplit`` (uint8 NCHW moved to the device once, before
    training) and ``TrainBatches`` (gather, then one call augments, scales, normalises)."""
    from distill.core.config import AugmentParams
    from distill.core.engine.batches import DeviceSplit, TrainBatches
    from distill.core.interfaces import Dataset

    split = DeviceSplit(arrays, Dataset, torch.device(device))  # ImageNet mean/std defaults
    batches = TrainBatches(split, batch, AugmentParams(), seed=0)
    start, seen = time.perf_counter(), 0
    for images, _ in batches.epoch():
        seen += images.shape[0]
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return seen / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--count", type=int, default=456, help="images per epoch")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--repeats", type=int, default=2, help="best of N epochs each")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--threads",
        type=int,
        help="torch threads of the cached pipeline (default torch's, one per core, as the "
        "DataLoader gets one worker process per core)",
    )
    args = parser.parse_args(argv)
    args.threads = args.threads or torch.get_num_threads()
    os.environ.setdefault("DISTILL_QUIET", "1")

    from distill.core.interfaces import SplitArrays
    from distill.plugins.datasets import cache
    from distill.plugins.datasets.imageio import binarise, read_image, read_mask, resize_mask

    with tempfile.TemporaryDirectory() as tmp:
        pairs, source = source_files(Path(tmp), args.count)
        size = (args.size, args.size)
        # decode once (what `distill data prepare` does), timed separately
        t0 = time.perf_counter()
        entry = cache.CacheEntry(Path(tmp) / "cache" / "bench")

        def build(folder: Path) -> cache.Built:
            images, masks = cache.new_arrays(folder, len(pairs), size)
            for i, (ip, mp) in enumerate(pairs):
                images[i], original = read_image(ip, size)
                masks[i] = resize_mask(binarise(read_mask(mp, original), mp), size)
            return cache.Built(images, masks, [p.stem for p, _ in pairs])

        cache.load_or_build(entry, build)
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        arrays: SplitArrays = entry.read()
        load_s = time.perf_counter() - t0

        cached, loader = [], []
        default_threads = torch.get_num_threads()
        for _ in range(args.repeats):  # interleaved, so background load hits both alike
            loader.append(time_dataloader(pairs, args.size, args.batch, args.workers))
            torch.set_num_threads(args.threads)
            cached.append(time_cached(arrays, args.batch, args.device))
            torch.set_num_threads(default_threads)
    result = {
        "source": source,
        "images": len(pairs),
        "size": size,
        "batch": args.batch,
        "device": args.device,
        "dataloader_workers": args.workers,
        "cached_threads": args.threads,
        "dataloader_images_per_s": max(loader),
        "cached_images_per_s": max(cached),
        "all_dataloader": loader,
        "all_cached": cached,
        "speedup": max(cached) / max(loader),
        "target": CPU_TARGET if args.device == "cpu" else None,
        "cache_build_s": build_s,
        "cache_load_s": load_s,
        "environment": environment(args.device, argv),
    }
    write(result, args.out)
    return result


def target_lines(result: dict) -> list[str]:
    target = result.get("target")
    if target is None:
        return []
    verdict = "PASS" if result["speedup"] >= target else "FAIL"
    return [
        f"- {verdict}: cache >= {target:g}x the DataLoader (cpu) ({result['speedup']:.1f}x)",
        "",
    ]


def write(result: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    (out / "data.json").write_text(json.dumps(result, indent=2))
    md = [
        "# Data pipeline throughput",
        "",
        f"Source: {result['source']}; {result['size'][0]}x{result['size'][1]}, batch "
        f"{result['batch']}, device {result['device']}.",
        "",
        "| pipeline | images/s |",
        "|---|---|",
        f"| DataLoader + PIL decode + torchvision v2 per sample ({result['dataloader_workers']}"
        f" workers) | {result['dataloader_images_per_s']:.1f} |",
        f"| decode-once cache + BatchAugment on {result['device']} "
        f"({result['cached_threads']} threads) | "
        f"{result['cached_images_per_s']:.1f} |",
        "",
        f"**Speed-up: {result['speedup']:.1f}x** (best of {len(result['all_cached'])} "
        "epochs each, interleaved).",
        "",
        *target_lines(result),
        f"One-time cache build: {result['cache_build_s']:.1f} s; later load: "
        f"{result['cache_load_s']:.2f} s.",
        "",
        environment_line(result["environment"]),
    ]
    (out / "data.md").write_text("\n".join(md) + "\n")
    fig, ax = plt.subplots(figsize=(6, 3))
    names = ["DataLoader\n(PIL + torchvision)", "cache +\nBatchAugment"]
    values = [result["dataloader_images_per_s"], result["cached_images_per_s"]]
    ax.barh(names, values, color=["#999999", "#2a7fff"])
    ax.set_xlabel("images / s (higher is better)")
    ax.set_title(f"{result['speedup']:.1f}x at {result['size'][0]}x{result['size'][1]}")
    fig.tight_layout()
    fig.savefig(out / "data.png", dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    r = main()
    print(
        f"dataloader {r['dataloader_images_per_s']:.1f} img/s, cached "
        f"{r['cached_images_per_s']:.1f} img/s, speed-up {r['speedup']:.1f}x "
        "(written to --out, default benchmarks/results/data)"
    )
