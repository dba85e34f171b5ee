"""Reading weights files and fitting them to modules, with one-line errors.

Accepted files: safetensors, or PyTorch pickles read with `torch.load(weights_only=True)`
(never arbitrary objects) holding a state dict, possibly wrapped under `state_dict` or
`model` and with `module.` prefixes. ImageNet trunk weights may be the Cadene
`xception-b5690688.pth` layout (pointwise convs stored 2-D, classifier `fc` or
`last_linear`) or timm checkpoints; classifier weights are ignored.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import torch
from torch import Tensor, nn

from fairdf.errors import CheckpointError

WRAPPER_KEYS = ("state_dict", "model")
CLASSIFIER_PREFIXES = ("fc.", "last_linear.", "classifier.")
SHOWN_KEYS = 4


def read_state_dict(path: str | Path, *, what: str = "weights file") -> dict[str, Tensor]:
    """Read a state dict from a safetensors or PyTorch file (CPU tensors)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise CheckpointError(f"{what} not found: {path}")
    if path.suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            return load_file(path, device="cpu")
        except (SafetensorError, OSError, ValueError) as exc:
            raise CheckpointError(
                f"{path}: not a readable safetensors file ({_first_line(exc)})"
            ) from None
    try:
        content = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # an untrusted file can fail to parse in many ways
        if isinstance(exc, pickle.UnpicklingError) and "weights only" in str(exc).lower():
            raise CheckpointError(
                f"{path}: holds Python objects that are not read for safety (only tensors and "
                "plain containers are); save model.state_dict() instead of the model"
            ) from None
        raise CheckpointError(
            f"{path}: not a PyTorch or safetensors weights file ({_first_line(exc)})"
        ) from None
    return unwrap_state_dict(content, path)


def unwrap_state_dict(content: object, source: str | Path) -> dict[str, Tensor]:
    """The `{name: tensor}` mapping inside `content` (unwrapped, `module.` stripped)."""
    if isinstance(content, Mapping):
        for key in WRAPPER_KEYS:
            if isinstance(content.get(key), Mapping):
                content = content[key]
                break
    if not isinstance(content, Mapping) or not content:
        found = type(content).__name__ if not isinstance(content, Mapping) else "an empty mapping"
        raise CheckpointError(
            f"{source}: does not hold a state dict (names -> tensors); found {found}"
        )
    bad = [str(k) for k, v in content.items() if not (isinstance(k, str) and isinstance(v, Tensor))]
    if bad:
        raise CheckpointError(
            f"{source}: does not hold a state dict (names -> tensors); entries that are not "
            f"tensors: {summarise_keys(bad)}"
        )
    state = dict(content)
    if all(key.startswith("module.") for key in state):
        state = {key[len("module.") :]: value for key, value in state.items()}
    return state


def summarise_keys(keys: Iterable[str], limit: int = SHOWN_KEYS) -> str:
    """`a, b, c, d and 12 more` (sorted)."""
    keys = sorted(keys)
    shown = ", ".join(keys[:limit])
    return shown if len(keys) <= limit else f"{shown} and {len(keys) - limit} more"


def shape_text(shape: Sequence[int]) -> str:
    return "x".join(str(s) for s in shape) or "scalar"


def key_mismatch(
    state: Mapping[str, Tensor], expected: Mapping[str, Tensor], *, optional: Iterable[str] = ()
) -> str:
    """'' when `state` fits `expected` (names and shapes), else a one-line description."""
    optional = set(optional)
    missing = [k for k in expected if k not in state and k not in optional]
    unexpected = [k for k in state if k not in expected]
    wrong = [
        k for k in state if k in expected and tuple(state[k].shape) != tuple(expected[k].shape)
    ]
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing keys ({summarise_keys(missing)})")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected keys ({summarise_keys(unexpected)})")
    if wrong:
        shown = [
            f"{k}: file {shape_text(state[k].shape)} vs model {shape_text(expected[k].shape)}"
            for k in sorted(wrong)[:SHOWN_KEYS]
        ]
        more = f" and {len(wrong) - SHOWN_KEYS} more" if len(wrong) > SHOWN_KEYS else ""
        problems.append(f"{len(wrong)} keys of the wrong shape ({', '.join(shown)}{more})")
    return "; ".join(problems)


def fit_trunk_state(state: Mapping[str, Tensor], trunk: nn.Module) -> dict[str, Tensor]:
    """Drop classifier weights and reshape 2-D pointwise weights to `(O, I, 1, 1)`."""
    expected = trunk.state_dict()
    fitted = {}
    for key, value in state.items():
        if key not in expected and key.startswith(CLASSIFIER_PREFIXES):
            continue
        target = expected.get(key)
        if (
            target is not None
            and value.ndim == 2
            and target.ndim == 4
            and target.shape[2:] == (1, 1)
        ):
            value = value.reshape(target.shape) if value.shape == target.shape[:2] else value
        fitted[key] = value
    return fitted


IMAGENET = "imagenet"  # a config's marker: "start from ImageNet weights; name them"
TIMM_PREFIX = "timm:"  # timm:NAME = timm's pretrained NAME from the local Hugging Face cache
# the ImageNet weights each encoder can start from (a file, and timm's name)
IMAGENET_WEIGHTS = {
    "xception": "xception-b5690688.pth (Cadene's ImageNet Xception) or timm:legacy_xception.tf_in1k",
    "resnet34": "timm:resnet34.a1_in1k",
    "resnet50": "timm:resnet50.a1_in1k",
    "efficientnet_b3": "timm:efficientnet_b3.ra2_in1k",
    "efficientnet_b4": "timm:efficientnet_b4.ra2_in1k",
}


def missing_pretrained_message(encoder: str, where: str = "the config") -> str:
    """Why a config marked `model.pretrained: imagenet` cannot train yet, and what to do."""
    weights = IMAGENET_WEIGHTS.get(encoder, f"the ImageNet weights of '{encoder}'")
    return (
        f"{where} starts its '{encoder}' encoders from ImageNet weights but names none: "
        f"pass --set model.pretrained=PATH or timm:NAME ({weights}; a timm name loads from the "
        "local Hugging Face cache, filled on a machine with internet by "
        "python -c \"import timm; timm.create_model('NAME', pretrained=True)\" and copying "
        "~/.cache/huggingface), or --set model.pretrained=none to train from random weights "
        "on purpose"
    )


def timm_pretrained_state(name: str) -> dict[str, Tensor]:
    """timm's pretrained `name` from the local caches only: the Hugging Face cache for
    weights published there, torch's hub cache for the others. Nothing is downloaded."""
    import os

    import timm

    cfg = timm.models.get_pretrained_cfg(name)
    if cfg is None:
        raise CheckpointError(
            f"model.pretrained {TIMM_PREFIX}{name}: timm knows no pretrained weights of that "
            'name; list them with python -c "import timm; print(timm.list_pretrained())"'
        )
    overlay = {}
    if not cfg.hf_hub_id:  # a plain URL: only its file in torch's hub cache is used
        import torch.hub

        cached = Path(torch.hub.get_dir()) / "checkpoints" / Path(str(cfg.url)).name
        if not cached.is_file():
            raise CheckpointError(
                f"model.pretrained {TIMM_PREFIX}{name}: its weights are not in {cached.parent}; "
                f"on a machine with internet get {cfg.url}, put it there, or pass the file "
                "itself as model.pretrained"
            )
        overlay = {"file": str(cached)}
    previous = os.environ.get("HF_HUB_OFFLINE")
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        model = timm.create_model(
            name, pretrained=True, num_classes=0, pretrained_cfg_overlay=overlay
        )
    except Exception as exc:  # timm raises many kinds for an uncached or broken file
        raise CheckpointError(
            f"model.pretrained {TIMM_PREFIX}{name}: not in the local Hugging Face cache "
            f'({_first_line(exc)}); on a machine with internet run python -c "import timm; '
            f"timm.create_model('{name}', pretrained=True)\" and copy ~/.cache/huggingface here"
        ) from None
    finally:
        if previous is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = previous
    return model.state_dict()


def load_trunk_weights(trunks: Sequence[nn.Module], path: str | Path, encoder: str) -> None:
    """Load one ImageNet weights file (or `timm:NAME` from the local Hugging Face cache)
    into each of `trunks` (same architecture).

    Raises CheckpointError listing missing, unexpected and wrong-shape keys when the
    file does not fit. BatchNorm `num_batches_tracked` counters may be absent.
    """
    from fairdf.errors import ConfigError

    if str(path) == IMAGENET:
        raise ConfigError(missing_pretrained_message(encoder))
    if str(path).startswith(TIMM_PREFIX):
        state = timm_pretrained_state(str(path)[len(TIMM_PREFIX) :])
    else:
        state = read_state_dict(path, what="pretrained weights file")
    for trunk in trunks:
        fitted = fit_trunk_state(state, trunk)
        expected = trunk.state_dict()
        counters = [k for k in expected if k.endswith("num_batches_tracked")]
        problem = key_mismatch(fitted, expected, optional=counters)
        if problem:
            raise CheckpointError(
                f"pretrained weights file {path} does not fit encoder '{encoder}': {problem}; "
                "give the ImageNet weights of this encoder"
            )
        trunk.load_state_dict(fitted, strict=False)


def checkpoint_weights_file(path: str | Path | None) -> Path | None:
    """`model.safetensors` of the fairdf checkpoint folder `path` (or that file), else None."""
    if path is None:
        return None
    path = Path(path).expanduser()
    folder = path if path.is_dir() else path.parent
    named = path.is_dir() or path.name == "model.safetensors"
    complete = (folder / "checkpoint.json").is_file() and (folder / "model.safetensors").is_file()
    return folder / "model.safetensors" if named and complete else None


def load_checkpoint_weights(model: nn.Module, path: str | Path) -> None:
    """Start every weight of `model` from the fairdf checkpoint `path` (fine-tuning, e.g.
    of an imported release); a checkpoint of another architecture is a one-line error."""
    weights = checkpoint_weights_file(path)
    if weights is None:
        raise CheckpointError(f"model.pretrained {path}: not a fairdf checkpoint folder")
    state = read_state_dict(weights, what="checkpoint weights")
    problem = key_mismatch(state, model.state_dict())
    if problem:
        raise CheckpointError(
            f"model.pretrained {path}: the checkpoint does not fit the configured detector "
            f"({problem}); set model.method, encoder, head and head_logits as its "
            "checkpoint.json says"
        )
    model.load_state_dict(state)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
