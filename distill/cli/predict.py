"""``distill predict``: segment images with a run's or a bundle's model.

Imports no torch at module level: with ``--runtime onnxruntime`` and a bundle the whole
command runs on onnxruntime, numpy and Pillow (``distill.cli`` loads only this module for
``predict``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.progress import track

from distill.cli.app import app, console, err_console
from distill.core.errors import ConfigError, DataError


@app.command("predict")
def predict_command(
    source: Path = typer.Argument(..., help="a run folder or a bundle (distill export)"),
    inputs: list[Path] = typer.Argument(..., help="image files or folders"),
    out: Path = typer.Option(..., "--out", "-o", help="folder for masks/, overlays/, ..."),
    model: str = typer.Option("student", "--model", help="student, or teacherN (run folder)"),
    runtime: str = typer.Option("torch", "--runtime", help="torch, or onnxruntime (a bundle)"),
    int8: bool = typer.Option(False, "--int8", help="onnxruntime: the bundle's int8 model"),
    device: str = typer.Option("auto", "--device", help="torch runtime: cpu, cuda, ..."),
    threads: Optional[int] = typer.Option(None, "--threads", min=1, help="CPU threads"),
    tta: Optional[str] = typer.Option(None, "--tta", help="flip: mean over flipped images"),
    probabilities: bool = typer.Option(
        False, "--probabilities", help="also save class probabilities (float32 .npy)"
    ),
    overlays: bool = typer.Option(True, "--overlays/--no-overlays"),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="skip unreadable images, count them"),
    batch_size: int = typer.Option(8, "--batch-size", min=1),
    mask_format: str = typer.Option(
        "png",
        "--format",
        help="png: 0/255 for two classes, else class ids; nnunet: class ids, named after "
        "the case (CASE_0000.png -> CASE.png), as nnU-Net's labelsTr",
    ),
) -> None:
    """Segment images: OUT/masks/ (label PNGs at each input's size), OUT/overlays/, and
    OUT/manifest.csv mapping each input to its files."""
    from distill.deploy.outputs import Writer, collect, nnunet_case, output_names, write_manifest
    from distill.deploy.predictor import load

    predictor = load(
        source, model=model, device=device, runtime=runtime, threads=threads, int8=int8
    )
    items = collect(inputs)
    if mask_format not in ("png", "nnunet"):
        raise ConfigError(f"--format must be png or nnunet, got '{mask_format}'")
    names = output_names(items)
    if mask_format == "nnunet":
        names = [nnunet_case(n) for n in names]
        if len(set(names)) < len(names):
            raise ConfigError(
                "--format nnunet: two inputs name the same case (one file per "
                "case: multi-channel cases are not predicted file by file)"
            )
    writer = Writer(
        out, predictor.num_classes == 2, overlays, probabilities, class_ids=mask_format == "nnunet"
    )
    writer.check_free(names)
    rows, skipped = [], []
    decoded = _decode_all(predictor, items, names, skip_bad, rows, skipped)
    stream = predictor.iter_probabilities(decoded, tta=tta, batch_size=batch_size)
    for item, probs in track(
        stream, total=len(items) - len(skipped), console=console, description="predicting"
    ):
        path = items[int(item.name)].path
        image = predictor.preprocess.full_size(path) if overlays else None
        paths = writer.write(names[int(item.name)], probs, image)
        rows.append(_row(path, paths, probs.shape))
    manifest = write_manifest(out, sorted(rows, key=lambda r: r["input"]))
    console.print(
        f"{predictor!r}: wrote {len(items) - len(skipped)} mask(s) to {out / 'masks'}; {manifest}",
        highlight=False,
        soft_wrap=True,
    )
    if skipped:
        err_console.print(
            f"[yellow]skipped {len(skipped)} unreadable image(s)[/]: " + ", ".join(skipped),
            highlight=False,
            soft_wrap=True,
        )


def _decode_all(predictor, items, names, skip_bad: bool, rows: list, skipped: list):
    """Decoded inputs one by one (``name`` = the index); a bad one is skipped or raised."""
    for index, item in enumerate(items):
        try:
            yield predictor.preprocess.decode(item.path, name=str(index))
        except DataError as err:
            if not skip_bad:
                raise DataError(f"{err} (pass --skip-bad to skip unreadable images)") from None
            skipped.append(str(item.path))
            err_console.print(f"[yellow]skipped[/] {err}", highlight=False, soft_wrap=True)
            rows.append({"input": str(item.path), "status": f"skipped: {err}"})


def _row(path: Path, paths: list[Path], shape: tuple[int, ...]) -> dict[str, str]:
    targets = {p.parent.name: str(p) for p in paths}
    return {
        "input": str(path),
        "mask": targets.get("masks", ""),
        "overlay": targets.get("overlays", ""),
        "probabilities": targets.get("probabilities", ""),
        "width": str(shape[2]),
        "height": str(shape[1]),
        "status": "ok",
    }
