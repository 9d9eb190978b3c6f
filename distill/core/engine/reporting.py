"""The end of a run: test metrics, curves, overlays of best and worst cases, the report,
and the deployable student."""

from __future__ import annotations

from typing import Any

from distill.core.config import RunConfig, to_yaml
from distill.core.engine.batches import DeviceSplit
from distill.core.engine.checkpoint import write_atomic
from distill.core.engine.evaluate import Evaluation
from distill.core.interfaces import Dataset, SegmentationModel
from distill.core.report.curves import plot_curves
from distill.core.report.overlays import overlay_grid
from distill.core.report.report import write_report
from distill.core.run import Run


def write_run_report(
    run: Run,
    cfg: RunConfig,
    dataset: Dataset,
    test_split: DeviceSplit,
    test: Evaluation,
    teacher_tests: list[dict[str, Any]],
    best_epoch: int,
) -> None:
    payload = test.scores.to_dict()
    payload["teachers"] = teacher_tests
    payload["best_epoch"] = best_epoch
    run.write_test(payload)
    curves = plot_curves(run.rows(), run.path / Run.CURVES)
    overlays = None
    if cfg.eval.overlays:
        dice = [row["mDice"] for row in payload["per_image"]]
        overlays = overlay_grid(
            test_split.images.permute(0, 2, 3, 1).cpu().numpy(),
            test_split.masks.cpu().numpy(),
            test.preds,
            dice,
            list(test_split.ids),
            run.path / Run.OVERLAY_GRID,
            dataset.num_classes,
            per_row=max(1, cfg.eval.overlays // 2),
        )
    write_report(
        run.path / Run.REPORT,
        to_yaml(cfg),
        payload["summary"],
        payload["per_class"],
        curves,
        overlays,
        report_facts(run, cfg, teacher_tests, best_epoch),
    )


def report_facts(
    run: Run, cfg: RunConfig, teacher_tests: list[dict[str, Any]], best_epoch: int
) -> dict[str, Any]:
    """The report's list of facts: data, costs, teachers, and anything that went wrong
    without stopping the run (skipped items, trackers that failed)."""
    teachers = "; ".join(
        f"{t['name']}: test mDice {t['mDice']:.4f}, mIoU {t['mIoU']:.4f}" for t in teacher_tests
    )
    facts: dict[str, Any] = {
        "dataset": cfg.data.dataset.name,
        "best epoch (val mDice)": best_epoch,
        "teachers": teachers or "none (no distillation)",
    }
    size = "x".join(map(str, cfg.data.size))
    for model, cost in run.cost.items():
        facts[f"{model} ({cost['name']})"] = (
            f"{cost['params'] / 1e6:.3f} M parameters, {cost['gmacs']:.3f} GMACs at {size}"
        )
    skipped = (run.data or {}).get("skipped", [])
    if skipped:
        named = "; ".join(f"{file} ({reason})" for file, reason in skipped[:20])
        more = f"; and {len(skipped) - 20} more" if len(skipped) > 20 else ""
        facts["skipped data items"] = f"{len(skipped)}: {named}{more}"
    for mirror in run.mirrors:
        if hasattr(mirror, "flush"):
            mirror.flush(10)  # rows reach trackers on their own threads: let them catch up
        for failure in getattr(mirror, "failures", []):
            facts.setdefault("tracking failures", [])
            facts["tracking failures"].append(failure)
    if "tracking failures" in facts:
        facts["tracking failures"] = "; ".join(facts["tracking failures"])
    return facts


def export_student(student: SegmentationModel, run: Run) -> None:
    """The student's weights alone (no connectors), as safetensors."""
    from safetensors.torch import save_file

    state = {k: v.detach().cpu().contiguous() for k, v in student.state_dict().items()}
    write_atomic(run.student_weights, lambda tmp: save_file(state, str(tmp)))
