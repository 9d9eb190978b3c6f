"""TensorBoard: event files beside the run (``RUN/tensorboard``), no server involved.

Scalars are the metrics rows, ``<stage>/<key>`` stepped by the stage's epoch (the panels of
``curves.png``); the resolved config and the tags are text; at the end the test metrics are
scalars, the curves and overlays images and the report text. A sweep trial also writes the
hparams plugin's records (its sampled values, state and scores), so ``tensorboard --logdir
SWEEP/trials`` compares trials in the HPARAMS tab.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field

from distill.core.config import to_yaml
from distill.core.errors import ConfigError
from distill.core.hookspecs import hookimpl
from distill.core.tracking import Logger, LoggerParams, current_trial, final_state
from distill.core.tracking.values import result_metrics, row_metrics

if TYPE_CHECKING:
    from distill.core.run import Run

SUBFOLDER = "tensorboard"
BEST_VAL = "trial/best_val_mDice"  # the sweep's objective, as a scalar the hparams tab shows


class TensorBoardLogger(Logger):
    """TensorBoard event files: curves, config, test metrics, images, sweep hparams."""

    class Params(LoggerParams):
        log_dir: Path | None = Field(
            None,
            description="folder for event files; default RUN/tensorboard. A folder given "
            "here gets one subfolder per run, named like the run folder",
        )
        flush_secs: int = Field(10, ge=1, description="seconds between writes to disk")

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        if importlib.util.find_spec("tensorboard") is None:
            raise ConfigError(
                "the tensorboard logger needs the tensorboard package: pip install 'distill[track]'"
            )
        self.writer: Any = None
        self.best_val: float | None = None

    def log_dir(self, run: Run) -> Path:
        given = self.params.log_dir
        return Path(run.path) / SUBFOLDER if given is None else Path(given) / Path(run.path).name

    def start(self, run: Run) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(str(self.log_dir(run)), flush_secs=self.params.flush_secs)
        self.writer.add_text("config", fenced(to_yaml(run.config), "yaml"))
        self.writer.add_text("tags", table(run.tags))

    def row(self, row: dict[str, Any]) -> None:
        step, values = row_metrics(row)
        for tag, value in values.items():
            self.writer.add_scalar(tag, value, step)
        if row.get("stage") == "student" and "val/mDice" in row:
            self.best_val = max(self.best_val or float("-inf"), float(row["val/mDice"]))

    def finish(self, run: Run, status: str) -> None:
        tests = result_metrics(run.test)
        for tag, value in tests.items():
            self.writer.add_scalar(tag, value, 0)
        for path in run.artifacts():
            self.artifact(Path(run.path), path)
        self.writer.add_text("status", status)
        trial = current_trial()
        if trial is not None:
            self.hparams(trial, final_state(trial, status), tests)
        self.writer.close()

    def artifact(self, root: Path, path: Path) -> None:
        """PNGs as images, Markdown as text; folders (an exported bundle) have no place here."""
        tag = path.relative_to(root).with_suffix("").as_posix()
        if path.suffix == ".png":
            import numpy as np
            from PIL import Image

            with Image.open(path) as image:
                pixels = np.asarray(image.convert("RGB"))
            self.writer.add_image(tag, pixels, 0, dataformats="HWC")
        elif path.suffix == ".md":
            self.writer.add_text(tag, path.read_text())

    def hparams(self, trial: Any, state: str, tests: dict[str, float]) -> None:
        """The hparams plugin's three records, in this run's own event file, so the HPARAMS
        tab links each trial to its curves (``add_hparams`` would start another run)."""
        from torch.utils.tensorboard.summary import hparams

        values: dict[str, Any] = {"trial": trial.number, "state": state}
        values.update(
            {k: v if isinstance(v, (int, float, str)) else str(v) for k, v in trial.params.items()}
        )
        metrics = {BEST_VAL: self.best_val if self.best_val is not None else float("nan")}
        metrics.update({k: tests[k] for k in ("test/mDice", "test/mIoU") if k in tests})
        self.writer.add_scalar(BEST_VAL, metrics[BEST_VAL], 0)
        for summary in hparams(values, metrics):
            self.writer.file_writer.add_summary(summary)


def fenced(text: str, language: str) -> str:
    return f"```{language}\n{text}\n```"


def table(values: dict[str, str]) -> str:
    rows = "\n".join(f"| {k} | {v} |" for k, v in values.items())
    return f"| tag | value |\n|---|---|\n{rows}"


@hookimpl
def distill_register_loggers(register):
    register("tensorboard", TensorBoardLogger)
