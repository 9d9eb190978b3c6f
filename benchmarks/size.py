"""Model size: parameters and GMACs of every teacher, student and baseline, counted one way.

Run as ``python -m benchmarks.size``. Counts come from ``distill.core.profile`` (parameters,
``FlopCounterMode`` MACs at batch 1) at 256x256 and 224x224, with published parameter counts
beside ours. Also checks the issue-5 targets for mpdnet (<= 5M parameters, <= 3 GMACs at
256x256 with 2 classes, and fewer parameters and MACs than the swin and hybrid teachers and
every transformer/hybrid baseline) and prints PASS/FAIL lines. Writes
benchmarks/results/size/{size.json,size.md,size.png}.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import torch

from benchmarks.environment import environment, environment_line

OUT = Path(__file__).resolve().parent / "results" / "size"
STUDENT = "mpdnet"
MAX_PARAMS_M, MAX_GMACS = 5.0, 3.0
FAMILY_COLOURS = {"cnn": "#1f77b4", "transformer": "#d62728", "hybrid": "#9467bd"}


def all_models() -> list[tuple[str, str]]:
    from distill.core.plugins import registry

    reg = registry()
    return [("teacher", n) for n in reg.names("teacher")] + [
        ("student", n) for n in reg.names("student")
    ]


def build(kind: str, name: str, size: int, num_classes: int) -> torch.nn.Module:
    """A registered model with default parameters, seeded, built for ``size`` x ``size``."""
    from distill.core.plugins import registry

    component = registry().get(kind, name)
    torch.manual_seed(0)
    return component.build_model({"num_classes": num_classes}, (size, size))


def measure(
    kind: str, name: str, sizes: list[int], num_classes: int, device: str
) -> dict[str, Any]:
    """Parameters (at the first size) and GMACs at every size; a size the model cannot take
    is recorded with the reason instead of a number."""
    from distill.core.profile import count_macs, count_parameters

    row: dict[str, Any] = {"kind": kind, "name": name, "gmacs": {}, "errors": {}}
    model = None
    for size in sizes:
        try:
            if model is None or "img_size" in type(model).Params.model_fields:
                model = build(kind, name, size, num_classes).to(device)
            macs = count_macs(model, (size, size))
        except Exception as err:  # a model restricted to other sizes: say why, keep going
            row["errors"][str(size)] = f"{type(err).__name__}: {err}"
            continue
        row["gmacs"][str(size)] = macs / 1e9
        if "params" not in row:
            cls = type(model)
            row.update(
                params=count_parameters(model),
                params_m=count_parameters(model) / 1e6,
                family=getattr(cls, "family", "cnn"),
                published_params_m=getattr(cls, "published_params", None),
                published_source=getattr(cls, "published_source", ""),
            )
    return row


def target_checks(rows: list[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    """The issue-5 size targets for mpdnet, one PASS/FAIL record each."""
    key = str(size)
    ours = next((r for r in rows if r["kind"] == "student" and r["name"] == STUDENT), None)
    if ours is None or key not in ours["gmacs"]:
        return []
    checks = [
        _check(
            f"{STUDENT} params <= {MAX_PARAMS_M:g}M",
            ours["params_m"] <= MAX_PARAMS_M,
            f"{ours['params_m']:.2f}M",
        ),
        _check(
            f"{STUDENT} GMACs <= {MAX_GMACS:g} at {size}x{size}",
            ours["gmacs"][key] <= MAX_GMACS,
            f"{ours['gmacs'][key]:.2f}",
        ),
    ]
    rivals = [
        r
        for r in rows
        if r is not ours
        and "params" in r
        and (
            (r["kind"] == "teacher" and r["name"] in ("swin", "hybrid"))
            or (r["kind"] == "student" and r["family"] in ("transformer", "hybrid"))
        )
    ]
    for r in rivals:
        label = f"{r['kind']} {r['name']}"
        checks.append(
            _check(
                f"{STUDENT} has fewer params than {label}",
                ours["params"] < r["params"],
                f"{ours['params_m']:.2f}M vs {r['params_m']:.2f}M",
            )
        )
        if key in r["gmacs"]:
            checks.append(
                _check(
                    f"{STUDENT} has fewer MACs than {label}",
                    ours["gmacs"][key] < r["gmacs"][key],
                    f"{ours['gmacs'][key]:.2f} vs {r['gmacs'][key]:.2f} GMACs",
                )
            )
    return checks


def _check(what: str, ok: bool, detail: str) -> dict[str, Any]:
    return {"check": what, "pass": bool(ok), "detail": detail}


def check_lines(checks: list[dict[str, Any]]) -> list[str]:
    return [f"{'PASS' if c['pass'] else 'FAIL'}: {c['check']} ({c['detail']})" for c in checks]


def markdown(result: dict[str, Any]) -> str:
    sizes = result["sizes"]
    head = ["kind", "family", "name", "params (M)", "published (M)", "diff"]
    head += [f"GMACs @{s}" for s in sizes]
    lines = [
        "# Model size",
        "",
        f"Parameters and multiply-accumulates (FlopCounterMode / 2, batch 1) with "
        f"{result['num_classes']} output classes, sorted by parameters. Published counts are "
        "the papers' (their class counts and settings may differ).",
        "",
        "| " + " | ".join(head) + " |",
        "|---|---|---|" + "---:|" * (len(head) - 3),
    ]
    for r in result["rows"]:
        if "params" not in r:
            lines.append(f"| {r['kind']} | - | {r['name']} | failed: {r['errors']} |")
            continue
        pub = r["published_params_m"]
        diff = f"{100 * (r['params_m'] - pub) / pub:+.1f}%" if pub else "-"
        cells = [r["kind"], r["family"], f"**{r['name']}**" if r["name"] == STUDENT else r["name"]]
        cells += [f"{r['params_m']:.2f}", f"{pub:.2f}" if pub else "-", diff]
        cells += [f"{r['gmacs'][str(s)]:.2f}" if str(s) in r["gmacs"] else "n/a" for s in sizes]
        lines.append("| " + " | ".join(cells) + " |")
    notes = [f"- {r['name']} @{s}: {msg}" for r in result["rows"] for s, msg in r["errors"].items()]
    if notes:
        lines += ["", "Sizes a model cannot take (n/a above):", "", *notes]
    sources = [
        f"- {r['name']}: {r['published_source']}"
        for r in result["rows"]
        if r.get("published_source")
    ]
    if sources:
        lines += ["", "Published counts:", "", *sources]
    lines += ["", f"## Issue-5 targets at {sizes[0]}x{sizes[0]}", ""]
    lines += [f"- {line}" for line in check_lines(result["checks"])]
    lines += ["", f"Total time {result['seconds']:.0f} s.", "", environment_line(result["env"])]
    return "\n".join(lines) + "\n"


def latex(result: dict[str, Any]) -> str:
    """size.tex: the table for a paper, teachers then students, each by parameters."""
    from distill.core.report.latex import latex_file, latex_table

    sizes = result["sizes"]
    rows = []
    for r in sorted(
        (r for r in result["rows"] if "params" in r),
        key=lambda r: (r["kind"] != "teacher", r["params_m"]),
    ):
        pub = r["published_params_m"]
        row = {
            "kind": r["kind"],
            "name": r["name"],
            "params_m": r["params_m"],
            "published": pub,
            "diff": 100 * (r["params_m"] - pub) / pub if pub else None,
        }
        rows.append(row | {f"gmacs_{s}": r["gmacs"].get(str(s)) for s in sizes})
    columns = [
        ("kind", "Kind"),
        ("name", "Model"),
        ("params_m", "Params (M)", 2),
        ("published", "Published (M)", 2),
        ("diff", "Diff. (%)", 1),
        *[(f"gmacs_{s}", f"GMACs @{s}", 2) for s in sizes],
    ]
    caption = (
        f"Parameters and multiply-accumulates (FlopCounterMode / 2, batch 1) with "
        f"{result['num_classes']} output classes; published counts are the papers'."
    )
    table = latex_table(
        rows, columns, caption=caption, label="tab:size", group=lambda row: row["kind"]
    )
    return latex_file(result["env"]["command"], [table])


def plot(result: dict[str, Any], path: Path) -> None:
    """GMACs vs parameters, log axes, one labelled point per model, families coloured."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    key = str(result["sizes"][0])
    rows = [r for r in result["rows"] if key in r.get("gmacs", {}) and "params" in r]
    fig, ax = plt.subplots(figsize=(8, 6))
    for family, colour in FAMILY_COLOURS.items():
        for kind, marker in (("student", "o"), ("teacher", "s")):
            pts = [r for r in rows if r["family"] == family and r["kind"] == kind]
            if pts:
                ax.scatter(
                    [r["params_m"] for r in pts],
                    [r["gmacs"][key] for r in pts],
                    c=colour,
                    marker=marker,
                    s=60,
                    label=f"{family} {kind}",
                    edgecolors="k" if kind == "teacher" else "none",
                )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.margins(0.08)
    ax.set_xlabel("parameters (M, log)")
    ax.set_ylabel(f"GMACs at {key}x{key} (log)")
    ax.set_title(f"Model cost, {result['num_classes']} classes")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.canvas.draw()  # final limits and layout, so label boxes are where they will be drawn
    from distill.core.report.scatter import place_labels

    place_labels(
        ax,
        fig,
        [
            (
                r["name"] + (" (teacher)" if r["kind"] == "teacher" else ""),
                r["params_m"],
                r["gmacs"][key],
                r["name"] == STUDENT and r["kind"] == "student",
            )
            for r in rows
        ],
    )
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.size", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--models", help="comma-separated names (default: every model)")
    parser.add_argument("--sizes", default="256,224", help="input sizes; the first is the target")
    parser.add_argument("--num-classes", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="where to count (cpu, cuda)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    os.environ.setdefault("DISTILL_QUIET", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sizes = [int(s) for s in args.sizes.split(",")]
    models = all_models()
    if args.models:
        wanted = args.models.split(",")
        models = [m for m in models if m[1] in wanted]
        missing = set(wanted) - {m[1] for m in models}
        if missing:
            parser.error(
                f"unknown model(s) {sorted(missing)}; known: {[m[1] for m in all_models()]}"
            )
    start = time.perf_counter()
    rows = []
    for kind, name in models:
        rows.append(measure(kind, name, sizes, args.num_classes, args.device))
        print(f"  {kind:7s} {name:14s} {_brief(rows[-1], sizes)}", flush=True)
    rows.sort(key=lambda r: (r.get("params", float("inf")), r["name"]))
    result = {
        "suite": "size",
        "sizes": sizes,
        "num_classes": args.num_classes,
        "rows": rows,
        "checks": target_checks(rows, sizes[0]),
        "seconds": time.perf_counter() - start,
        "env": environment(
            args.device, argv=None if argv is None else ["python", "-m", "benchmarks.size", *argv]
        ),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "size.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "size.md").write_text(markdown(result))
    (args.out / "size.tex").write_text(latex(result))
    plot(result, args.out / "size.png")
    for line in check_lines(result["checks"]):
        print(line)
    print(f"wrote {args.out}/size.{{json,md,tex,png}} in {result['seconds']:.0f} s")
    return result


def _brief(row: dict[str, Any], sizes: list[int]) -> str:
    if "params" not in row:
        return f"failed: {row['errors']}"
    macs = ", ".join(f"{row['gmacs'].get(str(s), float('nan')):.2f}" for s in sizes)
    return f"{row['params_m']:.2f}M params, GMACs {macs}"


if __name__ == "__main__":
    main()
