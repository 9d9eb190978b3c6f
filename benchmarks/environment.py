"""Where a benchmark number came from: machine, device, library versions, commit, command.

A speed or accuracy figure means nothing without the card, the CPU, the torch build and the
code it was measured on, so every suite stores :func:`environment` beside its results and
prints :func:`environment_line` under its tables.
"""

from __future__ import annotations

import datetime
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch

REPO = Path(__file__).resolve().parents[1]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], capture_output=True, text=True, check=True, cwd=REPO, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _version(module: str) -> str | None:
    try:
        return __import__(module).__version__
    except ImportError:
        return None


def invocation() -> list[str]:
    """The command line as typed: ``python -m benchmarks.speed ...`` rather than a file path,
    and ``-m benchmarks.accuracy`` for a package, whose module is its ``__main__``."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if spec is None or not spec.name:
        return ["python", *sys.argv]
    return ["python", "-m", spec.name.removesuffix(".__main__"), *sys.argv[1:]]


def environment(device: str = "cpu", argv: list[str] | None = None) -> dict[str, Any]:
    """Machine (CPU model, cores, load), device (GPU name when ``device`` is CUDA), library
    versions, git commit (and whether the tree had uncommitted changes), command, date."""
    gpu = None
    if str(device).startswith("cuda") and torch.cuda.is_available():
        gpu = torch.cuda.get_device_name(torch.device(device))
    commit = _git("rev-parse", "HEAD") or "unknown (no commit yet)"
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    command = invocation() if argv is None else argv
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": shlex.join(command),
        "cpu": _cpu_model(),
        "cpu_cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "device": str(device),
        "gpu": gpu,
        "cuda": torch.version.cuda if gpu else None,
        # processes on one GPU take turns unless NVIDIA's Multi-Process Service joins them
        "gpu_sharing": ("MPS" if os.environ.get("CUDA_MPS_PIPE_DIRECTORY") else "time-slicing")
        if gpu
        else None,
        "torch": torch.__version__,
        "torchvision": _version("torchvision"),
        "timm": _version("timm"),
        "numpy": _version("numpy"),
        "git_commit": commit,
        "git_dirty": dirty,
    }


def environment_line(env: dict[str, Any]) -> str:
    """One Markdown paragraph stating how the numbers were taken."""
    device = f"GPU {env['gpu']} (CUDA {env['cuda']})" if env.get("gpu") else "CPU only"
    if env.get("gpu_sharing") == "MPS":
        device += ", processes sharing it through MPS"
    dirty = " + uncommitted changes" if env.get("git_dirty") else ""
    return (
        f"Measured {env['date']} on {env['cpu']} ({env['cpu_cores']} cores, "
        f"{env['torch_threads']} torch threads, load average {env['load_average'][0]}), "
        f"{device}; torch {env['torch']}, torchvision {env['torchvision']}, timm {env['timm']}, "
        f"python {env['python']}; commit {env['git_commit'][:12]}{dirty}. "
        f"Command: `{env['command']}`."
    )
