"""Transformer / channel-transformer baselines: parameter counts vs the published ones and
the parts specific to each network (the shared contract lives in tests/contract)."""

from __future__ import annotations

import pytest
import torch

import distill
from distill.plugins.students.medt.axial import AxialAttention
from distill.plugins.students.missformer.blocks import EnhancedTransformerBlock, ReMixFFN
from distill.plugins.students.missformer.bridge import BridgeLayer, _tokens
from distill.plugins.students.swinunet.model import pick_window


def millions(model: torch.nn.Module) -> float:
    return sum(p.numel() for p in model.parameters()) / 1e6


@pytest.mark.parametrize(
    ("name", "published_config"),
    [
        ("uctransnet", {"img_size": 224}),
        ("medt", {"img_size": 128}),
        ("swinunet", {"img_size": 224, "num_classes": 9}),
    ],
)
def test_parameter_count_matches_published(name, published_config):
    model = distill.create("student", name, **published_config)
    published = type(model).published_params
    assert abs(millions(model) - published) / published < 0.10, (name, millions(model))


def test_missformer_count_matches_published_once_unused_modules_are_added_back():
    model = distill.create("student", "missformer", num_classes=9)
    ours = millions(model)
    # the authors' decoder_3 builds a concat linear and two blocks it never runs ...
    unused_blocks = [EnhancedTransformerBlock(512, 8, 1) for _ in range(2)]
    unused = sum(millions(b) for b in unused_blocks) + millions(torch.nn.Linear(1024, 512))
    # ... and each of their ReMix-FFNs holds two LayerNorms it never calls
    ffns = [
        m for part in [model, *unused_blocks] for m in part.modules() if isinstance(m, ReMixFFN)
    ]
    unused += sum(4 * f.fc1.out_features for f in ffns) / 1e6
    assert abs(ours + unused - 42.46) / 42.46 < 0.01, (ours, unused)
    assert 0.15 < (42.46 - ours) / 42.46 < 0.18  # the documented gap


def test_uctransnet_interpolates_position_tables_to_other_sizes():
    model = distill.create("student", "uctransnet", base_width=8, img_size=224).eval()
    assert model.cct.embeddings[0].position.shape[1] == 14 * 14
    with torch.no_grad():
        out = model(torch.randn(1, 3, 64, 96))
    assert out.logits.shape == (1, 2, 64, 96)
    assert [f.shape[-1] for f in out.features] == [96, 48, 24, 12, 6]


def test_medt_relative_positions_index_by_offset_and_stretch_beyond_span():
    attn = AxialAttention(channels=16, groups=8, span=4)
    table = attn._relative(3)
    for i in range(3):
        for j in range(3):
            assert torch.equal(table[:, i, j], attn.relative[:, i - j + 3])
    assert attn._relative(8).shape == (4, 8, 8)  # longer axis than built for
    x = torch.randn(2, 16, 8, 6)
    assert attn(x).shape == x.shape


def looped_gated_axial(attn: AxialAttention, x: torch.Tensor) -> torch.Tensor:
    """MedT's gated axial attention along the height, written position pair by position
    pair from the paper's formula: the reference the vectorised module must match."""
    n, c, h, w = x.shape
    g, gp = attn.groups, attn.group_planes
    rows = x.permute(0, 3, 1, 2).reshape(n * w, c, h)
    qkv = attn.bn_qkv(attn.qkv(rows)).reshape(n * w, g, 2 * gp, h)
    q, k, v = torch.split(qkv, [gp // 2, gp // 2, gp], dim=2)
    rq, rk, rv = torch.split(attn._relative(h), [gp // 2, gp // 2, gp], dim=0)
    qk, qr, kr = (torch.zeros(n * w, g, h, h, dtype=x.dtype) for _ in range(3))
    for i in range(h):
        for j in range(h):
            qk[..., i, j] = (q[..., i] * k[..., j]).sum(2)
            qr[..., i, j] = (q[..., i] * rq[:, i, j]).sum(2) * attn.gate_q
            kr[..., i, j] = (k[..., j] * rk[:, j, i]).sum(2) * attn.gate_k
    similarity = attn.bn_similarity(torch.cat([qk, qr, kr], dim=1))
    weights = sum(similarity.split(g, dim=1)).softmax(dim=3)
    sv, sve = (torch.zeros(n * w, g, gp, h, dtype=x.dtype) for _ in range(2))
    for i in range(h):
        for j in range(h):
            sv[..., i] += weights[..., i, j, None] * v[..., j] * attn.gate_v
            sve[..., i] += weights[..., i, j, None] * rv[:, i, j] * attn.gate_v_positional
    pairs = attn.bn_output(torch.stack([sv, sve], dim=3).reshape(n * w, 2 * c, h))
    out = pairs.view(n * w, c, 2, h).sum(dim=2)
    return out.view(n, w, c, h).permute(0, 2, 3, 1)


@pytest.mark.parametrize("training", [True, False])
def test_medt_gated_axial_attention_matches_the_looped_formula(training):
    torch.manual_seed(0)
    attn = AxialAttention(channels=16, groups=4, span=5).double().train(training)
    with torch.no_grad():  # gates and running statistics away from their initial values
        for gate in (attn.gate_q, attn.gate_k, attn.gate_v, attn.gate_v_positional):
            gate.uniform_(0.5, 1.5)
        for bn in (attn.bn_qkv, attn.bn_similarity, attn.bn_output):
            bn.running_mean.normal_()
            bn.running_var.uniform_(0.5, 2.0)
    x = torch.randn(2, 16, 5, 3, dtype=torch.float64, requires_grad=True)
    ours = attn(x)
    (ours_grad,) = torch.autograd.grad(ours.square().sum(), x)
    reference = looped_gated_axial(attn, x)
    (reference_grad,) = torch.autograd.grad(reference.square().sum(), x)
    torch.testing.assert_close(ours, reference)
    torch.testing.assert_close(ours_grad, reference_grad)


def authors_medt_parameters(img: int = 128, classes: int = 2, groups: int = 8) -> int:
    """Parameters of the authors' MedT (lib/models/axialnet.py, s=0.125), counted layer by
    layer from their code's structure: an independent reference for ours."""

    def attention(width: int, span: int, gated: bool) -> int:
        qkv_and_norms = 2 * width * width + 4 * width + (2 * width if gated else width) * 2
        similarity = 2 * groups * (3 if gated else 1)
        positions = (2 * width // groups) * (2 * span - 1) + 4 if gated else 0  # table, gates
        return qkv_and_norms + similarity + positions

    def layer(inp: int, planes: int, blocks: int, span: int, stride: int, gated: bool) -> int:
        total = 0
        for i in range(blocks):
            out = 2 * planes
            total += inp * planes + 2 * planes + planes * out + 2 * out  # 1x1 down/up + BNs
            total += 2 * attention(planes, span, gated)
            if i == 0 and (stride != 1 or inp != out):
                total += inp * out + 2 * out  # downsample
            if not gated:
                total += planes * planes + planes  # conv1: built, never called
            inp, span = out, span // stride if i == 0 else span
        return total

    def stem(width: int) -> int:
        return 3 * width * 49 + width * 128 * 9 + 128 * width * 9 + 2 * (2 * width + 128)

    def conv3(cin: int, cout: int) -> int:
        return cin * cout * 9 + cout

    local = img // 4
    total = stem(8) + layer(8, 16, 1, img // 2, 1, True) + layer(32, 32, 2, img // 2, 2, True)
    total += conv3(64, 32) + conv3(32, 16) + (16 * classes + classes)  # decoder4/5, adjust
    total += stem(64)  # the local stem starts from the width the global branch ended on
    total += layer(64, 16, 1, local // 2, 1, False) + layer(32, 32, 2, local // 2, 2, False)
    total += layer(64, 64, 4, local // 4, 2, False) + layer(128, 128, 1, local // 8, 2, False)
    total += conv3(256, 256) + conv3(256, 128) + conv3(128, 64) + conv3(64, 32) + conv3(32, 16)
    return total + conv3(16, 16) + (16 * classes + classes)  # decoderf, adjust_p


def test_medt_is_the_authors_network_less_the_modules_it_never_calls():
    """Before, the local stem was 3->8->128->8 (the authors': 3->64->128->64), 140,168
    parameters short of their network."""
    model = distill.create("student", "medt", img_size=128)
    assert tuple(model.stem_local[0].weight.shape) == (64, 3, 7, 7)
    unused_conv1 = sum(p * p + p for p in [16, 32, 32, 64, 64, 64, 64, 128])
    unused_adjust_p = 16 * 2 + 2
    ours = sum(p.numel() for p in model.parameters())
    assert ours + unused_conv1 + unused_adjust_p == authors_medt_parameters() == 1_560_140
    assert round(authors_medt_parameters() / 1e6, 2) == type(model).published_params


def test_medt_gates_are_learnable_as_in_the_paper():
    model = distill.create("student", "medt", img_size=64)
    gates = [n for n, p in model.named_parameters() if "gate" in n and p.requires_grad]
    assert len(gates) == 4 * 2 * 3  # 4 gates x 2 axes x 3 global-branch blocks


@pytest.mark.parametrize(("size", "window"), [((224, 224), 7), ((256, 256), 8), ((192, 256), 8)])
def test_swinunet_window_follows_input_size(size, window):
    assert pick_window(size) == window


def test_swinunet_runs_at_its_built_size_with_declared_features():
    model = distill.create(
        "student", "swinunet", img_size=(64, 96), embed_dim=12, num_heads=(1, 1, 1, 1)
    ).eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, 64, 96))
    assert out.logits.shape == (1, 2, 64, 96)
    assert [f.shape[1] for f in out.features] == [12, 24, 48, 96]


def test_missformer_bridge_tokens_split_back_into_levels():
    dims = [8, 16, 40, 64]
    levels = [torch.randn(2, d, 16 // 2**i, 12 // 2**i) for i, d in enumerate(dims)]
    layer = BridgeLayer(dims, heads=1, reductions=[8, 4, 2, 1])
    tokens = torch.cat([_tokens(lvl, dims[0]) for lvl in levels], dim=1)
    back = layer.split(tokens, [tuple(lvl.shape[-2:]) for lvl in levels])
    assert all(torch.equal(a, b) for a, b in zip(back, levels, strict=True))
    assert layer(tokens, [tuple(lvl.shape[-2:]) for lvl in levels]).shape == tokens.shape
