"""A small registry of named encoders: a trunk plus a channel adapter.

Every encoder maps images `(N, 3, H, W)` to features `(N, C, H/s, W/s)` with `C` the
configured `encoder_channels` (512 in the paper) and `s` the encoder's stride. timm
provides the trunks, always created with `pretrained=False`: ImageNet weights come only
from a file the user names (`fairdf.models.weights`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch.nn.functional as F
from torch import Tensor, nn

from fairdf.errors import UnknownNameError


class TinyTrunk(nn.Module):
    """Stride-2 3x3 conv-BN-ReLU stages, by default 3 -> 32 -> 64 -> 128 -> 256 channels.

    For tests and the demo: fast on a CPU. Four stages (`tiny`, stride 16) take any input
    from 32 px up; five (`tiny32`, stride 32, from 64 px up) give the feature geometry of
    the paper's Xception, so the decoder reconstructs at a quarter of the input size and
    costs, relative to the encoders, what it costs in the paper.
    """

    def __init__(self, widths: tuple[int, ...] = (32, 64, 128, 256)):
        super().__init__()
        layers: list[nn.Module] = []
        in_channels = 3
        for width in widths:
            layers += [
                nn.Conv2d(in_channels, width, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(width),
                nn.ReLU(inplace=True),
            ]
            in_channels = width
        self.layers = nn.Sequential(*layers)
        self.num_features = in_channels

    def forward_features(self, images: Tensor) -> Tensor:
        """`(N, 3, H, W)` -> `(N, 256, H/s, W/s)`, s = 2 ** stages."""
        return self.layers(images)

    forward = forward_features


def _timm_trunk(name: str) -> nn.Module:
    import timm

    return timm.create_model(name, pretrained=False, num_classes=0)


class StaticPadConv2d(nn.Conv2d):
    """A convolution after a fixed zero padding (left, right, top, bottom)."""

    def __init__(self, conv: nn.Conv2d, pad: tuple[int, int, int, int]):
        super().__init__(
            conv.in_channels,
            conv.out_channels,
            conv.kernel_size,
            conv.stride,
            0,
            conv.dilation,
            conv.groups,
            conv.bias is not None,
        )
        self.pad = pad

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(F.pad(x, self.pad))


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int, int, int]:
    """TensorFlow 'same' padding of a square input of `size` (the extra pixel right/bottom)."""
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return (total // 2, total - total // 2, total // 2, total - total // 2)


def _released_efficientnet_b4() -> nn.Module:
    """EfficientNet-B4 as DeepfakeBench and AI-Face-FairnessBench build it.

    Their `efficientnet_pytorch` network fixes TF 'same' padding for the 380 px input of
    the ImageNet model whatever the real input size, and they replace its stem by a plain
    3x3 stride-2 convolution without padding. timm's `tf_efficientnet_b4` (same layers,
    BatchNorm eps 1e-3, SiLU) gets the same: its stride-2 convolutions take the padding
    computed for the 380 px schedule (190, 95, 48, 24 px into stages 2, 3, 4 and 6).
    """
    trunk = _timm_trunk("tf_efficientnet_b4")
    trunk.conv_stem = nn.Conv2d(3, trunk.conv_stem.out_channels, 3, stride=2, bias=False)
    size = math.ceil(380 / 2)
    for stage in trunk.blocks:
        for block in stage:
            conv = block.conv_dw
            kernel, stride = conv.kernel_size[0], conv.stride[0]
            if stride > 1:
                block.conv_dw = StaticPadConv2d(conv, same_padding(size, kernel, stride))
            size = math.ceil(size / stride)
    return trunk


def _xception_trunk() -> nn.Module:
    trunk = _timm_trunk("legacy_xception")
    # docs/method.md, Architecture: the features end at bn4, no ReLU after it
    trunk.act4 = nn.Identity()
    return trunk


@dataclass(frozen=True)
class EncoderSpec:
    """How to build one named trunk; `stride` is its total downsampling."""

    build_trunk: Callable[[], nn.Module]
    stride: int
    summary: str
    published_relu: bool = True  # the published classifier's ReLU before pooling


ENCODERS: dict[str, EncoderSpec] = {
    "xception": EncoderSpec(_xception_trunk, 32, "timm legacy_xception up to bn4 (the paper's)"),
    "resnet34": EncoderSpec(partial(_timm_trunk, "resnet34"), 32, "timm resnet34"),
    "resnet50": EncoderSpec(partial(_timm_trunk, "resnet50"), 32, "timm resnet50"),
    "efficientnet_b3": EncoderSpec(
        partial(_timm_trunk, "efficientnet_b3"), 32, "timm efficientnet_b3"
    ),
    "efficientnet_b4": EncoderSpec(
        partial(_timm_trunk, "efficientnet_b4"), 32, "timm efficientnet_b4"
    ),
    "efficientnet_b4_released": EncoderSpec(
        _released_efficientnet_b4,
        32,
        "EfficientNet-B4 as DeepfakeBench and AI-Face-FairnessBench build it",
        published_relu=False,  # its features end in SiLU; the classifier pools them as they are
    ),
    "tiny": EncoderSpec(TinyTrunk, 16, "four conv layers (stride 16), for tests"),
    "tiny32": EncoderSpec(
        partial(TinyTrunk, (32, 64, 128, 256, 256)), 32, "five conv layers (stride 32), the demo's"
    ),
}


def encoder_names() -> tuple[str, ...]:
    return tuple(ENCODERS)


def encoder_spec(name: str) -> EncoderSpec:
    """The spec of a registered encoder; an unknown name lists the valid ones."""
    try:
        return ENCODERS[name]
    except KeyError:
        raise UnknownNameError("encoder", name, encoder_names()) from None


class Encoder(nn.Module):
    """A trunk followed by the channel adapter: 1x1 conv (with bias), BatchNorm, ReLU.

    With `out_channels` None there is no adapter: the trunk's own features come out
    (`out_channels` is then the trunk's width), as in the published baselines.
    """

    def __init__(self, trunk: nn.Module, out_channels: int | None, stride: int):
        super().__init__()
        self.trunk = trunk
        if out_channels is None:
            self.adapter: nn.Module = nn.Identity()
            out_channels = trunk.num_features
        else:
            self.adapter = nn.Sequential(
                nn.Conv2d(trunk.num_features, out_channels, 1),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(inplace=True),
            )
        self.out_channels = out_channels
        self.stride = stride

    def forward(self, images: Tensor) -> Tensor:
        """`(N, 3, H, W)` -> `(N, out_channels, H/stride, W/stride)` (rounded by the trunk)."""
        return self.adapter(self.trunk.forward_features(images))


def create_encoder(
    name: str, *, out_channels: int | None = 512, pretrained: str | Path | None = None
) -> Encoder:
    """Build encoder `name` (`out_channels` None: no adapter); `pretrained` names an
    ImageNet weights file for its trunk."""
    spec = encoder_spec(name)
    encoder = Encoder(spec.build_trunk(), out_channels, spec.stride)
    if pretrained is not None:
        from fairdf.models.weights import load_trunk_weights

        load_trunk_weights([encoder.trunk], pretrained, name)
    return encoder
