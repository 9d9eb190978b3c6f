"""Device, precision and reproducibility: the knobs that differ between CPU and GPU."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from distill.core.config import RuntimeConfig
from distill.core.engine.distributed import Distributed
from distill.core.errors import ConfigError


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(
            f"runtime.device: '{name}' is not a device (auto, cpu, cuda, cuda:N)"
        ) from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"runtime.device is '{name}' but no CUDA GPU is available")
    return device


def cpu_computes_bf16() -> bool:
    """Whether this CPU has bf16 instructions (AVX512-BF16 or AMX): there bf16 autocast is
    faster than fp32 (Swin inference 1.9x on an AMD EPYC), elsewhere it is emulated."""
    get_capabilities = getattr(torch.cpu, "get_capabilities", None)  # torch >= 2.6
    capabilities = get_capabilities() if get_capabilities else {}
    return bool(capabilities.get("avx512_bf16") or capabilities.get("amx_bf16"))


class Runtime:
    """Where and how tensors are computed for one run."""

    def __init__(self, cfg: RuntimeConfig) -> None:
        self.dist = Distributed.from_env()
        self.device = pick_device(cfg.device)
        on_gpu = self.device.type == "cuda"
        if on_gpu and self.dist.active:
            self.device = torch.device("cuda", self.dist.local_rank)
            torch.cuda.set_device(self.device)
        self.bf16 = cfg.amp == "bf16" or (cfg.amp == "auto" and on_gpu)
        self.channels_last = cfg.channels_last == "on" or (cfg.channels_last == "auto" and on_gpu)
        self.compile = cfg.compile
        if cfg.cuda_graphs == "on" and not on_gpu:
            raise ConfigError("runtime.cuda_graphs is 'on' but the device is not a CUDA GPU")
        self.cuda_graphs = cfg.cuda_graphs == "on" or (cfg.cuda_graphs == "auto" and on_gpu)
        if cfg.num_threads:
            torch.set_num_threads(cfg.num_threads)
        if on_gpu:
            torch.backends.cudnn.benchmark = True
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True

    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        if not self.bf16:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=torch.bfloat16)

    def prepare(self, module: torch.nn.Module) -> torch.nn.Module:
        module.to(self.device)
        if self.channels_last:
            module.to(memory_format=torch.channels_last)
        return module

    def precision(self) -> str:
        """How the step computes, e.g. 'bf16 autocast, channels-last'."""
        return ", ".join(
            ["bf16 autocast" if self.bf16 else "fp32"] + ["channels-last"] * self.channels_last
        )

    def describe(self) -> str:
        name = torch.cuda.get_device_name(self.device) if self.device.type == "cuda" else "CPU"
        ranks = f", {self.dist.world} ranks" if self.dist.active else ""
        return f"{name} ({self.precision()}{ranks})"


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def rng_state() -> dict[str, Any]:
    """All RNG states, as tensors and plain containers (loadable with weights_only)."""
    np_state = np.random.get_state()
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": [np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), *np_state[2:]],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


@contextlib.contextmanager
def rng_kept() -> Iterator[None]:
    """Every RNG leaves the block as it entered, so what follows draws the same numbers
    whether the block trained a teacher (many draws) or loaded a stored one (none)."""
    state = rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


def set_rng_state(state: dict[str, Any]) -> None:
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    kind, keys, *rest = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), *rest))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
