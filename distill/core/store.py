"""Where derived files live (decoded datasets, trained teachers) and how they are keyed.

One folder for both: ``$DISTILL_CACHE``, else ``~/.cache/distill``. Keys are short hashes
of everything that determines the file, so a changed input never reuses a stale result.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

CACHE_ENV = "DISTILL_CACHE"


def cache_root(cache_dir: Path | None = None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "distill"


def digest(value: Any) -> str:
    """Stable short hash of a JSON-able value."""
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
