"""One contract for every registered student, built-in or third-party.

Adding a student plugin adds its tests: the parameter list is the registry itself.
"""

from __future__ import annotations

import functools

import pytest
import torch

from distill.core.interfaces import check_model_contract, logits_shape_ok
from distill.core.plugins import registry

SIZES = [(256, 256), (192, 256)]
STUDENTS = registry().names("student")


@functools.lru_cache(maxsize=4)
def build(name: str, num_classes: int, size: tuple[int, int], seed: int = 0):
    component = registry().get("student", name)
    values = {"num_classes": num_classes}
    if "img_size" in component.params.model_fields:
        values["img_size"] = size
    torch.manual_seed(seed)
    return component.build(values)


@pytest.mark.parametrize("name", STUDENTS)
class TestStudentContract:
    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    @pytest.mark.parametrize("num_classes", [2, 3])
    def test_forward_matches_declared_contract(self, name, size, num_classes):
        model = build(name, num_classes, size)
        check_model_contract(model, name, size)

    def test_backward_reaches_every_trainable_parameter(self, name):
        model = build(name, 2, SIZES[1]).train()
        model.zero_grad(set_to_none=True)
        x = torch.randn(2, model.in_channels, *SIZES[1])
        out = model(x)
        loss = out.logits.float().square().mean() + sum(f.float().mean() for f in out.features)
        loss.backward()
        missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
        assert not missing, f"{name}: parameters without gradient: {missing[:10]}"

    def test_eval_is_deterministic_and_state_dict_round_trips(self, name):
        model = build(name, 3, SIZES[1]).eval()
        x = torch.randn(1, model.in_channels, *SIZES[1], generator=torch.Generator().manual_seed(1))
        with torch.no_grad():
            first, second = model(x).logits, model(x).logits
        assert torch.equal(first, second)
        twin = build.__wrapped__(name, 3, SIZES[1], seed=123).eval()
        twin.load_state_dict(model.state_dict())
        with torch.no_grad():
            assert torch.allclose(twin(x).logits, first, atol=1e-5)

    def test_runs_under_bfloat16_autocast_on_cpu(self, name):
        model = build(name, 2, SIZES[0]).eval()
        x = torch.randn(1, model.in_channels, *SIZES[0])
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            out = model(x)
        assert logits_shape_ok(out.logits, x, 2)
        assert torch.isfinite(out.logits.float()).all()
