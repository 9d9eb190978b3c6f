"""Errors a user should see as one clear line; the CLI maps them to exit codes."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class DistillError(Exception):
    """A failure with a message meant for the user (CLI exit code 1)."""

    exit_code = 1


class ConfigError(DistillError):
    """A mistake in a config file, a flag or a parameter (CLI exit code 2)."""

    exit_code = 2


class UnknownComponentError(ConfigError):
    def __init__(self, kind: str, name: str, valid: Iterable[str]) -> None:
        valid = sorted(valid)
        close = difflib.get_close_matches(name, valid, n=1, cutoff=0.5)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        super().__init__(
            f"unknown {kind} '{name}'.{hint} Valid {kind}s: {', '.join(valid) or '(none)'}"
        )
        self.kind, self.name, self.valid, self.suggestion = kind, name, valid, (close or [None])[0]


class DuplicateComponentError(DistillError):
    """Two plugins registered one name in one kind."""


class PluginContractError(DistillError):
    """A plugin built a component that breaks its declared contract."""


class DataError(DistillError):
    """Bad input data; the message names the file and the reason."""
