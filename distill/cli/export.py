"""``distill export``: a run's model as a bundle (safetensors, ONNX, distill.json, card)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from distill.cli.app import app, console


@app.command("export")
def export_command(
    run_dir: Path = typer.Argument(..., help="a run folder", file_okay=False),
    out: Path = typer.Option(..., "--out", "-o", help="the bundle folder to write"),
    model: str = typer.Option("student", "--model", help="student, or teacher / teacherN"),
    quantize: Optional[str] = typer.Option(None, "--quantize", help="int8: add model.int8.onnx"),
    parity_images: int = typer.Option(
        16, "--parity-images", min=0, help="validation images for the ONNX parity check"
    ),
    threads: int = typer.Option(1, "--threads", min=1, help="CPU threads for the checks"),
    force: bool = typer.Option(False, "--force", help="replace a non-empty --out"),
) -> None:
    """Write a bundle that stands alone, checked against PyTorch before it is kept."""
    from distill.deploy.export import export

    done = export(
        run_dir,
        out,
        model=model,
        quantize=quantize,
        parity_images=parity_images,
        force=force,
        threads=threads,
        say=lambda line: console.print(line, highlight=False, soft_wrap=True),
    )
    files = ", ".join(sorted(done.meta["files"]))
    console.print(
        f"wrote {out} ({files}, distill.json) in {done.seconds:.1f} s",
        highlight=False,
        soft_wrap=True,
    )
