"""The reconstruction decoder D(z, c) (docs/method.md, Architecture; training only)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from fairdf.models.blocks import adain


def double_conv(in_channels: int, out_channels: int) -> nn.Sequential:
    """3x3 conv, ReLU, 3x3 conv, ReLU (padding 1, with bias)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, 3, padding=1),
        nn.ReLU(inplace=True),
    )


def _upsample(x: Tensor, scale: int = 2, size: tuple[int, int] | None = None) -> Tensor:
    if size is not None:
        return F.interpolate(x, size=size, mode="bilinear", align_corners=True)
    return F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=True)


class ReconstructionDecoder(nn.Module):
    """Decode an image from a forgery code `z` and a style code `c`.

    Three stages; in each, `c <- AdaIN(c, z)`, then both codes are upsampled x2,
    dropped out and passed through the stage's double conv (shared weights; the last
    stage runs on `c` only). A 1x1 conv to RGB, a bilinear upsample (x4 or to
    `output_size`) and tanh finish.
    """

    def __init__(self, code_channels: int = 512, dropout: float = 0.3):
        super().__init__()
        widths = (code_channels, code_channels // 2, code_channels // 4, code_channels // 8)
        self.stages = nn.ModuleList(
            double_conv(a, b) for a, b in zip(widths[:-1], widths[1:], strict=True)
        )
        self.to_image = nn.Conv2d(widths[-1], 3, 1)
        self.dropout = nn.Dropout(dropout)

    def forward(
        self, forgery_code: Tensor, style_code: Tensor, output_size: tuple[int, int] | None = None
    ) -> Tensor:
        """z `(N, C, h, w)`, c `(N, C, h, w)` -> images `(N, 3, 32h, 32w)` or `output_size`, in [-1, 1]."""
        code, style = forgery_code, style_code
        last = len(self.stages) - 1
        for index, stage in enumerate(self.stages):
            style = adain(style, code)
            if index == last:
                style = stage(self.dropout(_upsample(style)))
            else:  # both codes through the shared stage in one call
                both = stage(self.dropout(_upsample(torch.cat([style, code]))))
                style, code = both.chunk(2)
        return torch.tanh(_upsample(self.to_image(style), scale=4, size=output_size))
