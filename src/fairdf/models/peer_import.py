"""Released checkpoints of the field's detectors -> fairdf checkpoint folders.

Sources: `official` (the paper's reference code, `fairdf.models.reference_import`),
`deepfakebench` (SCLBD/DeepfakeBench) and `aiface` (Purdue-M2/AI-Face-FairnessBench).
Each supported (source, detector) pair is a `PeerDetector`: the fairdf method whose
architecture holds the weights, the source's input size, normalisation and which
output is "fake", and a key conversion. Files are read without unpickling code
(`fairdf.models.weights.read_state_dict`: DataParallel/DDP `module.` prefixes and
`{"state_dict": ...}` wrappers are accepted). Keys the source stores but never uses at
inference are dropped and listed; any other mismatch is a one-line error that names the
key and, when the file fits another detector, that detector.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from fairdf.errors import CheckpointError, UnknownNameError
from fairdf.models.config import PLAIN_METHODS, DetectorConfig
from fairdf.models.efficientnet_keys import b4_trunk_key
from fairdf.models.reference_import import (
    ImportedState,
    convert_reference_state,
    key_from_reference,
    key_to_reference,
)
from fairdf.models.weights import key_mismatch, read_state_dict, summarise_keys

SOURCES = ("official", "deepfakebench", "aiface")
# fairdf scales pixels to [-1, 1]: the normalisation every supported source uses
FAIRDF_MEAN = FAIRDF_STD = (0.5, 0.5, 0.5)


@dataclass(frozen=True)
class PeerDetector:
    """One released detector: where it comes from and which fairdf model holds it."""

    source: str
    name: str
    summary: str
    convert: Callable[[PeerDetector, Mapping[str, Tensor], str], ImportedState]
    method: str = "xception"
    encoder: str = "xception"
    head_logits: int = 2
    image_size: int = 256
    mean: tuple[float, float, float] = FAIRDF_MEAN
    std: tuple[float, float, float] = FAIRDF_STD
    unused: tuple[str, ...] = ()  # key prefixes stored but never used at inference

    def __post_init__(self) -> None:
        # fairdf feeds every model pixels / 127.5 - 1; another normalisation would need
        # an input adapter, which no supported source does
        if (self.mean, self.std) != (FAIRDF_MEAN, FAIRDF_STD):
            raise ValueError(f"{self.source} {self.name}: mean/std other than 0.5 need an adapter")

    @property
    def fake(self) -> str:
        return "softmax(logits)[1]" if self.head_logits == 2 else "sigmoid(the one logit)"

    def config(self) -> DetectorConfig:
        return DetectorConfig(
            method=self.method,
            encoder=self.encoder,
            head="published" if self.method in PLAIN_METHODS else "adapter",
            head_logits=self.head_logits,
            image_size=self.image_size,
            head_dropout=0.0,
        )

    def preprocessing(self) -> dict[str, Any]:
        return {
            "input_size": self.image_size,
            "mean": list(self.mean),
            "std": list(self.std),
            "fake": self.fake,
        }


def expected_state(config: DetectorConfig) -> dict[str, Tensor]:
    """The state dict of the model `config` builds, on the meta device."""
    from fairdf.methods import build_model

    with torch.device("meta"):
        return build_model(replace(config, pretrained=None)).state_dict()


def _plain_key(local: str) -> str:
    """A key inside the source's `backbone.` -> ours (published head)."""
    if local.startswith("last_linear."):  # `last_linear.1.` with dropout: the Linear
        return "head.linear." + local.rsplit(".", 1)[-1]
    return "encoder.trunk." + local


def _plain_source_key(key: str) -> str:
    """Ours -> the source's key (for messages): the inverse of `_plain_key`."""
    if key.startswith("head.linear."):
        return "backbone.last_linear." + key.rsplit(".", 1)[-1]
    return "backbone." + key.removeprefix("encoder.trunk.")


def convert_plain(peer: PeerDetector, state: Mapping[str, Tensor], source: str) -> ImportedState:
    """`backbone.*` of a plain classifier (trunk + `last_linear`) -> `BinaryDetector`."""
    dropped = sorted(k for k in state if k.startswith(peer.unused))
    foreign = sorted(k for k in state if k not in dropped and not k.startswith("backbone."))
    if foreign:
        raise CheckpointError(
            f"{source}: {len(foreign)} keys outside the detector's backbone "
            f"({summarise_keys(foreign)})"
        )
    converted = {}
    for key, value in state.items():
        if key in dropped:
            continue
        local = key[len("backbone.") :]
        if ".pointwise." in local and value.ndim == 2:  # ImageNet layout: 1x1 conv as 2-D
            value = value[:, :, None, None]
        converted[_plain_key(local)] = value
    return _checked(peer, converted, source, dropped, _plain_source_key, peer.config())


def convert_efficientnet(
    peer: PeerDetector, state: Mapping[str, Tensor], source: str
) -> ImportedState:
    """`backbone.efficientnet.*` + `backbone.last_layer` -> `BinaryDetector` (B4 released)."""
    dropped = sorted(k for k in state if k.startswith(peer.unused))
    converted, unknown, origin = {}, [], {}
    for key, value in state.items():
        if key in dropped:
            continue
        if key.startswith("backbone.last_layer."):
            ours = "head.linear." + key.rsplit(".", 1)[-1]
        elif key.startswith("backbone.efficientnet."):
            trunk = b4_trunk_key(key[len("backbone.efficientnet.") :])
            ours = None if trunk is None else "encoder.trunk." + trunk
        else:
            ours = None
        if ours is None:
            unknown.append(key)
            continue
        converted[ours] = value
        origin[ours] = key
    if unknown:
        raise CheckpointError(
            f"{source}: {len(unknown)} keys are not an EfficientNet-B4 detector's "
            f"({summarise_keys(unknown)})"
        )
    return _checked(peer, converted, source, dropped, lambda k: origin.get(k, k), peer.config())


UCF_MODULES = ("encoder_f.", "encoder_c.", "block_spe.", "block_sha.", "head_spe.", "head_sha.")
UCF_MODULES += ("con_gan.",)


def convert_ucf(peer: PeerDetector, state: Mapping[str, Tensor], source: str) -> ImportedState:
    """UCF (Yan et al.): the reference layout's forgery and content branches -> `ucf`."""
    dropped = sorted(k for k in state if k.startswith(peer.unused))
    foreign = sorted(k for k in state if k not in dropped and not k.startswith(UCF_MODULES))
    if foreign:
        raise CheckpointError(
            f"{source}: {len(foreign)} keys are not UCF's ({summarise_keys(foreign)})"
        )
    converted = {key_from_reference(k): v for k, v in state.items() if k not in dropped}
    specific = state.get("head_spe.mlp.2.weight")
    n_methods = int(specific.shape[0]) - 1 if specific is not None and specific.ndim == 2 else 4
    config = replace(peer.config(), n_methods=max(n_methods, 1))
    return _checked(peer, converted, source, dropped, key_to_reference, config)


def convert_official(peer: PeerDetector, state: Mapping[str, Tensor], source: str) -> ImportedState:
    """The paper's detector in the reference layout (also AI-Face's `fair_df_detector`)."""
    fused = state.get("head_fused.mlp.2.weight")
    logits = int(fused.shape[0]) if fused is not None and fused.ndim == 2 else 2
    return convert_reference_state(state, source, head_logits=logits)


def _checked(
    peer: PeerDetector,
    converted: dict[str, Tensor],
    source: str,
    dropped: list[str],
    source_key: Callable[[str], str | None],
    config: DetectorConfig,
) -> ImportedState:
    """`converted` checked against the model of `config` (mismatches named by source key)."""
    expected = expected_state(config)
    named = {source_key(k): v for k, v in converted.items()}
    problem = key_mismatch(named, {source_key(k): v for k, v in expected.items()})
    if problem:
        raise CheckpointError(f"{source}: does not fit {peer.source} {peer.name}: {problem}")
    state = {k: v.to(expected[k].dtype) for k, v in converted.items()}
    return ImportedState(state, config, dropped)


def fitting_detectors(state: Mapping[str, Tensor], declared: PeerDetector) -> list[str]:
    """The other registered detectors whose layout `state` fits, as command-line options."""
    fits = []
    for peer in PEERS.values():
        if peer is declared:
            continue
        try:
            peer.convert(peer, state, "")
        except CheckpointError:
            continue
        fits.append(f"--from {peer.source} --detector {peer.name}")
    return fits


_XCEPTION_UNUSED = ("backbone.adjust_channel.",)  # built by the network, used only by UCF
_UCF_UNUSED = ("encoder_f.last_linear.", "encoder_c.last_linear.")  # the trunks' classifiers

PEERS: dict[tuple[str, str], PeerDetector] = {
    (peer.source, peer.name): peer
    for peer in (
        PeerDetector(
            "official",
            "pg_fdd",
            "the paper's reference code (Fairness-Generalization)",
            convert_official,
            method="pg_fdd",
        ),
        PeerDetector(
            "deepfakebench",
            "xception",
            "DeepfakeBench Xception: Linear(2048, 2) on the pooled trunk, softmax",
            convert_plain,
            unused=_XCEPTION_UNUSED,
        ),
        PeerDetector(
            "deepfakebench",
            "efficientnetb4",
            "DeepfakeBench EfficientNet-B4: Linear(1792, 2) on the pooled features, softmax",
            convert_efficientnet,
            encoder="efficientnet_b4_released",
            unused=("backbone.adjust_channel.",),
        ),
        PeerDetector(
            "deepfakebench",
            "ucf",
            "DeepfakeBench UCF (Yan et al.): shared head with 2 logits, softmax",
            convert_ucf,
            method="ucf",
            unused=_UCF_UNUSED,
        ),
        PeerDetector(
            "aiface",
            "xception",
            "AI-Face-FairnessBench Xception: Linear(2048, 1), sigmoid",
            convert_plain,
            head_logits=1,
            unused=_XCEPTION_UNUSED,
        ),
        PeerDetector(
            "aiface",
            "efficientnet",
            "AI-Face-FairnessBench EfficientNet-B4: Linear(1792, 1), sigmoid",
            convert_efficientnet,
            encoder="efficientnet_b4_released",
            head_logits=1,
            unused=("backbone.adjust_channel.",),
        ),
        PeerDetector(
            "aiface",
            "daw_fdd",
            "AI-Face-FairnessBench DAW-FDD (Ju et al.): Xception, Linear(2048, 1), sigmoid",
            convert_plain,
            method="daw_fdd",
            head_logits=1,
            unused=_XCEPTION_UNUSED,
        ),
        PeerDetector(
            "aiface",
            "dag_fdd",
            "AI-Face-FairnessBench DAG-FDD (Ju et al.): Xception, Linear(2048, 1), sigmoid",
            convert_plain,
            method="dag_fdd",
            head_logits=1,
            unused=_XCEPTION_UNUSED,
        ),
        PeerDetector(
            "aiface",
            "ucf",
            "AI-Face-FairnessBench UCF: shared head with one logit, sigmoid",
            convert_ucf,
            method="ucf",
            head_logits=1,
            unused=_UCF_UNUSED,
        ),
        PeerDetector(
            "aiface",
            "fair_df_detector",
            "AI-Face-FairnessBench PG-FDD (this paper's detector): fused head with one logit",
            convert_official,
            method="pg_fdd",
            head_logits=1,
        ),
    )
}
ALIASES = {("aiface", "pg_fdd"): ("aiface", "fair_df_detector")}


def get_peer(source: str, name: str) -> PeerDetector:
    """The registered detector `name` of `source`; unknown names list the valid ones."""
    if source not in SOURCES:
        raise UnknownNameError("source", source, SOURCES)
    key = ALIASES.get((source, name), (source, name))
    if key not in PEERS:
        names = tuple(n for s, n in PEERS if s == source)
        raise UnknownNameError(f"{source} detector", name, names)
    return PEERS[key]


@dataclass
class PeerImport:
    """What `import_peer_checkpoint` wrote."""

    peer: PeerDetector
    imported: ImportedState
    out_dir: Path
    metadata: dict[str, Any] = field(default_factory=dict)


def import_peer_checkpoint(
    path: str | Path, out_dir: str | Path, source: str, name: str, *, scheme: str | None = None
) -> PeerImport:
    """Convert a released checkpoint of `source`'s detector `name` into `out_dir`."""
    from fairdf.engine.checkpoint import write_checkpoint

    peer = get_peer(source, name)
    state = read_state_dict(path, what=f"{source} checkpoint")
    try:
        imported = peer.convert(peer, state, str(path))
    except CheckpointError as exc:
        fits = fitting_detectors(state, peer)
        hint = f"; the file fits {' or '.join(fits)}" if fits else ""
        raise CheckpointError(f"{exc}{hint}") from None
    scheme = scheme or _default_scheme(imported.config, path)
    metadata = {
        "imported_from": str(Path(path).resolve()),
        "source": peer.source,
        "detector": peer.name,
        "preprocessing": peer.preprocessing(),
        "dropped_keys": imported.dropped,
    }
    write_checkpoint(out_dir, imported.state, imported.config, scheme=scheme, metadata=metadata)
    return PeerImport(peer, imported, Path(out_dir), metadata)


def _default_scheme(config: DetectorConfig, path: str | Path) -> str:
    scheme = {8: "ffpp", 6: "celebdf"}.get(config.n_groups)
    if scheme is None:
        raise CheckpointError(
            f"{path}: {config.n_groups} groups fit no known scheme; pass --scheme"
        )
    return scheme
