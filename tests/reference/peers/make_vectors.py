"""Make the peer-checkpoint vectors from the sources' own model code (run once, by hand).

    python tests/reference/peers/make_vectors.py DEEPFAKEBENCH_CHECKOUT AIFACE_CHECKOUT

Each source's network file is imported from its checkout (nothing of it is kept here),
its detector's state dict is filled with the recipe of tests/models/peer_recipe.py, the
test images are written as PNG files, and the source's logits on them (eval mode,
float32, the source's normalisation) go to vectors.json with the key layouts as TSV.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from pathlib import Path

import numpy as np
import torch
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "models"))
from peer_recipe import recipe_state, test_image  # noqa: E402

SIZE = 256
MEAN = STD = (0.5, 0.5, 0.5)


def _registry_stub() -> None:
    """The sources register their networks in a registry module: a do-nothing one."""

    class Registry(dict):
        def register_module(self, module_name=None):
            return lambda cls: cls

    for name in ("utils", "utils.registry", "metrics", "metrics.registry"):
        module = sys.modules.setdefault(name, types.ModuleType(name))
        module.BACKBONE = Registry()


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Wrapped(torch.nn.Module):
    """The detectors keep the network as `self.backbone`: keys `backbone.*`."""

    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone

    def forward(self, images):
        return self.backbone.classifier(self.backbone.features(images))


def _fill(model: torch.nn.Module) -> list[tuple[str, tuple[int, ...]]]:
    layout = [(k, tuple(v.shape)) for k, v in model.state_dict().items()]
    state = {k: torch.from_numpy(v) for k, v in recipe_state(layout).items()}
    model.load_state_dict(state)
    return layout


def _inputs() -> torch.Tensor:
    pictures = []
    for index in range(2):
        picture = test_image(index, SIZE)
        Image.fromarray(picture).save(HERE / f"image{index}.png")
        pictures.append(picture)
    array = np.stack(pictures).astype(np.float32) / 255.0
    array = (array - np.array(MEAN, np.float32)) / np.array(STD, np.float32)
    return torch.from_numpy(array).permute(0, 3, 1, 2).contiguous()


def _xception(network_file: Path, num_classes: int) -> torch.nn.Module:
    module = _load(network_file, f"xception_{num_classes}_{network_file.parent.parent.name}")
    config = {"mode": "original", "num_classes": num_classes, "inc": 3, "dropout": False}
    return Wrapped(module.Xception(config)).eval()


def main(deepfakebench: Path, aiface: Path) -> None:
    _registry_stub()
    torch.set_num_threads(1)
    images = _inputs()
    models = {
        "deepfakebench-xception": _xception(deepfakebench / "training/networks/xception.py", 2),
        "aiface-xception": _xception(aiface / "training/networks/xception.py", 1),
    }
    vectors = {"image_size": SIZE, "mean": MEAN, "std": STD, "images": [], "logits": {}}
    vectors["images"] = [f"image{index}.png" for index in range(len(images))]
    for name, model in models.items():
        layout = _fill(model)
        lines = ["key\tshape", *(f"{k}\t{'x'.join(map(str, s))}" for k, s in layout)]
        (HERE / f"{name}.tsv").write_text("\n".join(lines) + "\n")
        with torch.no_grad():
            vectors["logits"][name] = model(images).double().tolist()
    (HERE / "vectors.json").write_text(json.dumps(vectors, indent=1) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
