"""Model cost, measured one way for every network: parameters, MACs, memory, speed.

Papers compare students by "FLOPs" and parameters; counting every model with the same tool
at a stated input size is what makes those columns comparable. MACs come from PyTorch's own
``FlopCounterMode`` (total FLOPs / 2, attention matmuls included), at batch 1.

PyTorch ships attention formulas only for its CUDA kernels; on the CPU
``scaled_dot_product_attention`` runs a fused kernel that FlopCounterMode counts as zero, so
:func:`mac_counter` adds the missing formulas and a model costs the same on every device.
"""

from __future__ import annotations

import functools
import json
import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils.flop_counter import FlopCounterMode

MEMORY_SAVED_TENSORS = "autograd saved tensors (CPU)"
MEMORY_CUDA_PEAK = "torch.cuda peak allocated"


@dataclass
class ModelProfile:
    """One model's cost at one input size. ``None`` marks what was not measured."""

    name: str
    kind: str
    params: int
    gmacs: float
    input_size: tuple[int, int]
    batch: int
    activation_mb: float | None = None
    memory_method: str = ""
    cpu_latency_ms: float | None = None
    cpu_threads: int = field(default_factory=torch.get_num_threads)
    gpu_bf16_img_per_s: float | None = None
    gpu_name: str | None = None
    published_params_m: float | None = None
    published_source: str = ""

    @property
    def params_m(self) -> float:
        return self.params / 1e6

    @property
    def params_rel_diff(self) -> float | None:
        """(ours - published) / published, or None without a published count."""
        if not self.published_params_m:
            return None
        return (self.params_m - self.published_params_m) / self.published_params_m

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["input_size"] = list(self.input_size)
        data["params_m"] = self.params_m
        data["params_rel_diff"] = self.params_rel_diff
        return data


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@functools.cache
def _cost(
    kind: str, component: str, num_classes: int, size: tuple[int, int]
) -> tuple[float, float]:
    from distill.core.plugins import registry

    comp = json.loads(component)
    values = {k: v for k, v in comp.items() if k != "name"}
    values["num_classes"] = num_classes
    with torch.random.fork_rng(devices=[]):  # the caller's random stream stays as it was
        torch.manual_seed(0)
        model = registry().get(kind, comp["name"]).build_model(values, size)
        return count_parameters(model) / 1e6, count_macs(model, size) / 1e9


def model_cost(
    kind: str,
    comp: dict[str, Any],
    num_classes: int,
    size: tuple[int, int],
) -> tuple[float, float]:
    """(parameters in M, GMACs) of a teacher or student as a run built it: ``comp`` is its
    resolved config (``name`` and parameters), with the dataset's classes, at ``size``.
    Remembered per model, since tables ask for the same one once per seed."""
    return _cost(kind, json.dumps(comp, sort_keys=True), num_classes, tuple(size))


def _input(model: nn.Module, size: tuple[int, int], batch: int, device: Any = "cpu") -> Tensor:
    channels = getattr(model, "in_channels", 3)
    return torch.randn(batch, channels, *size, device=device)


def attention_flops(query: Sequence[int], key: Sequence[int], value: Sequence[int]) -> int:
    """FLOPs of one attention call, q (..., L, E), k (..., S, E), v (..., S, Ev): the QKᵀ and
    AV products, 2·L·S·E + 2·L·S·Ev per batch-and-head (softmax and scaling left out, as
    PyTorch's own CUDA formulas do). Leading dims are broadcast (grouped-query heads)."""
    *lead, length, embed = query
    source, embed_v = key[-2], value[-1]
    batch_heads = math.prod(lead)
    return 2 * batch_heads * length * source * (embed + embed_v)


def _cpu_attention(query, key, value, *args, out_shape=None, **kwargs) -> int:
    return attention_flops(query, key, value)


def _cpu_attention_backward(grad_out, query, key, value, *args, out_shape=None, **kwargs) -> int:
    """Recomputed scores plus the four gradient products: twice the forward plus QKᵀ."""
    forward = attention_flops(query, key, value)
    *lead, length, embed = query
    return 2 * forward + 2 * math.prod(lead) * length * key[-2] * embed


def _cpu_attention_formulas() -> dict[Any, Any]:
    """Formulas for the CPU attention kernels this torch has and does not count itself."""
    from torch.utils.flop_counter import flop_registry

    ops = {
        "_scaled_dot_product_flash_attention_for_cpu": _cpu_attention,
        "_scaled_dot_product_flash_attention_for_cpu_backward": _cpu_attention_backward,
    }
    found = {getattr(torch.ops.aten, name, None): f for name, f in ops.items()}
    return {op: f for op, f in found.items() if op is not None and op not in flop_registry}


def mac_counter() -> FlopCounterMode:
    """A FlopCounterMode that also counts attention on the CPU (see the module docstring).
    Use it instead of a bare FlopCounterMode wherever a model's cost is measured."""
    return FlopCounterMode(display=False, custom_mapping=_cpu_attention_formulas())


def count_macs(model: nn.Module, size: tuple[int, int] = (256, 256)) -> int:
    """Multiply-accumulates of one forward pass at batch 1 (FlopCounterMode total / 2)."""
    was_training = model.training
    model.eval()
    try:
        counter = mac_counter()
        with torch.no_grad(), counter:
            model(_input(model, size, 1, _device_of(model)))
    finally:
        model.train(was_training)
    return counter.get_total_flops() // 2


def _device_of(model: nn.Module) -> torch.device:
    return next((p.device for p in model.parameters()), torch.device("cpu"))


def _training_loss(output: Any) -> Tensor:
    """A scalar touching every output, so backward walks the whole graph."""
    logits = output.logits if hasattr(output, "logits") else output
    return logits.float().square().mean()


def saved_activation_bytes(model: nn.Module, size: tuple[int, int], batch: int) -> int:
    """Bytes autograd keeps for backward in one training step: the activations that set the
    memory peak. Storages are counted once (views share them); parameters are left out."""
    param_storages = {p.untyped_storage().data_ptr() for p in model.parameters()}
    seen: dict[int, int] = {}

    def pack(tensor: Tensor) -> Tensor:
        storage = tensor.untyped_storage()
        ptr = storage.data_ptr()
        if ptr not in param_storages and ptr not in seen:
            seen[ptr] = storage.nbytes()
        return tensor

    was_training = model.training
    model.train()
    try:
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            loss = _training_loss(model(_input(model, size, batch, _device_of(model))))
        loss.backward()
    finally:
        model.zero_grad(set_to_none=True)
        model.train(was_training)
    return sum(seen.values())


def cuda_peak_step_bytes(model: nn.Module, size: tuple[int, int], batch: int) -> int:
    """Peak CUDA memory one training step adds above the resident model (float32)."""
    device = _device_of(model)
    x = _input(model, size, batch, device)
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    base = torch.cuda.memory_allocated(device)
    was_training = model.training
    model.train()
    try:
        _training_loss(model(x)).backward()
        torch.cuda.synchronize(device)
    finally:
        model.zero_grad(set_to_none=True)
        model.train(was_training)
    return torch.cuda.max_memory_allocated(device) - base


@torch.no_grad()
def cpu_latency_ms(
    model: nn.Module, size: tuple[int, int], repeats: int = 10, warmup: int = 2
) -> float:
    """Median milliseconds per image: batch 1, eval, no_grad, torch.get_num_threads()."""
    was_training = model.training
    model.eval()
    x = _input(model, size, 1)
    try:
        for _ in range(warmup):
            model(x)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - start)
    finally:
        model.train(was_training)
    return 1000.0 * statistics.median(times)


@torch.inference_mode()
def gpu_bf16_throughput(
    model: nn.Module, size: tuple[int, int], batch: int = 8, repeats: int = 10, warmup: int = 3
) -> float:
    """Images per second in eval mode under bf16 autocast on the model's CUDA device."""
    device = _device_of(model)
    was_training = model.training
    model.eval()
    x = _input(model, size, batch, device)
    try:
        with torch.autocast("cuda", dtype=torch.bfloat16):
            for _ in range(warmup):
                model(x)
            torch.cuda.synchronize(device)
            start = time.perf_counter()
            for _ in range(repeats):
                model(x)
            torch.cuda.synchronize(device)
    finally:
        model.train(was_training)
    return batch * repeats / (time.perf_counter() - start)


def profile_model(
    model: nn.Module,
    size: tuple[int, int] = (256, 256),
    batch: int = 8,
    *,
    name: str | None = None,
    kind: str = "model",
    repeats: int = 10,
    warmup: int = 2,
    device: str = "auto",
    memory: bool = True,
    latency: bool = True,
) -> ModelProfile:
    """Profile ``model`` at ``size``: parameters, GMACs (batch 1), activation memory of one
    training step at ``batch``, CPU latency per image, and bf16 throughput on a GPU.

    ``device="auto"`` uses CUDA when present: memory is then torch.cuda's peak and the bf16
    throughput is measured; on CPU memory is the sum of tensors autograd saves. CPU latency is
    always measured on the CPU (the deployment target of a light student). The model is
    left on the CPU in float32.
    """
    use_cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
    if device == "cuda" and not torch.cuda.is_available():
        from distill.core.errors import ConfigError

        raise ConfigError("--device cuda was asked for, but torch sees no CUDA device")
    model = model.to("cpu").float()
    cls = type(model)
    profile = ModelProfile(
        name=name or cls.__name__,
        kind=kind,
        params=count_parameters(model),
        gmacs=count_macs(model, size) / 1e9,
        input_size=(int(size[0]), int(size[1])),
        batch=batch,
        published_params_m=getattr(cls, "published_params", None),
        published_source=getattr(cls, "published_source", ""),
    )
    if latency:
        profile.cpu_latency_ms = cpu_latency_ms(model, size, repeats, warmup)
    if use_cuda:
        model = model.to("cuda")
        profile.gpu_name = torch.cuda.get_device_name()
        if memory:
            profile.activation_mb = cuda_peak_step_bytes(model, size, batch) / 2**20
            profile.memory_method = MEMORY_CUDA_PEAK
        profile.gpu_bf16_img_per_s = gpu_bf16_throughput(model, size, batch, repeats)
        model.to("cpu")
    elif memory:
        profile.activation_mb = saved_activation_bytes(model, size, batch) / 2**20
        profile.memory_method = MEMORY_SAVED_TENSORS
    return profile


# (row key, header, decimals), shared by the Markdown and the LaTeX table
PROFILE_COLUMNS = (
    ("kind", "kind"),
    ("name", "name"),
    ("params_m", "params (M)", 2),
    ("published_params_m", "published (M)", 2),
    ("params_diff_pct", "diff (%)", 1),
    ("gmacs", "GMACs", 2),
    ("activation_mb", "act. mem (MB)", 0),
    ("cpu_latency_ms", "CPU ms/img", 1),
    ("gpu_bf16_img_per_s", "GPU bf16 img/s", 0),
)


def profile_rows(profiles: list[ModelProfile]) -> list[dict[str, Any]]:
    """One row per profile under PROFILE_COLUMNS' keys; None where nothing was measured."""
    return [
        {
            "kind": p.kind,
            "name": p.name,
            "params_m": p.params_m,
            "published_params_m": p.published_params_m,
            "params_diff_pct": None if p.params_rel_diff is None else 100 * p.params_rel_diff,
            "gmacs": p.gmacs,
            "activation_mb": p.activation_mb,
            "cpu_latency_ms": p.cpu_latency_ms,
            "gpu_bf16_img_per_s": p.gpu_bf16_img_per_s,
        }
        for p in profiles
    ]


def profiles_markdown(profiles: list[ModelProfile]) -> str:
    """A markdown table of profiles, with the conditions stated under it."""
    from distill.core.report.tables import markdown_table

    notes = conditions(profiles)
    table = markdown_table(profile_rows(profiles), PROFILE_COLUMNS)
    return table + ("\n" + notes + "\n" if notes else "")


def profiles_latex(profiles: list[ModelProfile]) -> str:
    """The same table for a paper, the conditions as its caption."""
    from distill.core.report.latex import latex_file, latex_table

    table = latex_table(
        profile_rows(profiles),
        PROFILE_COLUMNS,
        caption=conditions(profiles) or None,
        label="tab:profile",
    )
    return latex_file("distill profile", [table])


def conditions(profiles: list[ModelProfile]) -> str:
    """One line saying how the numbers were taken."""
    if not profiles:
        return ""
    p = profiles[0]
    methods = sorted({q.memory_method for q in profiles if q.memory_method})
    parts = [
        f"input {p.input_size[0]}x{p.input_size[1]}",
        "GMACs at batch 1 (FlopCounterMode / 2)",
        f"memory: one training step at batch {p.batch}, {', '.join(methods) or 'not measured'}",
        f"CPU latency: median, batch 1, {p.cpu_threads} threads",
    ]
    gpus = sorted({q.gpu_name for q in profiles if q.gpu_name})
    if gpus:
        parts.append(f"GPU: {', '.join(gpus)}, bf16 autocast, batch {p.batch}")
    sources = [f"{q.name}: {q.published_source}" for q in profiles if q.published_source]
    if sources:
        parts.append("published counts from " + "; ".join(sources))
    return "; ".join(parts) + "."
