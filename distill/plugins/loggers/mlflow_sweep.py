"""A sweep in MLflow: one parent run per study, each trial a child run under it.

The parent holds the sweep's settings and search space as params, every trial's objective
as the metric ``trial/value`` stepped by trial number, and the best trial at the end. Each
child run (made by the trial's own :class:`~distill.plugins.loggers.mlflow.MlflowLogger`)
gets the trial's number, sampled values and final state (``trial.state``: complete, pruned
or failed). Workers sharing a study find its parent run by the tag ``distill.study``.
"""

from __future__ import annotations

import time
from typing import Any

from distill.core.tracking import StudyInfo, StudyLogger, TrialInfo
from distill.core.tracking.values import flat_params
from distill.plugins.loggers.mlflow_client import PRUNED, MlflowParams, batches, connect

ROLE = "distill.role"
STATES = {"complete": "FINISHED", "pruned": PRUNED, "failed": "FAILED"}


class MlflowStudy(StudyLogger):
    """The study's parent run; its trials' runs nest under it."""

    def __init__(self, params: MlflowParams) -> None:
        super().__init__(params)
        self.client: Any = None
        self.parent = ""

    def start(self, study: StudyInfo) -> None:
        self.client, experiment = connect(self.params, study.config.out)
        name = study.name.replace("'", "")
        found = self.client.search_runs(
            [experiment],
            filter_string=f"tags.`distill.study` = '{name}' and tags.`{ROLE}` = 'study'",
            max_results=1,
        )
        if found:  # a continued study, or another worker's: share its parent run
            self.parent = found[0].info.run_id
            return
        tags = {"distill.study": study.name, ROLE: "study"}
        self.parent = self.client.create_run(experiment, tags=tags, run_name=study.name).info.run_id
        self.params_once(flat_params({"sweep": study.settings, "space": study.space}))

    def params_once(self, values: dict[str, str]) -> None:
        """Params cannot change once logged, so only the run that created them logs them."""
        from mlflow.entities import Param

        for chunk in batches([Param(k, v) for k, v in values.items()], 100):
            self.client.log_batch(self.parent, params=chunk, synchronous=True)

    def trial_start(self, trial: TrialInfo) -> None:
        trial.links["mlflow.parent"] = self.parent

    def trial_end(self, trial: TrialInfo) -> None:
        from mlflow.entities import Metric

        child = trial.links.get("mlflow.run")
        value = None
        if trial.value is not None:
            value = Metric("trial/value", float(trial.value), int(time.time() * 1000), trial.number)
            self.client.log_batch(self.parent, metrics=[value], synchronous=True)
        if child:
            self.client.set_tag(child, "trial.state", trial.state)
            if value is not None:
                self.client.log_batch(child, metrics=[value], synchronous=True)
            if self.client.get_run(child).info.status == "RUNNING":  # its run ended early
                self.client.set_terminated(child, STATES[trial.state])

    def finish(self, study: StudyInfo) -> None:
        best = study.best
        if best is not None and best.value is not None:
            self.client.log_metric(self.parent, "best_value", float(best.value))
            self.client.set_tag(self.parent, "best_trial", str(best.number))
            if best.links.get("mlflow.run"):
                self.client.set_tag(self.parent, "best_run_id", best.links["mlflow.run"])
        self.client.set_terminated(self.parent, "FINISHED")
