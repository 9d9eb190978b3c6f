"""Command-line arguments of a real run that takes seconds: a U-Net four channels wide,
small images, few epochs, one thread. Tests pass only what they vary."""

from __future__ import annotations


def tiny_run_args(
    *,
    size: int = 32,
    epochs: int = 1,
    batch: int = 4,
    counts: tuple[int, int, int] | None = None,
    distiller: str | None = "none",
    sets: tuple[str, ...] = (),
) -> list[str]:
    """``distill run`` arguments; ``counts``: synthetic train/val/test images; ``sets``:
    more ``--set`` PATH=VALUE entries; ``distiller`` None leaves the choice to the caller."""
    args = ["--student", "unet", "--set", "student.base_width=4", "--size", str(size), str(size)]
    args += ["--epochs", str(epochs)]
    if distiller:
        args += ["--distiller", distiller]
    values = [f"train.batch_size={batch}", "runtime.num_threads=1", *sets]
    if counts:
        names = ("train_count", "val_count", "test_count")
        values += [f"data.dataset.{n}={c}" for n, c in zip(names, counts, strict=True)]
    for value in values:
        args += ["--set", value]
    return args
