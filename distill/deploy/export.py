"""``distill export`` / ``distill.export``: a run's model as a bundle that stands alone.

Everything is written into a hidden temporary folder beside ``out`` and renamed into place
only when every check passed, so a failed export (an unexportable operator, a parity
miss, a failed int8 step) leaves nothing behind, and an existing bundle is never replaced
unless ``force`` says so.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from distill.core.errors import ConfigError
from distill.deploy import bundle as files
from distill.deploy.parity import Parity, measure, require

QUANTIZE = (None, "none", "int8")
LATENCY_REPEATS = 10
CALIBRATION_IMAGES = 32
Say = Callable[[str], None]


@dataclass(frozen=True)
class Exported:
    path: Path
    meta: dict[str, Any]
    seconds: float


def export(
    source: Any,
    out: str | Path,
    *,
    model: str = "student",
    quantize: str | None = None,
    parity_images: int = 16,
    force: bool = False,
    threads: int = 1,
    say: Say | None = None,
) -> Exported:
    """Export ``source`` (a run folder or :class:`~distill.core.run.Run`) to ``out``."""
    from distill.core.run import Run

    if quantize not in QUANTIZE:
        raise ConfigError(f"--quantize must be int8 or none, got '{quantize}'")
    started = time.perf_counter()
    run = source if isinstance(source, Run) else Run.open(Path(source))
    out = Path(out)
    _check_target(out, force)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.part-", dir=out.parent))
    _readable(work)
    try:
        meta = _write_bundle(
            run, work, model, quantize == "int8", parity_images, threads, say or (lambda _: None)
        )
        for file in work.iterdir():
            _readable(file)
        _replace(work, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Exported(out, meta, time.perf_counter() - started)


def _check_target(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out '{out}' is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ConfigError(
            f"--out '{out}' is not empty: choose another folder, or --force to replace it"
        )
    out.parent.mkdir(parents=True, exist_ok=True)


def _readable(path: Path) -> None:
    """The permissions a plain mkdir/open would give (mkdtemp and safetensors make them
    private), so a copied bundle is readable by whoever runs it."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, (0o777 if path.is_dir() else 0o666) & ~mask)


def _replace(work: Path, out: Path) -> None:
    """Move the finished bundle into place; an old one goes only once the new one is there."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{time.time_ns()}")
        out.rename(old)
    work.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write_bundle(
    run: Any, work: Path, which: str, int8: bool, parity_images: int, threads: int, say: Say
) -> dict[str, Any]:
    import torch

    from distill.core.evaluation import load_trained
    from distill.deploy.onnx_export import export_onnx, fixed_size
    from distill.deploy.ort import OrtBackend
    from distill.deploy.torch_backend import TorchBackend

    torch.set_num_threads(threads)
    trained = load_trained(run, which)
    pre = trained.preprocess
    label = trained.label
    _save_weights(trained.model, work / files.WEIGHTS)
    say(f"{label}: exporting to ONNX")
    dynamic = not fixed_size(trained.model)
    onnx_path = work / files.ONNX
    export_args = dict(size=pre.size, in_channels=pre.in_channels, label=label)
    export_onnx(trained.model, onnx_path, dynamic_size=dynamic, **export_args)
    reference = TorchBackend(trained.model, "cpu")
    checks = _samples(run, pre, parity_images)
    parity = require(
        measure(reference, OrtBackend(onnx_path, threads), pre.batch(checks.images), checks.source),
        label,
    )
    say(f"parity: {parity.describe()}")
    tested = [list(pre.size)]
    if dynamic:
        dynamic, note = _check_other_size(reference, onnx_path, pre, threads, label)
        if dynamic:
            tested.append(note)
        else:
            say(f"dynamic height/width refused ({note}); exporting at {pre.size} only")
            export_onnx(trained.model, onnx_path, dynamic_size=False, **export_args)
    latency = _latency(reference, onnx_path, pre, threads)
    quant = _int8(run, work, pre, threads, say) if int8 else None
    meta = _meta(run, which, trained, pre, parity, dynamic, tested, latency, quant, threads)
    from distill.deploy.card import model_card

    (work / files.CARD).write_text(model_card(meta))
    return files.write_manifest(work, meta)


def _save_weights(model: Any, path: Path) -> None:
    from safetensors.torch import save_file

    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(path))


def _samples(run: Any, pre: Any, limit: int):
    from distill.deploy.samples import random_samples, split_samples

    found = split_samples(run, "val", limit, pre.size) if limit > 0 else None
    return found or random_samples(max(limit, 2), pre.size, pre.in_channels)


def _check_other_size(reference, onnx_path: Path, pre, threads: int, label: str):
    """(True, [h, w]) when the dynamic-size graph also agrees at another size, else
    (False, the reason)."""
    from distill.deploy.ort import OrtBackend
    from distill.deploy.samples import random_samples

    other = (pre.size[0] + 32, pre.size[1] + 64)
    x = pre.batch(random_samples(2, other, pre.in_channels, seed=1).images)
    try:
        parity = measure(reference, OrtBackend(onnx_path, threads), x, "random images")
    except Exception as err:  # noqa: BLE001 - either runtime may refuse the other size
        return False, f"{other[0]}x{other[1]}: {type(err).__name__}"
    if not parity.ok:
        return False, parity.describe()
    return True, list(other)


def _latency(reference, onnx_path: Path, pre, threads: int) -> dict[str, Any]:
    from distill.deploy.latency import median_ms
    from distill.deploy.ort import OrtBackend

    x = pre.batch(np.zeros((1, *pre.size, pre.in_channels), np.uint8))
    session = OrtBackend(onnx_path, threads)
    return {
        "batch": 1,
        "size": list(pre.size),
        "threads": threads,
        "repeats": LATENCY_REPEATS,
        "cpu": platform.processor() or platform.machine(),
        "torch_ms": median_ms(lambda: reference(x), LATENCY_REPEATS),
        "onnxruntime_ms": median_ms(lambda: session(x), LATENCY_REPEATS),
    }


def _int8(run: Any, work: Path, pre, threads: int, say: Say) -> dict[str, Any]:
    from distill.deploy.int8_check import compare_int8
    from distill.deploy.quantize import quantize_int8
    from distill.deploy.samples import random_samples, split_samples

    calib = split_samples(run, "train", CALIBRATION_IMAGES, pre.size)
    calib = calib or random_samples(CALIBRATION_IMAGES, pre.size, pre.in_channels)
    say(f"int8: calibrating on {calib.source}")
    quantize_int8(work / files.ONNX, work / files.ONNX_INT8, pre.batch(calib.images))
    scored = split_samples(run, "test", None, pre.size) or split_samples(run, "val", None, pre.size)
    result = compare_int8(work / files.ONNX, work / files.ONNX_INT8, pre, scored, threads)
    result["calibration"] = calib.source
    say(f"int8: {result['verdict']}")
    return result


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _meta(
    run, which, trained, pre, parity: Parity, dynamic: bool, tested, latency, quant, threads: int
) -> dict[str, Any]:
    from distill.core.config import to_yaml
    from distill.deploy.onnx_export import OPSET
    from distill.deploy.provenance import component_key, component_spec, test_metrics, versions

    test = run.test or {}
    names = trained.class_names
    return {
        "format": files.FORMAT,
        "format_version": files.FORMAT_VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "model": component_spec(run, which, trained),
        "classes": {"num_classes": len(names), "names": list(names)},
        "input": pre.to_dict(),
        "onnx": {
            "file": files.ONNX,
            "opset": OPSET,
            "input": "image",
            "output": "logits",
            "layout": "NCHW float32, normalised as 'input' says",
            "dynamic_batch": True,
            "dynamic_size": dynamic,
            "tested_sizes": tested,
            "exporter": "torch.onnx.export (TorchScript-based, dynamo=False)",
        },
        "parity": parity.to_dict(),
        "int8": quant,
        "latency": latency,
        "training": {
            "run": run.path.name,
            "dataset": run.config.data.dataset.name,
            "config_sha256": _digest(to_yaml(run.config)),
            "data_fingerprint": (run.data or {}).get("fingerprint"),
            "commit": run.record().get("commit"),
            "status": run.status,
            "cost": run.cost.get(component_key(which)),
        },
        "test": test_metrics(test, which),
        "teachers_test": test.get("teachers") or [],
        "distillers": [d.name for d in run.config.distillers],
        "versions": versions(),
        "threads": threads,
    }
