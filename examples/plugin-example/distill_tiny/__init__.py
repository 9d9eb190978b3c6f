"""A complete third-party distill plugin: a student, a distiller and a CLI command.

This module is what the entry point names, so it stays light: ``distill --help`` imports it
to list the plugin's command, and the student and the distiller (which need torch) are
imported only when components are registered.
"""

from __future__ import annotations

from distill import hookimpl


@hookimpl
def distill_register_students(register):
    from distill_tiny.model import TinyNet

    register("tiny", TinyNet)


@hookimpl
def distill_register_distillers(register):
    from distill_tiny import feature_mse  # one file: the class and its own hook

    feature_mse.distill_register_distillers(register)


@hookimpl
def distill_register_commands(register):
    from distill_tiny.commands import tiny_shapes

    register("tiny-shapes", tiny_shapes, help="Print TinyNet's parameters and map shapes.")
