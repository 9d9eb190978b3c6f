"""Where MLflow data goes, and a client that gives up quickly when it cannot get there.

Nothing leaves the machine unless the user says so: the tracking URI is the logger's
``tracking_uri``, else ``MLFLOW_TRACKING_URI``, else a SQLite store inside the runs' out
folder (``OUT/mlruns/mlflow.db``, artifacts beside it in ``OUT/mlruns/artifacts``).
MLflow's client retries a failing request for minutes by default; the logger lowers that
(unless the environment already sets it), so a dead server costs seconds, once.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from pydantic import Field

from distill.core.tracking import LoggerParams

STORE = "mlruns"  # the default store's folder inside the out folder
STATUS = {"finished": "FINISHED", "failed": "FAILED", "interrupted": "KILLED"}
PRUNED = "KILLED"  # a pruned trial: stopped on purpose, not broken
USER_SET = {k for k in os.environ if k.startswith("MLFLOW_HTTP_REQUEST_")}  # before we set any


class MlflowParams(LoggerParams):
    tracking_uri: str | None = Field(
        None,
        description="http(s)://server, sqlite:///file.db, ...; default MLFLOW_TRACKING_URI, "
        "else sqlite in OUT/mlruns (nothing is sent anywhere)",
    )
    experiment: str = Field("distill", description="MLflow experiment holding the runs")
    artifacts: bool = Field(True, description="upload curves, overlays, report and bundle")
    request_timeout: int = Field(
        10, ge=1, description="seconds per HTTP request (unless MLFLOW_HTTP_REQUEST_TIMEOUT)"
    )
    max_retries: int = Field(
        2, ge=0, description="retries of a failed request (unless MLFLOW_HTTP_REQUEST_MAX_RETRIES)"
    )


def store_location(params: MlflowParams, out: Path) -> tuple[str, str | None]:
    """``(tracking URI, artifact location for new experiments or None: the server's)``."""
    uri = params.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
    if not uri:
        folder = (Path(out) / STORE).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        uri = f"sqlite:///{folder / 'mlflow.db'}"
    if uri.startswith("sqlite:///"):  # a local store: artifacts beside it, not in the CWD
        db = Path(uri.removeprefix("sqlite:///"))
        return uri, (db.parent / "artifacts").resolve().as_uri()
    return uri, None


def connect(params: MlflowParams, out: Path) -> tuple[Any, str]:
    """``(MlflowClient, experiment id)``, creating the experiment on first use."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    fail_fast(params)
    uri, artifacts = store_location(params, out)
    client = MlflowClient(tracking_uri=uri)
    found = client.get_experiment_by_name(params.experiment)
    if found is not None:
        return client, found.experiment_id
    try:
        return client, client.create_experiment(params.experiment, artifact_location=artifacts)
    except MlflowException:  # another worker of the same sweep created it just now
        found = client.get_experiment_by_name(params.experiment)
        if found is None:
            raise
        return client, found.experiment_id


def fail_fast(params: MlflowParams) -> None:
    """Short timeouts and few retries for MLflow's HTTP client (it reads them from the
    environment at each request), unless the user set them; quiet database set-up logs."""
    wanted = {
        "MLFLOW_HTTP_REQUEST_TIMEOUT": str(params.request_timeout),
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": str(params.max_retries),
        "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    }
    for key, value in wanted.items():
        if key not in USER_SET:
            os.environ[key] = value
    for name in ("mlflow.store.db.utils", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)


def batches(items: list[Any], size: int) -> list[list[Any]]:
    """MLflow takes at most 100 params or tags and 1000 metrics per request."""
    return [items[i : i + size] for i in range(0, len(items), size)]
