"""Optimizers: SAM (sharpness-aware minimisation) for loss flattening, and LookSAM."""

from fairdf.optim.looksam import LookSAM
from fairdf.optim.sam import SAM, frozen_batchnorm_stats, sam_step

__all__ = ["SAM", "LookSAM", "frozen_batchnorm_stats", "sam_step"]
