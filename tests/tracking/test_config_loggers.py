"""`--log-to` and ``train.loggers``: registered names only, settings validated, rank 0 only."""

from __future__ import annotations

import pytest
import yaml

from distill.cli.options import config_from_options
from distill.core.config import resolve
from distill.core.errors import ConfigError, UnknownComponentError
from distill.core.plugins import registry
from distill.core.tracking import build_loggers


def test_builtin_loggers_register_through_the_plugin_hook():
    reg = registry()
    assert {"mlflow", "tensorboard"} <= set(reg.names("logger"))
    assert reg.get("logger", "mlflow").source == "distill.plugins.loggers.mlflow"


def test_log_to_adds_to_the_config_files_loggers_and_set_reaches_their_fields(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump({"train": {"loggers": [{"name": "mlflow", "experiment": "x"}]}}))
    cfg = config_from_options(
        config=path,
        log_to=["tensorboard", "mlflow", "tensorboard"],
        set_=["train.loggers.tensorboard.flush_secs=3"],
    )
    assert [(c.name, c.params) for c in cfg.train.loggers] == [
        ("mlflow", {"experiment": "x"}),
        ("tensorboard", {"flush_secs": 3}),
    ]
    resolved = resolve(cfg, registry())
    assert resolved.train.loggers[0].params["tracking_uri"] is None  # defaults filled in


def test_an_unknown_logger_is_an_error_listing_the_valid_ones():
    cfg = config_from_options(log_to=["wandb"])
    with pytest.raises(UnknownComponentError, match="unknown logger 'wandb'.*mlflow, tensorboard"):
        build_loggers(cfg)


def test_an_unknown_logger_field_is_an_error_naming_it():
    cfg = config_from_options(log_to=["mlflow"], set_=["train.loggers.mlflow.uri=http://x"])
    with pytest.raises(ConfigError, match="field 'uri': unknown field; valid fields: tracking_uri"):
        build_loggers(cfg)


def test_only_the_main_rank_logs():
    cfg = config_from_options(log_to=["tensorboard"])
    assert build_loggers(cfg, main=True).names == ["tensorboard"]
    assert len(build_loggers(cfg, main=False)) == 0
