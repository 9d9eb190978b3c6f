"""Teachers replayed from CUDA graphs give the eager outputs, for every batch and shape.

The GPU tests run where CUDA exists (benchmarks/gpu_check.sh runs them on the lent GPU);
the configuration checks run everywhere."""

from __future__ import annotations

import pytest
import torch
from tiny_run import WITH_TEACHER, cli, final_summary

import distill
from distill.core.config import RuntimeConfig
from distill.core.engine.distillation import teacher_outputs
from distill.core.engine.runtime import Runtime
from distill.core.engine.teacher_graphs import GraphedTeacher, graph_teachers
from distill.core.errors import ConfigError

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


def test_cuda_graphs_on_a_cpu_is_a_config_error_and_auto_stays_off(tiny_swin_params):
    with pytest.raises(ConfigError, match="cuda_graphs"):
        Runtime(RuntimeConfig(device="cpu", cuda_graphs="on"))
    assert Runtime(RuntimeConfig(device="cpu", cuda_graphs="auto")).cuda_graphs is False
    teacher = distill.create("teacher", "swin", img_size=[64, 64], **tiny_swin_params)
    assert graph_teachers([teacher], enabled=False) == [teacher]


@needs_cuda
@pytest.mark.parametrize("bf16", [False, True])
def test_graphed_teacher_matches_eager_for_new_batches_and_shapes(bf16, tiny_swin_params):
    torch.manual_seed(0)
    teacher = distill.create("teacher", "swin", img_size=[64, 64], **tiny_swin_params)
    teacher = teacher.cuda().eval()
    teacher.requires_grad_(False)
    graphed = GraphedTeacher(teacher)
    amp = torch.autocast("cuda", dtype=torch.bfloat16, enabled=bf16)
    for batch in (4, 4, 2):  # a second batch of one shape replays; a new shape captures
        images = torch.rand(batch, 3, 64, 64, device="cuda")
        with amp:
            eager = teacher_outputs([teacher], images, frozenset({"logits", "features"}))[0]
            replayed = teacher_outputs([graphed], images, frozenset({"logits", "features"}))[0]
            features = teacher_outputs([graphed], images, frozenset({"features"}))[0]
        torch.testing.assert_close(replayed.logits, eager.logits)
        for got, want in zip(replayed.features, eager.features, strict=True):
            torch.testing.assert_close(got, want)
        for got, want in zip(features.features, eager.features, strict=True):
            torch.testing.assert_close(got, want)
    assert len(graphed._forward.graphs) == 2 and len(graphed._features.graphs) == 2


@needs_cuda
def test_a_run_with_graphed_teachers_matches_one_without(tmp_path):
    """Same seed, same data: the student's test metrics agree whether the teacher is
    replayed from graphs or run eagerly (bf16 kernels may differ in the last bits)."""
    common = [*WITH_TEACHER, "--device", "cuda", "--out", tmp_path, "-q"]
    assert cli("run", *common, "--name", "eager") == 0
    assert cli("run", *common, "--name", "graphed", "--set", "runtime.cuda_graphs=on") == 0
    eager, graphed = final_summary(tmp_path / "eager"), final_summary(tmp_path / "graphed")
    assert graphed["mDice"] == pytest.approx(eager["mDice"], abs=0.05)
