"""Augmentation of training batches on the device; part of the core, not a plugin.

It draws only from the generator its caller passes (the run's own stream), so nothing else
in the process can change a run's result.
"""

from distill.core.augment.batch import BatchAugment
from distill.core.augment.geometry import affine_matrices, sampling_grid

__all__ = ["BatchAugment", "affine_matrices", "sampling_grid"]
