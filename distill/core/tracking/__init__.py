"""Experiment tracking: loggers mirror the run folder, which stays the record of truth.

``build_loggers(cfg)`` gives the :class:`LoggerSet` a Run attaches; ``Logger`` is what a
tracker plugin subclasses and registers with ``distill_register_loggers``.
"""

from distill.core.tracking.build import build_loggers, build_study_tracking
from distill.core.tracking.logger import Logger, LoggerParams
from distill.core.tracking.logger_set import LoggerSet
from distill.core.tracking.study import StudyInfo, StudyLogger, StudyTracking
from distill.core.tracking.trial import TrialInfo, current_trial, final_state, trial_scope

__all__ = [
    "Logger",
    "LoggerParams",
    "LoggerSet",
    "StudyInfo",
    "StudyLogger",
    "StudyTracking",
    "TrialInfo",
    "build_loggers",
    "build_study_tracking",
    "current_trial",
    "final_state",
    "trial_scope",
]
