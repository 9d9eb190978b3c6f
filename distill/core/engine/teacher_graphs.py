"""Frozen teachers replayed from CUDA graphs.

At the batch sizes segmentation students train with, a Swin teacher's forward is hundreds
of small kernels and the GPU waits on Python to launch them. A frozen teacher in eval mode
computes the same graph for every batch of one shape, so it can be captured once per shape
and replayed with one launch (``runtime.cuda_graphs``). Outputs live in the graph's static
buffers and are overwritten by the next replay; ``teacher_outputs`` clones them, as it
already does for inference-mode tensors.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor

from distill.core.interfaces import SegmentationModel, SegOutput

WARMUP_CALLS = 3  # cudnn.benchmark picks its kernels before capture, on a side stream


class CapturedCall:
    """One function of a tensor, captured per (shape, stride, dtype, autocast) and replayed."""

    def __init__(self, fn: Callable[[Tensor], Any]) -> None:
        self.fn = fn
        self.graphs: dict[tuple, tuple[torch.cuda.CUDAGraph, Tensor, Any]] = {}

    def __call__(self, x: Tensor) -> Any:
        amp = torch.is_autocast_enabled("cuda")
        dtype = torch.get_autocast_dtype("cuda") if amp else None
        key = (tuple(x.shape), x.stride(), x.dtype, amp, dtype)
        if key not in self.graphs:
            self.graphs[key] = self._capture(x, amp, dtype)
        graph, static_input, static_output = self.graphs[key]
        static_input.copy_(x)
        graph.replay()
        return static_output

    def _capture(self, x: Tensor, amp: bool, dtype: torch.dtype | None):
        # autocast's weight cache must stay off inside a capture (its casts would be freed)
        cast = (
            torch.autocast("cuda", dtype=dtype, cache_enabled=False)
            if amp
            else contextlib.nullcontext()
        )
        static_input = x.clone()
        side = torch.cuda.Stream(x.device)
        side.wait_stream(torch.cuda.current_stream(x.device))
        with torch.cuda.stream(side), cast:
            for _ in range(WARMUP_CALLS):
                self.fn(static_input)
        torch.cuda.current_stream(x.device).wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph), cast:
            static_output = self.fn(static_input)
        return graph, static_input, static_output


class GraphedTeacher:
    """The two calls the engine makes on a frozen teacher, each replayed from CUDA graphs."""

    def __init__(self, teacher: SegmentationModel) -> None:
        self.teacher = teacher
        self._forward = CapturedCall(teacher)
        self._features = CapturedCall(teacher.extract_features)

    def __call__(self, images: Tensor) -> SegOutput:
        return self._forward(images)

    def extract_features(self, images: Tensor) -> list[Tensor]:
        return self._features(images)


def graph_teachers(teachers: Sequence[SegmentationModel], enabled: bool) -> list[Any]:
    """The teachers as stage 2 calls them: replayed from CUDA graphs when ``enabled``."""
    return [GraphedTeacher(t) for t in teachers] if enabled else list(teachers)
