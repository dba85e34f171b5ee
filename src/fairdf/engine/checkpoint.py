"""Detector checkpoints: a folder with `model.safetensors` and `checkpoint.json`.

    checkpoint.json = {"format": "fairdf-checkpoint", "version": 1, "method": "pg_fdd",
                       "detector": <DetectorConfig as a dict>, "scheme": "ffpp",
                       "metadata": {...}}

Folders are written atomically (flushed to disk, then swapped in). Loading checks the file against the architecture the
JSON describes and reports missing, unexpected and wrong-shape keys.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from fairdf.bounds import check_section
from fairdf.data.groups import GroupScheme, get_scheme
from fairdf.documents import read_json
from fairdf.errors import CheckpointError, FairdfError
from fairdf.io import atomic_path, readable_mode
from fairdf.models.config import DetectorConfig
from fairdf.models.weights import key_mismatch

FORMAT = "fairdf-checkpoint"
VERSION = 1
WEIGHTS_FILE = "model.safetensors"
INFO_FILE = "checkpoint.json"


@dataclass
class CheckpointInfo:
    """What `checkpoint.json` says about a checkpoint folder."""

    path: Path
    detector: DetectorConfig
    scheme: str
    metadata: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, list[str]] | None = None  # a scheme declared by its attributes

    @property
    def group_scheme(self):
        """The scheme object: the declared attributes, or the built-in scheme by name."""
        if self.attributes is not None:
            from fairdf.data.attributes import scheme_from_mapping

            return scheme_from_mapping(self.attributes, str(self.path))
        return get_scheme(self.scheme)


def save_checkpoint(
    directory: str | Path,
    model: nn.Module,
    *,
    scheme: str | GroupScheme,
    metadata: dict[str, Any] | None = None,
) -> Path:
    """Write `model` (a FairDetector or its inference part, possibly DDP-wrapped) to `directory`."""
    model = getattr(model, "module", model)
    return write_checkpoint(
        directory, model.state_dict(), model.config, scheme=scheme, metadata=metadata
    )


def write_checkpoint(
    directory: str | Path,
    state: Mapping[str, Tensor],
    config: DetectorConfig,
    *,
    scheme: str | GroupScheme,
    metadata: dict[str, Any] | None = None,
) -> Path:
    """Write a state dict in our layout plus its JSON description, atomically."""
    directory = Path(directory)
    with atomic_path(directory, durable=True) as tmp:
        tmp.mkdir()
        write_checkpoint_files(tmp, state, config, scheme=scheme, metadata=metadata)
    return directory


def write_checkpoint_files(
    folder: Path,
    state: Mapping[str, Tensor] | None,
    config: DetectorConfig,
    *,
    scheme: str | GroupScheme,
    metadata: dict[str, Any] | None = None,
) -> None:
    """Write the weights (unless `state` is None), then `checkpoint.json`, into `folder`.

    The JSON comes last, so a folder whose `checkpoint.json` reads back is complete.
    """
    from safetensors.torch import save_file

    group_scheme = get_scheme(scheme)
    if group_scheme.n_groups != config.n_groups:
        raise CheckpointError(
            f"group scheme '{group_scheme.name}' has {group_scheme.n_groups} groups but the "
            f"detector has {config.n_groups}; pass the matching scheme"
        )
    info = {
        "format": FORMAT,
        "version": VERSION,
        "method": config.method,
        "detector": config.to_dict(),
        "scheme": group_scheme.name,
        "metadata": metadata or {},
    }
    if hasattr(group_scheme, "attributes"):  # a scheme declared by its attributes
        info["attributes"] = group_scheme.to_dict()
    if state is not None:
        tensors = {key: value.detach().to("cpu").contiguous() for key, value in state.items()}
        save_file(tensors, str(folder / WEIGHTS_FILE), metadata={"format": FORMAT})
        readable_mode(folder / WEIGHTS_FILE)  # safetensors writes owner-only files
    (folder / INFO_FILE).write_text(
        json.dumps(info, indent=2, default=str) + "\n", encoding="utf-8"
    )


def read_checkpoint_info(directory: str | Path) -> CheckpointInfo:
    """Read and check `checkpoint.json` (a path to a file inside the folder also works)."""
    directory = Path(directory).expanduser()
    if directory.is_file() and directory.name in (WEIGHTS_FILE, INFO_FILE):
        directory = directory.parent
    info_path = directory / INFO_FILE
    if not info_path.is_file():
        raise CheckpointError(
            f"{directory}: not a fairdf checkpoint folder (no {INFO_FILE}); give a folder "
            "written by fairdf train or fairdf import-reference"
        )
    try:
        info = read_json(info_path)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{info_path}: not valid JSON ({exc})") from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        raise CheckpointError(
            f"{info_path}: not a fairdf checkpoint description (format != '{FORMAT}')"
        )
    if info.get("version") != VERSION:
        raise CheckpointError(
            f"{info_path}: checkpoint version {info.get('version')!r}; this fairdf reads {VERSION}"
        )
    try:
        config = DetectorConfig.from_dict(info.get("detector") or {})
        check_section(config, "model")  # the bounds of a run config (image_size <= 1024, ...)
        attributes = info.get("attributes")
        if attributes is not None:
            from fairdf.data.attributes import scheme_from_mapping

            scheme = scheme_from_mapping(attributes, "attributes").name
        else:
            scheme = get_scheme(str(info.get("scheme", ""))).name
        metadata = dict(info.get("metadata") or {})
    except (FairdfError, TypeError, ValueError, AttributeError) as exc:
        raise CheckpointError(f"{info_path}: {' '.join(str(exc).split())[:300]}") from None
    return CheckpointInfo(directory, config, scheme, metadata, attributes)


def read_checkpoint_weights(directory: str | Path) -> dict[str, Tensor]:
    """The state dict of a checkpoint folder (CPU tensors)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(directory) / WEIGHTS_FILE
    if not path.is_file():
        raise CheckpointError(
            f"{Path(directory)}: {WEIGHTS_FILE} is missing; the checkpoint is incomplete"
        )
    try:
        return load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(
            f"{path}: corrupt or unreadable ({str(exc).splitlines()[0]})"
        ) from None


def load_checkpoint(
    directory: str | Path, *, inference_only: bool = False, map_location: str | torch.device = "cpu"
) -> tuple[nn.Module, CheckpointInfo]:
    """Load a checkpoint folder; returns (model, info).

    The model is the training model of the recorded method (`FairDetector` for
    pg_fdd), or with `inference_only` its `inference_module()`: only the scoring branch. It is built on the meta device and takes the
    file's tensors directly (no random initialisation), then moves to `map_location`.
    """
    from fairdf.methods import build_model

    info = read_checkpoint_info(directory)
    state = read_checkpoint_weights(info.path)
    config = replace(info.detector, pretrained=None)
    try:
        with torch.device("meta"):
            full = build_model(config)
    except FairdfError as exc:
        raise CheckpointError(f"{info.path / INFO_FILE}: {exc}") from None
    expected = full.state_dict()
    model: nn.Module = full.inference_module().eval() if inference_only else full
    wanted = model.state_dict().keys()
    problem = key_mismatch(state, expected, optional=expected.keys() - wanted)
    if problem:
        raise CheckpointError(
            f"{info.path / WEIGHTS_FILE} does not fit the detector described in {INFO_FILE} "
            f"(method {config.method}, {config.encoder}, {config.n_groups} groups, "
            f"{config.n_methods} methods): {problem}"
        )
    model.load_state_dict({k: state[k].to(expected[k].dtype) for k in wanted}, assign=True)
    leftover = [
        name for name, t in [*model.named_parameters(), *model.named_buffers()] if t.is_meta
    ]
    if leftover:
        raise RuntimeError(f"not loaded from the checkpoint: {leftover[:4]}")
    return model.to(map_location), info
