"""One contract for every registered student, built-in or third-party.

Adding a student plugin adds its tests: the parameter list is the registry itself. Two
models are built per student, (128x128, 2 classes) and (64x128, 3 classes), so a square and
an oblong size and both class counts are covered with two builds; all tests of one student
run in one xdist worker (``--dist loadgroup``) and share them through the cache below. The
sizes are small so the contract stays cheap; each network's full-size build and its
parameter count against the published one are checked once, in tests/students.
"""

from __future__ import annotations

import functools

import pytest
import torch

from distill.core.interfaces import check_model_contract, logits_shape_ok
from distill.core.plugins import registry

SIZES = [(128, 128), (64, 128)]
STUDENTS = [
    pytest.param(n, marks=pytest.mark.xdist_group(f"student-{n}"))
    for n in registry().names("student")
]


@functools.lru_cache(maxsize=3)
def build(name: str, num_classes: int, size: tuple[int, int], seed: int = 0):
    """Models that fix their input size at build time (``img_size``) get one per size."""
    component = registry().get("student", name)
    torch.manual_seed(seed)
    return component.build_model({"num_classes": num_classes}, size)


def takes_size(name: str) -> bool:
    """Built for one input size (an ``img_size`` parameter): a token grid, not any size."""
    return "img_size" in registry().get("student", name).params.model_fields


def sized(name: str, num_classes: int, size: tuple[int, int]):
    return build(name, num_classes, size if takes_size(name) else SIZES[0])


@pytest.mark.parametrize("name", STUDENTS)
@pytest.mark.parametrize(
    ("size", "num_classes"), [(SIZES[0], 2), (SIZES[1], 3)], ids=["128x128-2cls", "64x128-3cls"]
)
def test_forward_matches_declared_contract(name, size, num_classes):
    check_model_contract(sized(name, num_classes, size), name, size)


@pytest.mark.parametrize("name", STUDENTS)
def test_backward_reaches_every_trainable_parameter(name):
    model = sized(name, 3, SIZES[1]).train()
    model.zero_grad(set_to_none=True)
    out = model(torch.randn(1, model.in_channels, *SIZES[1]))
    loss = out.logits.float().square().mean() + sum(f.float().mean() for f in out.features)
    loss.backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, f"{name}: parameters without gradient: {missing[:10]}"
    model.zero_grad(set_to_none=True)


@pytest.mark.parametrize("name", STUDENTS)
def test_eval_is_deterministic_and_state_dict_round_trips(name):
    model = sized(name, 3, SIZES[1]).eval()
    x = torch.randn(1, model.in_channels, *SIZES[1], generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        first, second = model(x).logits, model(x).logits
    assert torch.equal(first, second)
    size = SIZES[1] if takes_size(name) else SIZES[0]
    twin = build.__wrapped__(name, 3, size, seed=123).eval()
    twin.load_state_dict(model.state_dict())
    with torch.no_grad():
        assert torch.allclose(twin(x).logits, first, atol=1e-5)


# CPU bfloat16 convolutions are slow (64x128 costs 9x as much as 32x64): the smallest sizes,
# with 64x64 for the models built for one size (MedT's axial blocks need multiples of 64).
BFLOAT16_SIZES = {"any size": (32, 64), "one size": (64, 64)}


@pytest.mark.parametrize("name", STUDENTS)
def test_runs_under_bfloat16_autocast_on_cpu(name):
    size = BFLOAT16_SIZES["one size" if takes_size(name) else "any size"]
    model = sized(name, 3, size).eval()
    x = torch.randn(1, model.in_channels, *size)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(x)
    assert logits_shape_ok(out.logits, x, 3)
    assert torch.isfinite(out.logits.float()).all()


ONNX_SIZES = [(64, 64), (64, 128)]  # square and oblong, multiples of 64 (MedT's axial blocks)


@pytest.mark.parametrize("name", STUDENTS)
def test_exports_to_onnx_within_parity(name, tmp_path):
    """Every student exports (logits only, dynamic batch) and onnxruntime agrees with
    PyTorch within the export's own tolerances: the CNNs' one dynamic-size graph at two
    sizes, the models with a fixed token grid at the size they were built for (each size is
    its own graph; their other sizes are covered in PyTorch above)."""
    pytest.importorskip("onnxruntime")
    import numpy as np

    from distill.deploy.onnx_export import export_onnx, fixed_size
    from distill.deploy.ort import OrtBackend
    from distill.deploy.parity import measure, require
    from distill.deploy.torch_backend import TorchBackend

    dynamic = not takes_size(name)
    torch.manual_seed(0)
    model = registry().get("student", name).build_model({"num_classes": 3}, ONNX_SIZES[0])
    model.eval()
    assert fixed_size(model) is not dynamic
    path = tmp_path / "model.onnx"
    export_onnx(
        model,
        path,
        size=ONNX_SIZES[0],
        in_channels=3,
        label=f"student {name}",
        dynamic_size=dynamic,
    )
    session = OrtBackend(path, threads=1)
    for index, size in enumerate(ONNX_SIZES if dynamic else ONNX_SIZES[:1]):
        x = np.random.default_rng(index).normal(size=(2, 3, *size)).astype(np.float32)
        require(measure(TorchBackend(model, "cpu"), session, x, "random images"), name)
