"""`LossConfig`: every weight, margin, alpha and tau of the training loss (docs/method.md, Losses).

Kept free of torch imports so that reading a run config stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass

from fairdf.errors import ConfigError

FUSE_OBJECTIVES = ("bilevel", "mean")


@dataclass
class LossConfig:
    """L = w_sha L_sha + w_spe L_spe + w_rec L_rec + w_con L_con + w_dem L_dem + w_fuse L_fuse.

    Defaults are the paper's. A term whose weight is 0 is not computed. L_fuse is the
    bi-level CVaR of H_fuse's per-sample cross-entropy, or with `fuse_objective: mean`
    their plain mean (the "without fairness loss" ablation). `dag_alpha` is read only by
    the `dag_fdd` method.
    """

    shared_weight: float = 1.0
    specific_weight: float = 0.1
    reconstruction_weight: float = 0.3
    contrastive_weight: float = 0.05
    demographic_weight: float = 0.1
    fuse_weight: float = 1.0
    contrastive_margin: float = 3.0
    ldam_max_margin: float = 0.5
    ldam_scale: float = 30.0
    alpha_inner: float = 0.9
    alpha_outer: float = 0.5
    tau1: float = 1e-3
    tau2: float = 1e-4
    fuse_objective: str = "bilevel"  # "mean": plain mean cross-entropy (an ablation)
    dag_alpha: float = 0.5  # DAG-FDD's CVaR level (Ju et al. 2024)

    def __post_init__(self) -> None:
        for name in ("shared", "specific", "reconstruction", "contrastive", "demographic", "fuse"):
            if getattr(self, f"{name}_weight") < 0:
                raise ConfigError(f"config key 'loss.{name}_weight': must be >= 0")
        for name in ("contrastive_margin", "ldam_max_margin", "ldam_scale", "tau1", "tau2"):
            if getattr(self, name) <= 0:
                raise ConfigError(
                    f"config key 'loss.{name}': must be > 0, got {getattr(self, name)}"
                )
        if self.fuse_objective not in FUSE_OBJECTIVES:
            raise ConfigError(
                f"config key 'loss.fuse_objective': {self.fuse_objective!r} is not one of "
                f"{list(FUSE_OBJECTIVES)}"
            )
        for name in ("alpha_inner", "alpha_outer", "dag_alpha"):
            if not 0.0 < getattr(self, name) <= 1.0:
                raise ConfigError(
                    f"config key 'loss.{name}': must be in (0, 1], got {getattr(self, name)}"
                )

    def weights(self) -> dict[str, float]:
        """Term name -> weight, in logging order."""
        names = ("shared", "specific", "reconstruction", "contrastive", "demographic", "fuse")
        return {name: getattr(self, f"{name}_weight") for name in names}
