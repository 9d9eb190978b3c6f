"""`distill eval`: score a trained run's student (or teacher); `distill predict` is in predict.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from distill.cli.app import app, console
from distill.core.errors import ConfigError

MODEL_OPTION = typer.Option("student", "--model", help="student, or teacher / teacherN")


@app.command("eval")
def eval_command(
    run_dir: Path = typer.Argument(..., help="a run folder", file_okay=False),
    split: str = typer.Option(
        "test", "--split", help="train, val, test, or a held-out split (shift)"
    ),
    dataset: Optional[str] = typer.Option(None, "--dataset", help="evaluate on another dataset"),
    data_root: Optional[Path] = typer.Option(None, "--data-root"),
    model: str = MODEL_OPTION,
    device: str = typer.Option("auto", "--device"),
    tta: Optional[str] = typer.Option(None, "--tta", help="flip: mean over the flipped images"),
    json_out: Optional[Path] = typer.Option(None, "--json", help="write the metrics as JSON"),
    record: bool = typer.Option(
        False,
        "--record",
        help="keep the scores in the run folder (scores-SPLIT.json): distill compare and "
        "the accuracy report show them beside the test mDice",
    ),
) -> None:
    """Evaluate a saved model on a split and print the metric table."""
    from distill.core.evaluation import eval_dataset, load_trained, score_split
    from distill.core.report.tables import metrics_table
    from distill.core.run import Run

    run = Run.open(run_dir)
    if record:
        check_recordable(split, dataset or data_root, model, tta)
    trained = load_trained(run, model)
    target = eval_target(run, dataset, data_root)
    data = eval_dataset(run, target)
    settings = dict(
        device=device, batch_size=run.config.eval.batch_size, spacing=run.config.eval.spacing
    )
    scores, seconds = score_split(trained, data, split, **settings)
    title = f"{trained.label} on {data.name}/{split} ({int(scores.summary['n_images'])} images)"
    console.print(metrics_table(scores.summary, title=title))
    if tta:
        with_tta, tta_seconds = score_split(trained, data, split, tta=tta, **settings)
        console.print(metrics_table(with_tta.summary, title=f"{title}, tta={tta}"))
        gain = with_tta.summary["mDice"] - scores.summary["mDice"]
        console.print(
            f"tta {tta}: mDice {gain:+.4f}, prediction time x{tta_seconds / seconds:.2f} "
            f"({seconds:.2f} s -> {tta_seconds:.2f} s)"
        )
        scores = with_tta
    if json_out:
        json_out.write_text(json.dumps(scores.to_dict(), indent=2))
    if record:
        earlier = run.held_out_scores(split) is not None
        path = run.write_held_out(split, scores.to_dict())
        console.print(
            f"recorded in {path}" + (" (replacing the earlier record)" if earlier else "")
        )


def check_recordable(split: str, other_data: object, model: str, tta: str | None) -> None:
    """A recorded score stands in the run folder for the run's own student on its own
    dataset: anything else would be read back as if it were that."""
    reasons = [
        (split == "test", "the test scores are the run's own (test_metrics.json)"),
        (bool(other_data), "it scores the run's own dataset only (drop --dataset/--data-root)"),
        (model != "student", "it records the student only (drop --model)"),
        (bool(tta), "it records plain predictions only (drop --tta)"),
    ]
    for refused, why in reasons:
        if refused:
            raise ConfigError(f"--record --split {split}: {why}")


def eval_target(run, dataset: str | None, data_root: Path | None) -> dict | None:
    """The dataset to score on: the run's own, maybe at another root, or another one."""
    if not (dataset or data_root):
        return None
    current = run.config.data.dataset
    target = (
        current.model_dump(mode="json") if dataset in (None, current.name) else {"name": dataset}
    )
    if data_root:
        target["data_root"] = str(data_root)
    return target
