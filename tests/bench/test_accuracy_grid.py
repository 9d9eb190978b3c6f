"""The accuracy grid's cells: micro-batches that add up to the budget, and every variant the
GPU script names resolving here first."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.accuracy import grid
from distill.core.errors import DistillError

REPO = Path(__file__).resolve().parents[2]


def test_accuracy_trains_medt_in_micro_batches_that_add_up_to_the_budget_batch(
    tmp_path: Path,
) -> None:
    catalog = grid.all_methods()

    def recipes(method: str, batch: int) -> tuple:
        budget = grid.Budget(None, 1, 1, batch, ("swin",), "cpu")
        cfg = grid.run_config("synthetic-derm", 0, catalog[method], budget, tmp_path)
        return (cfg.train.batch_size, cfg.train.accumulate), cfg.teacher_train.batch_size

    assert recipes("medt", 32) == ((8, 4), 32)  # the teacher's recipe is the budget's
    assert recipes("medt", 20) == ((5, 4), 20)  # equal pieces of at most 8
    assert recipes("medt", 4) == ((4, 1), 4)  # small batches stay whole
    assert recipes("unet", 32) == ((32, 1), 32)


def test_every_variant_in_the_gpu_script_resolves(tmp_path: Path) -> None:
    """The lent GPU is rare and short: a typo in gpu_check.sh's variants must fail here,
    not there. Each variant resolves against the registry with both teachers given."""
    import re

    from distill.core.config import resolve
    from distill.core.plugins import registry

    script = (REPO / "benchmarks" / "gpu_check.sh").read_text()
    variants = re.findall(r'--variant "([^"]+)"', script)
    assert len(variants) >= 8
    budget = grid.Budget(None, 10, 30, 32, ("swin", "cnn"), "cpu")
    catalog = grid.all_methods()
    for text in variants:
        method = grid.parse_variant(text, catalog)
        resolve(grid.run_config("isic2017-cc0", 0, method, budget, tmp_path), registry())
    with pytest.raises(DistillError, match="logit_ensembel"):
        typo = grid.parse_variant("t=mpdnet+dual distiller.dual.logit_ensembel=true", catalog)
        resolve(grid.run_config("isic2017-cc0", 0, typo, budget, tmp_path), registry())
