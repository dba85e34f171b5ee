"""efficientnet_pytorch's EfficientNet-B4 keys -> timm's `tf_efficientnet_b4` keys.

DeepfakeBench and AI-Face-FairnessBench keep `efficientnet_pytorch`'s names
(`_conv_stem`, `_blocks.N._depthwise_conv`, ...); timm numbers blocks by stage
(`blocks.S.I.conv_dw`). The first stage has no expansion (timm's DepthwiseSeparableConv),
the others are inverted residuals.
"""

from __future__ import annotations

# efficientnet_pytorch's EfficientNet-B4 -> timm's: 32 blocks in stages of these sizes
B4_STAGES = (2, 4, 4, 6, 6, 8, 2)
B4_TOP = {
    "_conv_stem.": "conv_stem.",
    "_bn0.": "bn1.",
    "_conv_head.": "conv_head.",
    "_bn1.": "bn2.",
}
B4_SEPARABLE = {  # the first stage: no expansion (timm DepthwiseSeparableConv)
    "_depthwise_conv.": "conv_dw.",
    "_bn1.": "bn1.",
    "_se_reduce.": "se.conv_reduce.",
    "_se_expand.": "se.conv_expand.",
    "_project_conv.": "conv_pw.",
    "_bn2.": "bn2.",
}
B4_INVERTED = {  # the other stages (timm InvertedResidual)
    "_expand_conv.": "conv_pw.",
    "_bn0.": "bn1.",
    "_depthwise_conv.": "conv_dw.",
    "_bn1.": "bn2.",
    "_se_reduce.": "se.conv_reduce.",
    "_se_expand.": "se.conv_expand.",
    "_project_conv.": "conv_pwl.",
    "_bn2.": "bn3.",
}


def b4_block(index: int) -> tuple[int, int]:
    """Flat block number -> (stage, position in the stage)."""
    for stage, size in enumerate(B4_STAGES):
        if index < size:
            return stage, index
        index -= size
    raise KeyError(index)


def b4_trunk_key(local: str) -> str | None:
    """A key under `efficientnet.` (efficientnet_pytorch) -> timm's, or None if unknown."""
    if local.startswith("_blocks."):
        _, number, rest = local.split(".", 2)
        try:
            stage, position = b4_block(int(number))
        except (KeyError, ValueError):
            return None
        table = B4_SEPARABLE if stage == 0 else B4_INVERTED
        for old, new in table.items():
            if rest.startswith(old):
                return f"blocks.{stage}.{position}.{new}{rest[len(old) :]}"
        return None
    for old, new in B4_TOP.items():
        if local.startswith(old):
            return new + local[len(old) :]
    return None
