"""Key mapping between the reference implementation's state dict and `FairDetector`.

The reference layout is listed in `tests/reference/official_state_dict.tsv`
(docs/formats.md, Reference checkpoints). Each reference module prefix maps to one of our modules, and
inside a module a short table renames the sub-keys; the mapping is one-to-one on
every key except the unused `encoder_*.last_linear.*` and `block_fused.*`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor

from fairdf.errors import CheckpointError
from fairdf.models.config import DetectorConfig
from fairdf.models.weights import key_mismatch, read_state_dict, summarise_keys

# Inside one module: (reference sub-key prefix, our sub-key prefix), first match wins.
MODULE_RENAMES: dict[str, tuple[tuple[str, str], ...]] = {
    "encoder": (("adjust_channel.", "adapter."), ("", "trunk.")),
    "block": (("conv2d.", "layers."),),
    "head": (("mlp.", "mlp."),),
    "decoder": (
        ("dconv_up3.", "stages.0."),
        ("dconv_up2.", "stages.1."),
        ("dconv_up1.", "stages.2."),
        ("conv_last.", "to_image."),
    ),
}

# reference module prefix -> (our module name, kind)
MODULES: dict[str, tuple[str, str]] = {
    "encoder_f.": ("forgery_encoder", "encoder"),
    "encoder_c.": ("content_encoder", "encoder"),
    "encoder_fair.": ("demographic_encoder", "encoder"),
    "block_spe.": ("specific_block", "block"),
    "block_sha.": ("shared_block", "block"),
    "block_fair.": ("demographic_block", "block"),
    "head_spe.": ("specific_head", "head"),
    "head_sha.": ("shared_head", "head"),
    "head_fair.": ("demographic_head", "head"),
    "head_fused.": ("fused_head", "head"),
    "con_gan.": ("decoder", "decoder"),
}

UNUSED_PREFIXES = (
    "encoder_f.last_linear.",
    "encoder_c.last_linear.",
    "encoder_fair.last_linear.",
    "block_fused.",
)


def _rename(key: str, pairs: tuple[tuple[str, str], ...]) -> str | None:
    for old, new in pairs:
        if key.startswith(old):
            return new + key[len(old) :]
    return None


def module_key_from_reference(kind: str, key: str) -> str | None:
    """A module-local reference key (`conv2d.0.weight`) -> ours (`layers.0.weight`)."""
    return _rename(key, MODULE_RENAMES[kind])


def module_key_to_reference(kind: str, key: str) -> str | None:
    """Inverse of `module_key_from_reference`."""
    return _rename(key, tuple((new, old) for old, new in MODULE_RENAMES[kind]))


def key_from_reference(key: str) -> str | None:
    """A full reference key -> our key; None for unused or unknown keys."""
    if key.startswith(UNUSED_PREFIXES):
        return None
    for prefix, (module, kind) in MODULES.items():
        if key.startswith(prefix):
            local = module_key_from_reference(kind, key[len(prefix) :])
            return None if local is None else f"{module}.{local}"
    return None


def key_to_reference(key: str) -> str | None:
    """One of our keys -> the reference key; None for keys outside the layout."""
    module, _, local = key.partition(".")
    for prefix, (name, kind) in MODULES.items():
        if name == module:
            reference = module_key_to_reference(kind, local)
            return None if reference is None else prefix + reference
    return None


def export_reference_state_dict(state: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """Our state dict in the reference layout (without the unused reference keys)."""
    exported = {}
    for key, value in state.items():
        reference = key_to_reference(key)
        if reference is None:
            raise KeyError(f"{key} has no counterpart in the reference layout")
        exported[reference] = value
    return exported


def expected_state(config: DetectorConfig) -> dict[str, Tensor]:
    """Our state dict's keys, shapes and dtypes for `config`, built on the meta device."""
    from dataclasses import replace

    from fairdf.models.detector import FairDetector

    with torch.device("meta"):
        return FairDetector(replace(config, pretrained=None)).state_dict()


@dataclass
class ImportedState:
    """A reference state dict converted to our keys."""

    state: dict[str, Tensor]
    config: DetectorConfig
    dropped: list[str] = field(default_factory=list)


def convert_reference_state(
    reference: Mapping[str, Tensor],
    source: str | Path,
    *,
    n_groups: int | None = None,
    n_methods: int | None = None,
    head_logits: int = 2,
) -> ImportedState:
    """Map a reference state dict onto `FairDetector` keys, checking every shape.

    `n_groups` / `n_methods` default to what the head shapes say; `head_logits` 1 is a
    fused head with one fake logit (AI-Face-FairnessBench's release of the detector). Unused reference
    keys are dropped (and listed); any other key that does not map is an error.
    """
    dropped = sorted(k for k in reference if k.startswith(UNUSED_PREFIXES))
    unknown = sorted(k for k in reference if k not in dropped and key_from_reference(k) is None)
    if unknown:
        raise CheckpointError(
            f"{source}: {len(unknown)} keys are not in the reference layout ({summarise_keys(unknown)}); "
            "is this a checkpoint of the reference implementation?"
        )
    state = {key_from_reference(k): v for k, v in reference.items() if k not in dropped}
    if n_groups is None:
        n_groups = _rows(state, "demographic_head.mlp.2.weight", 8)
    if n_methods is None:
        n_methods = _rows(state, "specific_head.mlp.2.weight", 6) - 1
    config = DetectorConfig(
        encoder="xception", n_groups=n_groups, n_methods=n_methods, head_logits=head_logits
    )
    expected = expected_state(config)
    problem = key_mismatch(state, expected)
    if problem:
        raise CheckpointError(
            f"{source}: does not fit the detector (xception, {config.n_groups} groups, "
            f"{config.n_methods} methods): {problem}"
        )
    state = {k: v.to(expected[k].dtype) for k, v in state.items()}
    return ImportedState(state, config, dropped)


def _rows(state: Mapping[str, Tensor], key: str, default: int) -> int:
    value = state.get(key)
    return int(value.shape[0]) if value is not None and value.ndim == 2 else default


def import_reference(
    path: str | Path,
    out_dir: str | Path,
    *,
    n_groups: int | None = None,
    n_methods: int | None = None,
    scheme: str | None = None,
) -> ImportedState:
    """Convert a reference checkpoint file into a fairdf checkpoint folder `out_dir`."""
    from fairdf.engine.checkpoint import write_checkpoint

    reference = read_state_dict(path, what="reference checkpoint")
    imported = convert_reference_state(reference, path, n_groups=n_groups, n_methods=n_methods)
    if scheme is None:
        scheme = {8: "ffpp", 6: "celebdf"}.get(imported.config.n_groups)
        if scheme is None:
            raise CheckpointError(
                f"{path}: {imported.config.n_groups} groups fit no known scheme; pass --scheme"
            )
    metadata = {"imported_from": str(Path(path).resolve()), "dropped_keys": imported.dropped}
    write_checkpoint(out_dir, imported.state, imported.config, scheme=scheme, metadata=metadata)
    return imported
