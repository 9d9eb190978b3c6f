"""Checkpoints: written atomically, loaded without executing code."""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from distill.core.errors import DistillError


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """``write`` a temp file in the same folder (with ``path``'s suffix, which may pick the
    format), fsync, then rename: a reader sees the old file or the new one, never half of
    one (a SIGKILL mid-write loses nothing)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.stem}.", suffix=f".part{path.suffix}", dir=path.parent
    )
    os.close(fd)
    try:
        write(Path(tmp))
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_atomic(obj: dict[str, Any], path: Path) -> None:
    write_atomic(path, lambda tmp: torch.save(obj, tmp))


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load with ``weights_only=True``: tensors and plain containers only. A file that would
    need arbitrary code (pickled classes) is refused, never executed."""
    path = Path(path)
    if not path.is_file():
        raise DistillError(f"checkpoint '{path}' does not exist")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return {"state_dict": load_file(str(path), device=str(map_location))}
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise DistillError(
            f"checkpoint '{path}' refused: it needs arbitrary code to load (pickled objects), "
            f"and distill only loads tensors and plain data. Re-save it as a state dict or "
            f"safetensors. ({str(err).splitlines()[0]})"
        ) from None
    except (RuntimeError, EOFError, OSError) as err:
        raise DistillError(f"checkpoint '{path}' is unreadable or truncated: {err}") from None


def extract_state_dict(blob: dict[str, Any], key: str) -> dict[str, torch.Tensor]:
    """A model's weights from our checkpoints, a bare state dict, or a safetensors file."""
    for candidate in (key, "state_dict", "model"):
        if candidate in blob and isinstance(blob[candidate], dict):
            return blob[candidate]
    if blob and all(isinstance(v, torch.Tensor) for v in blob.values()):
        return blob
    raise DistillError(f"checkpoint holds no '{key}' weights (keys: {sorted(blob)[:8]})")


def load_weights(path: Path, key: str, model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """``model``'s weights from the checkpoint at ``path``, refused with the file named when
    they do not fit the model or hold NaN/infinity (an update that diverged)."""
    state = extract_state_dict(load_checkpoint(path), key)
    bad = [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise DistillError(
            f"checkpoint '{path}' holds non-finite weights ({', '.join(bad[:3])}"
            f"{', ...' if len(bad) > 3 else ''}): refused; retrain, or use an earlier checkpoint"
        )
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    shapes = [k for k in set(state) & set(expected) if state[k].shape != expected[k].shape]
    if missing or unexpected or shapes:
        parts = [
            f"{label} {', '.join(names[:3])}{', ...' if len(names) > 3 else ''}"
            for label, names in (
                ("missing", missing),
                ("unexpected", unexpected),
                ("wrong shape", sorted(shapes)),
            )
            if names
        ]
        raise DistillError(
            f"checkpoint '{path}' does not fit the model ({'; '.join(parts)}): was it written "
            "for another component or other parameters?"
        )
    return state
