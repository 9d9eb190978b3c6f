"""The accuracy grid's cells: micro-batches that add up to the budget, a folder per config,
and every variant the GPU script names resolving here first."""

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


def test_a_cells_folder_changes_with_anything_that_changes_the_run(tmp_path: Path) -> None:
    """A finished folder is skipped on the next try: another budget or another variant of
    the same label must never find it."""
    catalog = grid.all_methods()
    budget = grid.Budget(None, 1, 1, 2, ("swin",), "cpu")
    dual = catalog["mpdnet+dual"]
    coarse = grid.parse_variant("coarse=mpdnet+dual distiller.dual.strides=[16,32]", catalog)
    other = grid.parse_variant("coarse=mpdnet+dual distiller.dual.strides=[32]", catalog)
    folders = [
        grid.run_folder("synthetic-derm", 0, dual, budget, tmp_path),
        grid.run_folder("synthetic-derm", 1, dual, budget, tmp_path),
        grid.run_folder(
            "synthetic-derm", 0, dual, grid.Budget(None, 2, 1, 2, ("swin",), "cpu"), tmp_path
        ),
        grid.run_folder("synthetic-derm", 0, coarse, budget, tmp_path),
        grid.run_folder("synthetic-derm", 0, other, budget, tmp_path),
    ]
    assert len(set(folders)) == len(folders)
    assert folders[0] == grid.run_folder("synthetic-derm", 0, dual, budget, tmp_path)
    assert folders[0].name.startswith("synthetic-derm-s0-mpdnet+dual-")
    assert folders[3].name.startswith("synthetic-derm-s0-mpdnet+dual@coarse-")


def test_every_variant_in_the_gpu_script_resolves(tmp_path: Path) -> None:
    """A GPU is rare: a typo in gpu_check.sh's variants must fail here, not there. Each
    variant resolves against the registry with both teachers given."""
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
