"""``images``: a folder of images without masks, for ``data.unlabeled``.

Every image under ``data_root`` (recursively) is a training image; there are no masks, so
the dataset has no validation or test split and is only ever read for its images (the
engine drops the all-background masks it decodes).
"""

from __future__ import annotations

from pydantic import Field

from distill.core.errors import ConfigError, DataError
from distill.core.hookspecs import hookimpl
from distill.plugins.datasets.base import FileDataset, SourceItem
from distill.plugins.datasets.imageio import list_images, read_image
from distill.plugins.datasets.imaging import ImageParams, Normalised


class ImagesParams(ImageParams):
    channels: int = Field(3, description="1 (gray) or 3 (RGB): what the model takes")


class ImageFolder(Normalised, FileDataset):
    """Image files only (no masks): unlabelled images for semi-supervised distillation."""

    name = "images"
    Params = ImagesParams

    def __init__(self, params: ImagesParams) -> None:
        super().__init__(params)
        self.params: ImagesParams = params
        self.in_channels = params.channels

    def list_splits(self) -> dict[str, list[SourceItem]]:
        root = self.root()
        files = sorted(
            {p for d in [root, *sorted(root.rglob("*"))] if d.is_dir() for p in list_images(d)}
        )
        if not files:
            raise DataError(f"{root}: no images found (data.unlabeled)")
        items = [SourceItem(str(p.relative_to(root)), p, None) for p in files]
        return {"train": items, "val": [], "test": []}

    def load(self, split, size):  # type: ignore[override]
        if split != "train":
            raise ConfigError(f"dataset 'images' has no masks, hence no '{split}' split")
        return super().load(split, size)

    def decode(self, item: SourceItem, size: tuple[int, int]):
        image, _ = read_image(item.image, size, self.in_channels, self.params.intensity())
        return image, image[..., 0] * 0


@hookimpl
def distill_register_datasets(register):
    register("images", ImageFolder)
