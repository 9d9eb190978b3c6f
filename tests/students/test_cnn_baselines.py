"""CNN baselines (issue 7, task E): published sizes, any-size claims, network specifics."""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import distill
from distill.core.errors import ConfigError
from distill.core.interfaces import check_model_contract
from distill.plugins.students.unext import shift_channels

NETWORKS = ["unet", "unetpp", "attunet", "cenet", "deeplabv3plus", "unext"]


def n_params(model: torch.nn.Module) -> float:
    return sum(p.numel() for p in model.parameters()) / 1e6


@pytest.mark.parametrize("name", NETWORKS)
def test_parameter_count_matches_published(name):
    model = distill.create("student", name, num_classes=2)
    published = type(model).published_params
    assert type(model).family == "cnn"
    assert type(model).published_source
    assert n_params(model) == pytest.approx(published, rel=0.10), (name, n_params(model))


@pytest.mark.parametrize("name", NETWORKS)
def test_runs_at_odd_input_size(name):
    """The summaries promise any input size: 50x70 is divisible by neither 16 nor 32."""
    model = distill.create("student", name, num_classes=3)
    check_model_contract(model, name, (50, 70))


def test_unet_up_modes_give_the_two_quoted_counts():
    assert n_params(distill.create("student", "unet", up_mode="upconv")) == pytest.approx(
        34.5, rel=0.01
    )
    assert n_params(distill.create("student", "unet")) == pytest.approx(31.04, rel=0.001)


def test_unet_width_32_is_about_12_gmacs_at_256():
    """Convolutions scale with area, so 64x64 x 16 is the 256x256 count."""
    model = distill.create("student", "unet", base_width=32).eval()
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(torch.zeros(1, 3, 64, 64))
    gmacs_256 = counter.get_total_flops() / 2e9 * 16
    assert gmacs_256 == pytest.approx(12.07, rel=0.02)


def test_unetpp_deep_supervision_averages_heads_and_trains_each():
    torch.manual_seed(0)
    model = distill.create("student", "unetpp", deep_supervision=True, base_width=4).train()
    x = torch.randn(2, 3, 32, 32)
    heads = model.forward_heads(x)
    assert len(heads) == 4 and all(h.shape == (2, 2, 32, 32) for h in heads)
    model.eval()
    with torch.no_grad():
        mean = torch.stack(model.forward_heads(x)).mean(0)
        assert torch.allclose(model(x).logits, mean, atol=1e-6)
    model.train()
    for i, head in enumerate(model.forward_heads(x)):
        model.zero_grad(set_to_none=True)
        head.square().mean().backward(retain_graph=True)
        assert model.heads[i].weight.grad is not None
        others = [h.weight.grad for j, h in enumerate(model.heads) if j != i]
        assert all(g is None for g in others), "a head's loss must reach only its own head"


def test_unetpp_without_deep_supervision_has_one_head():
    model = distill.create("student", "unetpp", base_width=4)
    assert len(model.heads) == 1
    assert len(model.forward_heads(torch.zeros(1, 3, 32, 32))) == 1


def test_cenet_context_extractor_shapes():
    model = distill.create("student", "cenet").eval()
    x = torch.randn(1, 512, 3, 5)
    assert model.dac(x).shape == x.shape
    assert model.rmp(x).shape == (1, 516, 3, 5)  # 4 pooled maps + input


def test_deeplabv3plus_output_stride_8_and_bad_values():
    model = distill.create("student", "deeplabv3plus", encoder="resnet18", output_stride=8)
    assert model.feature_strides == [4, 8]
    check_model_contract(model, "deeplabv3plus", (64, 64))
    with pytest.raises(ConfigError, match="output_stride"):
        distill.create("student", "deeplabv3plus", encoder="resnet18", output_stride=32)


def test_deeplabv3plus_separable_flag_changes_head_size():
    regular = distill.create("student", "deeplabv3plus", encoder="resnet18", separable=False)
    separable = distill.create("student", "deeplabv3plus", encoder="resnet18")
    assert n_params(regular) > n_params(separable) + 3.0  # three dense atrous 3x3 convs


def test_unext_shift_moves_each_channel_group_along_one_axis():
    x = torch.zeros(1, 5, 7, 7)
    x[:, :, 3, 3] = 1.0
    along_h = shift_channels(x, dim=2)
    along_w = shift_channels(x, dim=3)
    for group, offset in enumerate(range(-2, 3)):
        assert along_h[0, group, 3 + offset, 3] == 1.0 and along_h[0, group].sum() == 1.0
        assert along_w[0, group, 3, 3 + offset] == 1.0 and along_w[0, group].sum() == 1.0
    edge = torch.zeros(1, 5, 4, 4)
    edge[:, :, 0, 0] = 1.0
    assert shift_channels(edge, dim=2)[0, 0].sum() == 0.0  # shifted out, not wrapped round


def test_deeplabv3plus_loads_a_local_encoder_weights_file(tmp_path):
    from safetensors.torch import save_file

    source = distill.create("student", "deeplabv3plus", encoder="resnet18")
    state = {k: v.contiguous() for k, v in source.encoder.net.state_dict().items()}
    save_file(state, str(tmp_path / "resnet18.safetensors"))
    loaded = distill.create(
        "student",
        "deeplabv3plus",
        encoder="resnet18",
        weights_file=tmp_path / "resnet18.safetensors",
    )
    for key, value in loaded.encoder.net.state_dict().items():
        assert torch.equal(value, state[key]), key
