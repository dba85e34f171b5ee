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


class Registry(dict):
    def register_module(self, module_name=None):
        return lambda cls: cls


class AnyLoss(torch.nn.Module):
    """Stands for every loss a detector builds (none is used at inference)."""

    def __init__(self, *args, **kwargs):
        super().__init__()


def _registry_stub() -> None:
    """The modules the sources' detector files import, as do-nothing stand-ins."""
    for name in ("utils", "utils.registry", "metrics", "metrics.registry", "networks", "loss"):
        module = sys.modules.setdefault(name, types.ModuleType(name))
        module.BACKBONE = Registry()
    sys.modules["loss"].LOSSFUNC = type("Losses", (dict,), {"__missing__": lambda s, k: AnyLoss})()
    base = types.ModuleType("metrics.base_metrics_class")
    base.calculate_metrics_for_train = None
    sys.modules["metrics.base_metrics_class"] = base
    detectors = types.ModuleType("detectors")
    detectors.__path__ = []
    detectors.DETECTOR = Registry()
    sys.modules["detectors"] = detectors
    abstract = types.ModuleType("detectors.base_detector")
    abstract.AbstractDetector = torch.nn.Module
    sys.modules["detectors.base_detector"] = abstract


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


def _efficientnet(network_file: Path, num_classes: int) -> torch.nn.Module:
    """The sources' EfficientNet-B4 (needs the efficientnet_pytorch package; no download:
    AI-Face's `from_pretrained` builds the same network as `from_name`)."""
    from efficientnet_pytorch import EfficientNet

    EfficientNet.from_pretrained = classmethod(lambda cls, name, **_: cls.from_name(name))
    module = _load(network_file, f"efficientnet_{num_classes}_{network_file.parent.parent.name}")
    config = {"mode": "original", "num_classes": num_classes, "inc": 3, "dropout": False}
    return Wrapped(module.EfficientNetB4({**config, "pretrained": None})).eval()


def _xception(network_file: Path, num_classes: int) -> torch.nn.Module:
    module = _load(network_file, f"xception_{num_classes}_{network_file.parent.parent.name}")
    config = {"mode": "original", "num_classes": num_classes, "inc": 3, "dropout": False}
    return Wrapped(module.Xception(config)).eval()


class Inference(torch.nn.Module):
    """A source detector's own `forward(data_dict, inference=True)`; returns its 'cls'."""

    def __init__(self, detector):
        super().__init__()
        self.detector = detector

    def forward(self, images):
        data = {"image": images, "label": torch.zeros(len(images), dtype=torch.long)}
        return self.detector(data, inference=True)["cls"]

    def state_dict(self, *args, **kwargs):  # the detector's own keys
        return self.detector.state_dict(*args, **kwargs)

    def load_state_dict(self, state, strict=True):
        return self.detector.load_state_dict(state, strict)


def _detector(checkout: Path, file: str, *config) -> torch.nn.Module:
    """A detector class of `checkout`, built in a folder holding an empty ImageNet file."""
    import os
    import tempfile

    network = _load(checkout / "training/networks/xception.py", f"net_{checkout.name}_{file}")
    sys.modules["networks"].BACKBONE = {"xception": network.Xception}
    module = _load_in_package(checkout / "training/detectors" / f"{file}.py", file)
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        os.mkdir("pretrained")
        torch.save({}, "pretrained/xception-b5690688.pth")
        try:
            detector = getattr(module, _CLASSES[file])(*config)
        finally:
            os.chdir(here)
    return Inference(detector).eval()


_CLASSES = {"ucf_detector": "UCFDetector", "fair_df_detector": "FairDetector"}


def _load_in_package(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(f"detectors.{name}_{id(path)}", path)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "detectors"
    spec.loader.exec_module(module)
    return module


def _dfb_ucf_config() -> dict:
    return {
        "backbone_name": "xception",
        "backbone_config": {"mode": "adjust_channel", "num_classes": 2, "inc": 3, "dropout": False},
        "encoder_feat_dim": 512,
        "train_dataset": ["FF-F2F", "FF-DF", "FF-FS", "FF-NT"],  # as ucf.yaml: 5 specific classes
        "pretrained": "pretrained/xception-b5690688.pth",
        "loss_func": {"cls_loss": "ce", "spe_loss": "ce", "con_loss": "c", "rec_loss": "l1"},
    }


def main(deepfakebench: Path, aiface: Path) -> None:
    _registry_stub()
    torch.set_num_threads(1)
    images = _inputs()
    models = {
        "deepfakebench-xception": _xception(deepfakebench / "training/networks/xception.py", 2),
        "aiface-xception": _xception(aiface / "training/networks/xception.py", 1),
        "deepfakebench-efficientnetb4": _efficientnet(
            deepfakebench / "training/networks/efficientnetb4.py", 2
        ),
        "aiface-efficientnet": _efficientnet(aiface / "training/networks/efficientnetb4.py", 1),
        "deepfakebench-ucf": _detector(deepfakebench, "ucf_detector", _dfb_ucf_config()),
        "aiface-ucf": _detector(aiface, "ucf_detector"),
        "aiface-fair_df_detector": _detector(aiface, "fair_df_detector"),
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
