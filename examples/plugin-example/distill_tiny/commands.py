"""The example plugin's command: ``distill tiny-shapes``.

typer turns the function's parameters into options; torch is imported inside, so listing
the command (``distill --help``) costs nothing.
"""

from __future__ import annotations

import typer


def tiny_shapes(
    width: int = typer.Option(16, help="channels at stride 4 (doubled at stride 8)"),
    size: int = typer.Option(64, help="input height and width"),
    classes: int = typer.Option(2, help="output classes"),
) -> None:
    """Build TinyNet and print its parameter count and the shape of every map it returns."""
    import torch

    from distill_tiny.model import TinyNet

    model = TinyNet(TinyNet.Params(width=width, num_classes=classes)).eval()
    with torch.no_grad():
        out = model(torch.zeros(1, 3, size, size))
    typer.echo(f"parameters: {sum(p.numel() for p in model.parameters())}")
    typer.echo(f"logits: {tuple(out.logits.shape)}")
    for stride, feature in zip(model.feature_strides, out.features, strict=True):
        typer.echo(f"stride {stride}: {tuple(feature.shape)}")
