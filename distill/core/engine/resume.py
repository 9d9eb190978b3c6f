"""What ``--resume`` may change: more epochs, a lower learning rate, how it evaluates and
where it runs. Anything else would make the resumed run another experiment, so it is
refused with the fields named, never ignored."""

from __future__ import annotations

from typing import Any

from distill.core.config import RunConfig, build_config, merge
from distill.core.errors import ConfigError
from distill.core.run import Run

SAFE_ON_RESUME = (
    "train.epochs",
    "train.lr",
    "train.early_stop",
    "train.checkpoint_every",
    "eval.",
    "runtime.",
)
NEVER_COMPARED = ("out", "name")  # where the folder is now decides these


def resumed_config(
    run: Run, tree: dict[str, Any], overrides: list[str]
) -> tuple[RunConfig, list[str]]:
    """The run's config with ``tree`` (flags) and ``overrides`` (``--set``) applied, and the
    dotted fields they changed. Raises ConfigError naming every field that may not change."""
    saved = run.config
    base = saved.model_dump(mode="json")
    base.update(out=str(run.path.parent), name=run.path.name)
    cfg = build_config(merge(base, tree), overrides)
    cfg = cfg.model_copy(update={"out": run.path.parent, "name": run.path.name})
    changed = [
        path
        for path in differences(saved.model_dump(mode="json"), cfg.model_dump(mode="json"))
        if path.split(".")[0] not in NEVER_COMPARED
    ]
    refused = [p for p in changed if not p.startswith(SAFE_ON_RESUME)]
    if refused:
        raise ConfigError(
            f"--resume {run.path}: cannot change {', '.join(refused)} (a resumed run must stay "
            f"the same experiment); only {', '.join(SAFE_ON_RESUME)} may change"
        )
    return cfg, changed


def differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        keys = sorted(set(old) | set(new))
        return [p for k in keys for p in differences(old.get(k), new.get(k), f"{prefix}{k}.")]
    return [] if old == new else [prefix.rstrip(".")]
