"""`distill eval` and `distill predict`: use a trained run's student (or teacher)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F
import typer
from PIL import Image
from rich.progress import track

from distill.cli.app import app, console
from distill.core.errors import DataError

MODEL_OPTION = typer.Option("student", "--model", help="student, or teacher / teacherN")


@app.command("eval")
def eval_command(
    run_dir: Path = typer.Argument(..., help="a run folder", file_okay=False),
    split: str = typer.Option("test", "--split", help="train, val or test"),
    dataset: Optional[str] = typer.Option(None, "--dataset", help="evaluate on another dataset"),
    data_root: Optional[Path] = typer.Option(None, "--data-root"),
    model: str = MODEL_OPTION,
    device: str = typer.Option("auto", "--device"),
    tta: Optional[str] = typer.Option(None, "--tta", help="flip: mean over the flipped images"),
    json_out: Optional[Path] = typer.Option(None, "--json", help="write the metrics as JSON"),
) -> None:
    """Evaluate a saved model on a split and print the metric table."""
    from distill.core.evaluation import eval_dataset, load_trained, score_split
    from distill.core.report.tables import metrics_table
    from distill.core.run import Run

    run = Run.open(run_dir)
    trained = load_trained(run, model)
    target = eval_target(run, dataset, data_root)
    data = eval_dataset(run, target)
    settings = dict(device=device, batch_size=run.config.eval.batch_size,
                    spacing=run.config.eval.spacing)  # fmt: skip
    scores, seconds = score_split(trained, data, split, **settings)
    title = f"{trained.label} on {data.name}/{split} ({int(scores.summary['n_images'])} images)"
    console.print(metrics_table(scores.summary, title=title))
    if tta:
        with_tta, tta_seconds = score_split(trained, data, split, tta=tta, **settings)
        console.print(metrics_table(with_tta.summary, title=f"{title}, tta={tta}"))
        gain = with_tta.summary["mDice"] - scores.summary["mDice"]
        console.print(f"tta {tta}: mDice {gain:+.4f}, prediction time x{tta_seconds / seconds:.2f} "
                      f"({seconds:.2f} s -> {tta_seconds:.2f} s)")  # fmt: skip
        scores = with_tta
    if json_out:
        json_out.write_text(json.dumps(scores.to_dict(), indent=2))


def eval_target(run, dataset: str | None, data_root: Path | None) -> dict | None:
    """The dataset to score on: the run's own, maybe at another root, or another one."""
    if not (dataset or data_root):
        return None
    current = run.config.data.dataset
    target = current.model_dump(mode="json") if dataset in (None, current.name) else {
        "name": dataset}  # fmt: skip
    if data_root:
        target["data_root"] = str(data_root)
    return target


def collect_inputs(inputs: list[Path]) -> list[Path]:
    from distill.plugins.datasets.imageio import list_images

    files: list[Path] = []
    for item in inputs:
        if item.is_dir():
            files += list_images(item)
        elif item.is_file():
            files.append(item)
        else:
            raise DataError(f"{item}: no such file or folder")
    if not files:
        raise DataError(f"no images found in {', '.join(map(str, inputs))}")
    return files


@app.command("predict")
def predict_command(
    run_dir: Path = typer.Argument(..., help="a run folder", file_okay=False),
    inputs: list[Path] = typer.Argument(..., help="image files or folders"),
    out: Path = typer.Option(..., "--out", "-o", help="folder for masks and overlays"),
    model: str = MODEL_OPTION,
    device: str = typer.Option("auto", "--device"),
) -> None:
    """Segment images: a mask PNG (input size) and an overlay PNG for each."""
    from distill.core.config import RuntimeConfig
    from distill.core.engine.runtime import Runtime
    from distill.core.evaluation import load_trained
    from distill.core.metrics import label_map
    from distill.core.report.overlays import overlay_image
    from distill.core.run import Run
    from distill.plugins.datasets.imageio import read_image

    trained = load_trained(Run.open(run_dir), model)
    runtime = Runtime(RuntimeConfig(device=device))
    net = runtime.prepare(trained.model)
    pre = trained.preprocess
    size = pre.size
    mean = torch.tensor(pre.mean, device=runtime.device).view(1, -1, 1, 1)
    std = torch.tensor(pre.std, device=runtime.device).view(1, -1, 1, 1)
    binary = pre.num_classes == 2
    out.mkdir(parents=True, exist_ok=True)
    files = collect_inputs(inputs)
    for path in track(files, description="predicting", console=console):
        small, (width, height) = read_image(path, size)
        full, _ = read_image(path, None)
        x = (
            torch.from_numpy(small.copy())
            .permute(2, 0, 1)[None]
            .float()
            .div(255)
            .to(runtime.device)
        )
        with torch.no_grad(), runtime.autocast():
            logits = net((x - mean) / std).logits.float()
        logits = F.interpolate(logits, size=(height, width), mode="bilinear", align_corners=False)
        labels = label_map(logits)[0].to(torch.uint8).cpu().numpy()
        mask = labels * 255 if binary else labels
        Image.fromarray(mask.astype(np.uint8)).save(out / f"{path.stem}_mask.png")
        Image.fromarray(overlay_image(full, labels)).save(out / f"{path.stem}_overlay.png")
    console.print(f"wrote {len(files)} masks and overlays to {out}")
