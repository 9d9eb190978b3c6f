"""Teachers and MPDNet: contracts at two input sizes, gradients, size target, weights."""

from __future__ import annotations

import pytest
import timm
import torch
from torch.utils.flop_counter import FlopCounterMode

import distill
from distill.core.errors import ConfigError, DataError, DistillError
from distill.core.interfaces import check_model_contract
from distill.plugins.teachers.swin import window_for

FUSIONS = ["selective", "concat", "add", "attention-gate"]
SIZES = [(256, 256), (192, 256)]


def size_at_256(kind: str, name: str, **params) -> tuple[float, float]:
    """(M params, GMACs) at 1x3x256x256, counted on the meta device (no real compute)."""
    with torch.device("meta"):
        model = distill.create(kind, name, **params).eval()
        with FlopCounterMode(display=False) as counter:
            model(torch.zeros(1, 3, 256, 256))
    return sum(p.numel() for p in model.parameters()) / 1e6, counter.get_total_flops() / 2e9


def assert_trains(model, size):
    model.train()
    out = model(torch.randn(1, 3, *size))
    (out.logits.mean() + sum(f.mean() for f in out.features)).backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None for g in grads) and any(g.abs().sum() > 0 for g in grads)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("fusion", FUSIONS)
def test_mpdnet_contract_every_fusion(size, fusion):
    model = distill.create("student", "mpdnet", fusion=fusion)
    assert model.feature_strides == [4, 8, 16, 32]
    check_model_contract(model, f"mpdnet/{fusion}", size)


@pytest.mark.parametrize("size", SIZES)
def test_mpdnet_gradients_and_decoder_features(size):
    model = distill.create("student", "mpdnet", num_classes=3, features_from="decoder")
    check_model_contract(model, "mpdnet", size)
    assert_trains(model, size)


def test_mpdnet_timm_encoder():
    model = distill.create("student", "mpdnet", encoder="test_efficientnet")
    check_model_contract(model, "mpdnet/timm", (64, 64))


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"weights_file": "no/such/weights.pth"}, "weights_file"),
        ({"pretrained": True}, "pretrained"),
        ({"encoder": "test_efficientnet", "depths": [1, 1, 1, 1]}, "depths"),
    ],
)
def test_mpdnet_rejects_options_its_encoder_cannot_use(options, field):
    """The compact encoder loads no weights; a timm encoder has its own widths and depths.
    Before, both were ignored (a weights file that does not even exist passed)."""
    with pytest.raises(ConfigError, match=f"field '{field}' cannot be used with encoder="):
        distill.create("student", "mpdnet", **options)


def test_mpdnet_fusion_params_are_validated():
    with pytest.raises(ConfigError, match="reduction"):
        distill.create("student", "mpdnet", fusion_params={"reduction": 0})


def test_size_targets_at_256():
    student = {f: size_at_256("student", "mpdnet", fusion=f) for f in FUSIONS}
    swin = size_at_256("teacher", "swin")
    hybrid = size_at_256("teacher", "hybrid")
    for params, macs in student.values():
        assert params <= 5.0 and macs <= 3.0
        assert params < min(swin[0], hybrid[0]) and macs < min(swin[1], hybrid[1])


def test_teacher_defaults_are_the_real_configuration():
    with torch.device("meta"):
        swin = distill.create("teacher", "swin")
        hybrid = distill.create("teacher", "hybrid")
    assert swin.feature_channels == [96, 192, 384, 768] and swin.family == "transformer"
    assert swin.feature_strides == [4, 8, 16, 32]
    assert hybrid.family == "hybrid" and hybrid.feature_strides == [4, 8, 16, 32]
    assert distill.create("teacher", "cnn").family == "cnn"


@pytest.mark.parametrize("size", SIZES)
def test_swin_teacher(size, tiny_swin_params):
    model = distill.create("teacher", "swin", img_size=size, **tiny_swin_params)
    check_model_contract(model, "swin", size)
    assert model.feature_channels == [16, 32, 64, 128]
    assert_trains(model, size)
    with pytest.raises(DistillError, match="img_size"):
        model(torch.zeros(1, 3, 224, 224))


@pytest.mark.parametrize("size", SIZES)
def test_hybrid_teacher(size, tiny_hybrid_params):
    model = distill.create("teacher", "hybrid", img_size=size, **tiny_hybrid_params)
    check_model_contract(model, "hybrid", size)
    assert_trains(model, size)


@pytest.mark.parametrize("size", SIZES)
def test_cnn_teacher(size):
    model = distill.create("teacher", "cnn", backbone="test_resnet", decoder_channels=[32, 16, 8])
    check_model_contract(model, "cnn", size)
    assert model.feature_channels == [32, 48, 192, 96]  # stride-2 map dropped
    assert_trains(model, size)


def test_swin_window_and_size_checks():
    assert window_for((256, 256)) == (8, 8)
    assert window_for((224, 224)) == (7, 7)
    assert window_for((192, 256)) == (6, 8)
    assert window_for((512, 512)) == (8, 8)
    with pytest.raises(ConfigError, match="img_size"):
        distill.create("teacher", "swin", img_size=(250, 256))


def test_swin_weights_file_full_model_checkpoint(tmp_path, tiny_swin):
    source = timm.create_model(
        "swin_tiny_patch4_window7_224", img_size=(192, 256), window_size=(6, 8), **tiny_swin
    )
    path = tmp_path / "swin.pth"
    torch.save(source.state_dict(), path)
    teacher = distill.create(
        "teacher",
        "swin",
        img_size=(192, 256),
        weights_file=str(path),
        decoder_channels=8,
        **tiny_swin,
    )
    loaded = teacher.backbone.net.state_dict()
    for key, value in source.state_dict().items():
        if key.startswith("layers."):
            key = key.replace("layers.", "layers_", 1)
        if key in loaded:
            assert torch.equal(loaded[key], value), key
    assert torch.equal(
        loaded["layers_3.blocks.0.mlp.fc1.weight"],
        source.state_dict()["layers.3.blocks.0.mlp.fc1.weight"],
    )


def test_swin_weights_file_from_another_window_size_is_adapted(tmp_path, tiny_swin):
    source = timm.create_model("swin_tiny_patch4_window7_224", **tiny_swin)  # window 7
    path = tmp_path / "swin_w7.pth"
    torch.save(source.state_dict(), path)
    teacher = distill.create(
        "teacher", "swin", weights_file=str(path), decoder_channels=8, **tiny_swin
    )  # 256x256: window 8
    loaded = teacher.backbone.net.state_dict()
    assert torch.equal(
        loaded["layers_0.blocks.0.mlp.fc1.weight"],
        source.state_dict()["layers.0.blocks.0.mlp.fc1.weight"],
    )
    assert loaded["layers_0.blocks.0.attn.relative_position_bias_table"].shape[0] == 15 * 15


def test_cnn_weights_file_safetensors_and_errors(tmp_path):
    from safetensors.torch import save_file

    source = timm.create_model("test_resnet", features_only=True)
    path = tmp_path / "test_resnet.safetensors"
    save_file(source.state_dict(), str(path))
    teacher = distill.create("teacher", "cnn", backbone="test_resnet", weights_file=str(path))
    loaded = teacher.backbone.net.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in source.state_dict().items())

    bad = tmp_path / "broken.pth"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(DataError, match="broken.pth"):
        distill.create("teacher", "cnn", backbone="test_resnet", weights_file=str(bad))
    wrong = tmp_path / "wrong.pth"
    torch.save({"conv1.weight": torch.zeros(1)}, wrong)
    with pytest.raises(DataError, match="wrong.pth"):
        distill.create("teacher", "cnn", backbone="test_resnet", weights_file=str(wrong))


def test_pretrained_offline_says_it_needs_internet(monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(DistillError, match="internet.*weights_file"):
        distill.create("teacher", "cnn", backbone="test_resnet", pretrained=True)
