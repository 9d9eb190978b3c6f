"""The profiler: counts known analytically, MACs agree with ptflops, the CLI works."""

from __future__ import annotations

import json
from typing import ClassVar

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from distill.cli.app import run_app
from distill.core.interfaces import ModelParams, SegOutput, Student
from distill.core.plugins import registry
from distill.core.profile import (
    MEMORY_SAVED_TENSORS,
    attention_flops,
    count_macs,
    count_parameters,
    mac_counter,
    model_cost,
    profile_model,
    profiles_markdown,
    saved_activation_bytes,
)


class ConvReLU(nn.Module):
    in_channels = 3

    def __init__(self, cin: int = 3, cout: int = 8, k: int = 3):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, padding=k // 2, bias=False)

    def forward(self, x):
        return torch.relu(self.conv(x))


class SmallConvNet(nn.Module):
    """Conv-BN style blocks (no conv bias, as with BatchNorm): ptflops' aten backend also
    counts one MAC per bias add, which FlopCounterMode leaves out; only the head has one."""

    in_channels = 3

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False),
            nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=2, dilation=2, bias=False),
            nn.ReLU(),
            nn.ConvTranspose2d(32, 16, 2, stride=2, bias=False),
            nn.ReLU(),
            nn.Conv2d(16, 2, 1),
        )

    def forward(self, x):
        return self.body(x)


def test_single_conv_parameters_and_macs_are_the_textbook_counts():
    model = ConvReLU(3, 8, 3)
    assert count_parameters(model) == 3 * 8 * 3 * 3
    assert count_macs(model, (16, 20)) == 3 * 8 * 3 * 3 * 16 * 20


class Attention(nn.Module):
    """One fused attention call on (B, H, L, E) queries and (B, H, S, E) keys and values."""

    in_channels = 3

    def __init__(self, heads: int, source: int, embed: int):
        super().__init__()
        self.heads, self.source, self.embed = heads, source, embed

    def forward(self, x):
        batch, length = x.shape[0], x.shape[-2] * x.shape[-1]
        q = x.new_ones(batch, self.heads, length, self.embed)
        kv = x.new_ones(batch, self.heads, self.source, self.embed)
        return nn.functional.scaled_dot_product_attention(q, kv, kv)


def explicit_attention_flops(b, h, length, source, embed) -> int:
    """The same attention spelled as two matmuls, counted by the plain FlopCounterMode:
    an independent reference for the fused kernel's formula."""
    q = torch.ones(b, h, length, embed)
    kv = torch.ones(b, h, source, embed)
    counter = FlopCounterMode(display=False)
    with counter:
        torch.softmax(q @ kv.transpose(-2, -1), dim=-1) @ kv
    return counter.get_total_flops()


def test_cpu_attention_counts_qk_and_av_products():
    """FlopCounterMode alone counts CPU SDPA as zero; B·H·L·S·E for QKᵀ plus as many for AV."""
    heads, source, embed, size = 2, 12, 8, (4, 5)
    length = size[0] * size[1]
    expected = 2 * heads * length * source * embed  # batch 1: QKᵀ + AV
    assert count_macs(Attention(heads, source, embed), size) == expected
    assert 2 * expected == explicit_attention_flops(1, heads, length, source, embed)


def test_cpu_attention_backward_counts_recompute_and_four_gradients():
    q = torch.randn(2, 3, 10, 4, requires_grad=True)
    kv = torch.randn(2, 3, 6, 4)
    counter = mac_counter()
    with counter:
        nn.functional.scaled_dot_product_attention(q, kv, kv).sum().backward()
    product = 2 * 2 * 3 * 10 * 6 * 4  # FLOPs of one (B·H, L, E) x (B·H, E, S) product
    assert counter.get_total_flops() == 2 * product + 5 * product  # forward + backward


def test_attention_flops_broadcasts_grouped_heads_and_value_width():
    assert attention_flops((2, 8, 10, 4), (2, 2, 6, 4), (2, 2, 6, 3)) == 2 * 16 * 10 * 6 * (4 + 3)


def test_model_cost_leaves_the_callers_random_stream_alone():
    """Tables price models between (or beside) training runs: building one from a fixed seed
    must not reseed the run's global stream."""
    torch.manual_seed(123)
    expected = torch.rand(4)
    torch.manual_seed(123)
    params_m, gmacs = model_cost("student", {"name": "unet", "base_width": 4}, 2, (32, 32))
    assert torch.equal(torch.rand(4), expected)
    assert params_m > 0 and gmacs > 0


def test_saved_activation_bytes_counts_what_backward_keeps():
    """conv keeps its input, relu its output (shared with the loss); weights are excluded."""
    batch, h, w = 2, 8, 8
    assert saved_activation_bytes(ConvReLU(3, 8, 3), (h, w), batch) == 4 * batch * (3 + 8) * h * w


def test_macs_agree_with_ptflops_aten_backend():
    ptflops = pytest.importorskip("ptflops")
    model = SmallConvNet()
    ours = count_macs(model, (32, 32))
    theirs, _ = ptflops.get_model_complexity_info(
        model, (3, 32, 32), as_strings=False, backend="aten", print_per_layer_stat=False
    )
    assert abs(ours - theirs) / theirs < 0.003


def test_profile_model_fills_every_cpu_measurement():
    profile = profile_model(
        SmallConvNet(), (32, 32), batch=2, repeats=2, warmup=1, device="cpu", name="small"
    )
    assert profile.params == count_parameters(SmallConvNet())
    assert profile.gmacs == pytest.approx(count_macs(SmallConvNet(), (32, 32)) / 1e9)
    assert profile.activation_mb > 0 and profile.memory_method == MEMORY_SAVED_TENSORS
    assert profile.cpu_latency_ms > 0 and profile.gpu_bf16_img_per_s is None
    assert "| small |" in profiles_markdown([profile])


class PublishedTiny(Student):
    """A tiny student whose published parameter count is known (for the profile tests)."""

    published_params: ClassVar[float | None] = 0.001
    published_source: ClassVar[str] = "this test"

    def __init__(self, params: ModelParams):
        super().__init__(params)
        self.stem = nn.Conv2d(params.in_channels, 8, 3, stride=4, padding=1)
        self.head = nn.Conv2d(8, params.num_classes, 1)
        self.feature_channels, self.feature_strides = [8], [4]

    def forward(self, x):
        feature = self.stem(x)
        logits = nn.functional.interpolate(self.head(feature), size=x.shape[-2:])
        return SegOutput(logits, [feature])


@pytest.fixture
def tiny_student():
    registry().add("student", "profile-test-tiny", PublishedTiny, source="tests.test_profile")
    yield "profile-test-tiny"
    registry().remove_source("tests.test_profile")


def test_cli_writes_json_markdown_and_latex_with_published_difference(tmp_path, tiny_student):
    out, md, tex = tmp_path / "profile.json", tmp_path / "profile.md", tmp_path / "profile.tex"
    code = run_app(
        [
            "profile",
            "--student",
            tiny_student,
            "--size",
            "32",
            "32",
            "--repeats",
            "1",
            "--batch",
            "1",
            "--device",
            "cpu",
            "--json",
            str(out),
            "--markdown",
            str(md),
            "--latex",
            str(tex),
        ]
    )
    assert code == 0
    (row,) = json.loads(out.read_text())
    params = count_parameters(PublishedTiny(ModelParams()))
    assert row["name"] == tiny_student and row["params"] == params
    assert row["published_params_m"] == 0.001 and row["published_source"] == "this test"
    assert row["params_rel_diff"] == pytest.approx((params / 1e6 - 0.001) / 0.001)
    assert row["input_size"] == [32, 32] and row["memory_method"] == MEMORY_SAVED_TENSORS
    diff = 100 * row["params_rel_diff"]
    markdown = md.read_text()
    assert f"| student | {tiny_student} | {params / 1e6:.2f} | 0.00 | {diff:.1f} |" in markdown
    assert "this test" in markdown  # the conditions under the table name the source
    latex = tex.read_text()
    assert rf"student & {tiny_student} & {params / 1e6:.2f} & 0.00 & {diff:.1f} &" in latex
    assert r"\caption{input 32x32; GMACs at batch 1" in latex and "this test" in latex


def test_cli_profiles_a_registered_student(tmp_path):
    out = tmp_path / "mpdnet.json"
    code = run_app(
        [
            "profile",
            "--student",
            "mpdnet",
            "--size",
            "64",
            "64",
            "--repeats",
            "1",
            "--batch",
            "1",
            "--no-memory",
            "--device",
            "cpu",
            "--json",
            str(out),
        ]
    )
    assert code == 0
    (row,) = json.loads(out.read_text())
    assert row["params"] > 0 and row["gmacs"] > 0 and row["activation_mb"] is None


def test_cli_unknown_name_exits_2_listing_valid_names(capsys, tiny_student):
    assert run_app(["profile", "--student", "no-such-net"]) == 2
    err = capsys.readouterr().err
    assert "no-such-net" in err and tiny_student in err


def test_cli_without_a_model_is_a_usage_error(capsys):
    assert run_app(["profile"]) == 2
    assert "--all" in capsys.readouterr().err
