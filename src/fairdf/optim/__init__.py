"""Optimizers: SAM (sharpness-aware minimisation) for loss flattening."""

from fairdf.optim.sam import SAM, frozen_batchnorm_stats, sam_step

__all__ = ["SAM", "frozen_batchnorm_stats", "sam_step"]
