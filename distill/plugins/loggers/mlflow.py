"""MLflow: one MLflow run per distill run, in a local store unless a URI is given.

Params are the resolved config as dotted keys; tags name the student, teachers, distillers,
dataset, seed, preset and git commit; metrics are the metrics rows (``<stage>/<key>``,
stepped by the stage's epoch), then the test summary and per-class scores; artifacts are
the curves, overlays, report and an exported bundle. A sweep trial is a child run of its
study's parent run (see :mod:`distill.plugins.loggers.mlflow_sweep`).
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distill.core.errors import ConfigError
from distill.core.hookspecs import hookimpl
from distill.core.tracking import Logger, current_trial, final_state
from distill.core.tracking.values import flat_params, result_metrics, row_metrics
from distill.plugins.loggers.mlflow_client import (
    PRUNED,
    STATUS,
    MlflowParams,
    batches,
    connect,
)
from distill.plugins.loggers.mlflow_sweep import MlflowStudy

if TYPE_CHECKING:
    from distill.core.run import Run


class MlflowLogger(Logger):
    """MLflow runs: params, tags, per-epoch metrics, test scores, artifacts; sweeps nest."""

    Params = MlflowParams
    Study = MlflowStudy

    def __init__(self, params: MlflowParams) -> None:
        super().__init__(params)
        if importlib.util.find_spec("mlflow") is None:
            raise ConfigError("the mlflow logger needs mlflow: pip install 'distill[track]'")
        self.client: Any = None
        self.run_id = ""

    def start(self, run: Run) -> None:
        from mlflow.entities import Param

        self.client, experiment = connect(self.params, run.config.out)
        tags = {k: v for k, v in run.tags.items() if v}
        tags["distill.run_dir"] = str(Path(run.path).resolve())
        if tags.get("commit"):
            tags["mlflow.source.git.commit"] = tags["commit"]
        params = flat_params(run.config.model_dump(mode="json"))
        trial = current_trial()
        if trial is not None:
            tags.update({"distill.study": trial.study, "trial.number": str(trial.number)})
            if trial.links.get("mlflow.parent"):
                tags["mlflow.parentRunId"] = trial.links["mlflow.parent"]
            params.update(flat_params({"trial": {"number": trial.number, **trial.params}}))
        created = self.client.create_run(experiment, tags=tags, run_name=Path(run.path).name)
        self.run_id = created.info.run_id
        if trial is not None:
            trial.links["mlflow.run"] = self.run_id
        for chunk in batches([Param(k, v) for k, v in params.items()], 100):
            self.client.log_batch(self.run_id, params=chunk, synchronous=True)

    def row(self, row: dict[str, Any]) -> None:
        step, values = row_metrics(row)
        self.metrics(values, step)

    def finish(self, run: Run, status: str) -> None:
        self.metrics(result_metrics(run.test), 0)
        if self.params.artifacts:
            for path in run.artifacts():
                self.upload(Path(run.path), Path(path))
        trial = current_trial()
        pruned = trial is not None and final_state(trial, status) == "pruned"
        self.client.set_terminated(self.run_id, PRUNED if pruned else STATUS.get(status, "FAILED"))

    def metrics(self, values: dict[str, float], step: int) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        items = [Metric(k, v, now, step) for k, v in values.items()]
        for chunk in batches(items, 1000):
            self.client.log_batch(self.run_id, metrics=chunk, synchronous=True)

    def upload(self, root: Path, path: Path) -> None:
        """A file under its folder relative to the run (``overlays/x.png``); a folder (the
        exported bundle) whole, under its own name."""
        relative = path.relative_to(root) if path.is_relative_to(root) else Path(path.name)
        if path.is_dir():
            self.client.log_artifacts(self.run_id, str(path), relative.as_posix())
        else:
            parent = relative.parent.as_posix()
            self.client.log_artifact(self.run_id, str(path), None if parent == "." else parent)


@hookimpl
def distill_register_loggers(register):
    register("mlflow", MlflowLogger)
