"""`distill` command line: one module per command group, each attaching to ``app``.

Every module in this package is imported (on import, and again by :func:`run_app`, which
is idempotent), so a new command group is a new module. The exception is a torch-free
command (``predict``) started as the ``distill`` program: then only its own module is
imported, so ``distill predict BUNDLE --runtime onnxruntime`` needs neither torch nor the
modules that import it.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

from distill.cli.app import app, run_app

TORCH_FREE = ("predict",)
PROGRAMS = ("distill", "__main__.py")  # the console script, python -m distill


def load_commands(argv: list[str] | None = None) -> None:
    """Attach the commands to ``app``: all of them, or only a torch-free command's own
    module when ``argv`` runs one (``argv=None``: all)."""
    command = next((a for a in argv or [] if not a.startswith("-")), None)
    if argv is not None and command in TORCH_FREE:
        importlib.import_module(f"{__name__}.{command}")
        return
    for info in pkgutil.iter_modules(__path__):
        if info.name != "app" and not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


def _started_as_cli() -> list[str] | None:
    """The command line when this process is the ``distill`` program, else ``None``."""
    return sys.argv[1:] if Path(sys.argv[0]).name in PROGRAMS else None


load_commands(_started_as_cli())


def main() -> None:
    sys.exit(run_app())


__all__ = ["app", "load_commands", "main"]
