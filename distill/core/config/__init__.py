"""RunConfig: one validated description of an experiment, from YAML + flags + ``--set``.

Components are written as ``{name: mpdnet, fusion: concat}`` (or just ``mpdnet``); their
parameters are validated against the component's own pydantic model by :func:`resolve`, so
a config file, a CLI flag and an Optuna search space are all checked by one schema.
"""

from distill.core.config.augment import AugmentParams
from distill.core.config.overrides import (
    build_config,
    load_yaml,
    merge,
    parse_override,
    set_path,
)
from distill.core.config.resolve import resolve, resolve_component
from distill.core.config.run import (
    DataConfig,
    EvalConfig,
    LossConfig,
    RunConfig,
    RuntimeConfig,
    StudentTrainConfig,
    TeacherTrainConfig,
    TrainConfig,
    to_yaml,
)
from distill.core.config.sections import (
    ComponentConfig,
    Section,
    bool_where_int,
    reject_bool_for_int,
)

__all__ = [
    "AugmentParams",
    "ComponentConfig",
    "DataConfig",
    "EvalConfig",
    "LossConfig",
    "RunConfig",
    "RuntimeConfig",
    "Section",
    "StudentTrainConfig",
    "TeacherTrainConfig",
    "TrainConfig",
    "bool_where_int",
    "build_config",
    "load_yaml",
    "merge",
    "parse_override",
    "reject_bool_for_int",
    "resolve",
    "resolve_component",
    "set_path",
    "to_yaml",
]
