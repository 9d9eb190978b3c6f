"""`distill` command line: one module per command group, each attaching to ``app``.

Every module in this package is imported, so a new command group is a new module.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

from distill.cli.app import app, run_app

for _info in pkgutil.iter_modules(__path__):
    if _info.name not in ("app",) and not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")


def main() -> None:
    sys.exit(run_app())


__all__ = ["app", "main"]
