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
    json_out: Optional[Path] = typer.Option(None, "--json", help="write the metrics as JSON"),
) -> None:
    """Evaluate a saved model on a split and print the metric table."""
    from distill.core.config import RuntimeConfig
    from distill.core.engine.batches import DeviceSplit
    from distill.core.engine.evaluate import evaluate
    from distill.core.engine.experiment import load_run_config
    from distill.core.engine.runtime import Runtime
    from distill.core.engine.saved_run import load_saved_model
    from distill.core.report.tables import metrics_table

    override = None
    if dataset or data_root:
        current = load_run_config(run_dir).data.dataset
        same = dataset is None or dataset == current.name
        override = current.model_dump() if same else {"name": dataset}
        if data_root:
            override["data_root"] = str(data_root)
    saved = load_saved_model(run_dir, model, override)
    runtime = Runtime(RuntimeConfig(device=device))
    runtime.prepare(saved.model)
    arrays = saved.dataset.load(split, tuple(saved.cfg.data.size))
    result = evaluate(
        saved.model,
        DeviceSplit(arrays, saved.dataset, runtime.device, False),
        runtime,
        saved.cfg.eval.batch_size,
        saved.cfg.eval.spacing,
        saved.dataset.class_names,
    )
    title = f"{saved.label} on {saved.cfg.data.dataset.name}/{split} ({len(arrays)} images)"
    console.print(metrics_table(result.summary, title=title))
    if json_out:
        json_out.write_text(json.dumps(result.scores.to_dict(), indent=2))


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
    from distill.core.engine.saved_run import load_saved_model
    from distill.core.metrics import label_map
    from distill.core.report.overlays import overlay_image
    from distill.plugins.datasets.imageio import read_image

    saved = load_saved_model(run_dir, model)
    runtime = Runtime(RuntimeConfig(device=device))
    net = runtime.prepare(saved.model)
    size = tuple(saved.cfg.data.size)
    mean = torch.tensor(saved.dataset.mean, device=runtime.device).view(1, -1, 1, 1)
    std = torch.tensor(saved.dataset.std, device=runtime.device).view(1, -1, 1, 1)
    binary = saved.dataset.num_classes == 2
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
