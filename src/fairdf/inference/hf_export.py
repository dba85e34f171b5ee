"""`fairdf export CKPT --format hf OUT`: a folder in the Hugging Face layout.

OUT holds the checkpoint's `model.safetensors` and `checkpoint.json` (so that
`fairdf.load_detector(OUT)` loads it as any checkpoint), a `config.json` that states the
architecture and preprocessing for readers of the Hugging Face layout, and the model
card as `README.md` when a `fairdf test` folder is given. Nothing is uploaded.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from fairdf.engine.checkpoint import INFO_FILE, WEIGHTS_FILE, read_checkpoint_info
from fairdf.io import atomic_path

HF_FORMAT = "hf"


def hf_config(checkpoint: Path) -> dict[str, Any]:
    """config.json: the detector, its input and which output is fake."""
    info = read_checkpoint_info(checkpoint)
    detector = info.detector
    preprocessing = info.metadata.get("preprocessing") or {
        "input_size": detector.image_size,
        "mean": [0.5, 0.5, 0.5],
        "std": [0.5, 0.5, 0.5],
        "fake": "softmax(logits)[1]",
    }
    return {
        "library_name": "fairdf",
        "model_type": f"fairdf-{detector.method}",
        "fairdf_detector": detector.to_dict(),
        "group_scheme": info.scheme,
        "preprocessing": preprocessing,
        "id2label": {"0": "real", "1": "fake"},
        "label2id": {"real": 0, "fake": 1},
        "source": {k: info.metadata[k] for k in ("source", "detector") if k in info.metadata},
    }


def export_hf(checkpoint: str | Path, out: str | Path, card_from: str | Path | None = None) -> Path:
    """Write the folder `out` (all or nothing); `card_from` is a `fairdf test` folder."""
    from fairdf.report.card import build_card

    checkpoint = read_checkpoint_info(checkpoint).path
    config = hf_config(checkpoint)
    card = build_card(card_from) if card_from is not None else None
    with atomic_path(out) as tmp:
        tmp.mkdir()
        for name in (WEIGHTS_FILE, INFO_FILE):
            shutil.copyfile(checkpoint / name, tmp / name)
        (tmp / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        if card is not None:
            (tmp / "README.md").write_text(card, encoding="utf-8")
    return Path(out)
