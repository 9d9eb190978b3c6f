"""MODEL_CARD.md: what the bundle is for, how it was made and how well it did, in plain words.

Written from ``distill.json`` alone, so the card says no more than the bundle knows: a
figure the run did not record is "not recorded", never estimated.
"""

from __future__ import annotations

from typing import Any

NOT_RECORDED = "not recorded"


def _num(value: Any, digits: int = 4) -> str:
    return NOT_RECORDED if value is None else f"{value:.{digits}f}"


def _spread(summary: dict[str, Any], key: str) -> str:
    value, std = summary.get(key), summary.get(f"{key}_std")
    if value is None:
        return NOT_RECORDED
    return f"{value:.4f} ± {std:.4f}" if std is not None else f"{value:.4f}"


def model_card(meta: dict[str, Any]) -> str:
    sections = [
        _intro(meta),
        _training(meta),
        _results(meta),
        _cost(meta),
        _limits(meta),
        _files(meta),
    ]
    return "\n\n".join(sections) + "\n"


def _intro(meta: dict[str, Any]) -> str:
    model, classes = meta["model"], meta["classes"]
    h, w = meta["input"]["size"]
    return (
        f"# Model card: {model['label']}\n\n"
        "**A research model, not a diagnostic device.** It segments 2D medical images into "
        f"{classes['num_classes']} classes ({', '.join(classes['names'])}) for research into "
        "light segmentation models; it has not been validated clinically, carries no "
        "regulatory clearance, and must not guide the care of a patient.\n\n"
        f"Input: {meta['input']['in_channels']}-channel images, resized whole to {h}x{w} "
        f"(resize policy `{meta['input']['resize']}`: aspect ratio not kept), scaled to "
        f"[0, 1] and normalised with mean {meta['input']['mean']} and std "
        f"{meta['input']['std']}. Output: a label mask at each image's original size."
    )


def _training(meta: dict[str, Any]) -> str:
    t = meta["training"]
    test = meta.get("test") or {}
    n = (test.get("summary") or {}).get("n_images")
    return (
        "## Training data\n\n"
        f"- dataset: `{t['dataset']}` (run `{t['run']}`, status {t['status']})\n"
        f"- test images: {NOT_RECORDED if n is None else int(n)}; the split is the "
        "dataset's own (see the dataset's documentation)\n"
        f"- data fingerprint: `{t['data_fingerprint'] or NOT_RECORDED}`\n"
        f"- training config sha256: `{t['config_sha256']}`\n"
        f"- distillers: {', '.join(meta.get('distillers') or []) or 'none'}\n"
        f"- code commit: `{t['commit'] or NOT_RECORDED}`"
    )


def _results(meta: dict[str, Any]) -> str:
    test = meta.get("test")
    if not test:
        return "## Test results\n\nThe run recorded no test results."
    s = test["summary"]
    lines = [
        "## Test results (mean ± std over test images)",
        "",
        f"- mDice {_spread(s, 'mDice')}, mIoU {_spread(s, 'mIoU')}, "
        f"mASSD {_spread(s, 'mASSD')} px, mHD95 {_spread(s, 'mHD95')} px",
    ]
    if test.get("per_class"):
        lines += ["", "| class | Dice | IoU | ASSD (px) | HD95 (px) |", "|---|---|---|---|---|"]
        for row in test["per_class"]:
            lines.append(
                f"| {row['class']} | {_spread(row, 'dice')} | {_spread(row, 'iou')} | "
                f"{_spread(row, 'assd')} | {_spread(row, 'hd95')} |"
            )
    p = meta["parity"]
    lines += [
        "",
        f"ONNX parity with PyTorch: {p['images']} {p['source']}: largest logit "
        f"difference {p['max_abs_logit_diff']:.2e} (tolerance {p['tolerance']:.1e}), "
        f"{100 * p['pixel_agreement']:.3f}% of pixels agree.",
    ]
    return "\n".join(lines)


def _cost(meta: dict[str, Any]) -> str:
    cost = meta["training"].get("cost") or {}
    lat = meta["latency"]
    lines = [
        "## Cost",
        "",
        f"- parameters: {cost.get('params', NOT_RECORDED):,}"
        if cost.get("params")
        else f"- parameters: {NOT_RECORDED}",
        f"- GMACs at {cost.get('size')}: {_num(cost.get('gmacs'), 3)}",
        f"- CPU latency, batch 1 at {lat['size'][0]}x{lat['size'][1]}, {lat['threads']} "
        f"thread(s), median of {lat['repeats']} on {lat['cpu']}: PyTorch "
        f"{lat['torch_ms']:.1f} ms, onnxruntime {lat['onnxruntime_ms']:.1f} ms",
    ]
    q = meta.get("int8")
    if q:
        lines.append(f"- int8 ({q['file']}): {q['verdict']}")
    return "\n".join(lines)


def _limits(meta: dict[str, Any]) -> str:
    lines = ["## Known limits", ""]
    s = ((meta.get("test") or {}).get("summary")) or {}
    teachers = meta.get("teachers_test") or []
    if teachers and s.get("mDice") is not None:
        for t in teachers:
            gap = 100 * (s["mDice"] - t["mDice"])
            lines.append(
                f"- teacher `{t.get('name')}` scored test mDice {t['mDice']:.4f}; this "
                f"model is {gap:+.2f} points from it"
            )
    distillers = [d for d in meta.get("distillers") or [] if d != "none"]
    if distillers and meta["model"]["kind"] == "student":
        lines.append(
            "- the gain or loss from distillation against this student trained alone "
            "is not known from this run (compare with a run with `--distiller none`)"
        )
    q = meta.get("int8")
    if q and (q["slower"] or q.get("loses_too_much")):
        lines.append(f"- int8 does not pay here: {q['verdict']}")
    if not meta["onnx"]["dynamic_size"]:
        lines.append(f"- model.onnx takes only {meta['input']['size']} inputs (fixed token grid)")
    lines += [
        "- trained on one dataset; images from other devices, sites or populations may score "
        "much lower, and nothing here measures that",
        "- the aspect ratio is not kept: very elongated images are distorted before the model "
        "sees them",
    ]
    return "\n".join(lines)


def _files(meta: dict[str, Any]) -> str:
    v = meta["versions"]
    known = ", ".join(f"{k} {val}" for k, val in v.items() if val)
    return (
        "## Files\n\n`distill.json` lists every file with its sha256; a changed or missing "
        f"file is refused on load. Exported {meta['created']} with {known}."
    )
