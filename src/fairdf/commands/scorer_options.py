"""What scores the images in `fairdf test` and `fairdf predict`: a fairdf checkpoint
(`--checkpoint`) or any ONNX detector (`--model`, with `--output`, `--mean`, `--std`,
`--input-size`; `fairdf.inference.onnx_scorer`)."""

from __future__ import annotations

import argparse
import math

from fairdf.commands.argtypes import bounded
from fairdf.commands.choices import ONNX_OUTPUTS

ONNX_ONLY = ("output", "mean", "std", "input_size")


def rgb_triple(text: str) -> tuple[float, float, float]:
    """'R,G,B': three finite numbers."""
    parts = text.split(",")
    try:
        values = tuple(float(part) for part in parts)
    except ValueError:
        values = ()
    if len(values) != 3 or not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"expected three numbers R,G,B, got '{text}'")
    return values  # type: ignore[return-value]


def add_scorer_options(parser: argparse.ArgumentParser) -> None:
    """`--checkpoint` or `--model` (exactly one) and the options that feed an ONNX model."""
    group = parser.add_argument_group("scorer (exactly one of --checkpoint and --model)")
    group.add_argument("--checkpoint", help="checkpoint folder (e.g. RUN/checkpoints/best)")
    group.add_argument(
        "--model",
        metavar="M.onnx",
        help="an ONNX detector from any code base, run with ONNX Runtime on the CPU "
        "(needs --output; see --mean, --std, --input-size)",
    )
    group.add_argument(
        "--output",
        choices=ONNX_OUTPUTS,
        metavar="KIND",
        help="with --model: what its first output is: two_logits (N, 2) [real, fake] "
        "logits; fake_logit (N, 1) or (N,) logit of fake; fake_prob (N, 1) or (N,) p(fake)",
    )
    group.add_argument(
        "--mean",
        type=rgb_triple,
        metavar="R,G,B",
        help="with --model: the model's input is (pixel/255 - mean)/std per RGB channel "
        "(default 0.5,0.5,0.5, as fairdf's own models; ImageNet: 0.485,0.456,0.406)",
    )
    group.add_argument(
        "--std",
        type=rgb_triple,
        metavar="R,G,B",
        help="with --model: see --mean (default 0.5,0.5,0.5; ImageNet: 0.229,0.224,0.225)",
    )
    group.add_argument(
        "--input-size",
        type=bounded("--input-size"),
        metavar="N",
        help="with --model: image side in pixels (default: the model's fixed input size; "
        "needed when the file leaves it open)",
    )


def check_scorer_options(args: argparse.Namespace) -> None:
    """Exactly one scorer, and the ONNX options only with --model (before anything is read)."""
    from fairdf.errors import ConfigError

    if (args.checkpoint is None) == (args.model is None):
        raise ConfigError(
            "pass exactly one of --checkpoint (a fairdf checkpoint folder) and --model "
            "(an ONNX file)"
        )
    if args.checkpoint is not None:
        for name in ONNX_ONLY:
            if getattr(args, name) is not None:
                option = "--" + name.replace("_", "-")
                raise ConfigError(f"{option} is used only with --model (an ONNX file)")
        return
    if args.output is None:
        raise ConfigError(
            "--model needs --output: two_logits, fake_logit or fake_prob (what the "
            "model's first output is)"
        )
    if args.device not in ("auto", "cpu"):
        raise ConfigError(f"--device {args.device}: --model runs on the CPU; drop --device")
    if getattr(args, "precision", "fp32") != "fp32":
        raise ConfigError(f"--precision {args.precision} applies to --checkpoint only")
    if min(args.std or (1.0,)) <= 0:
        raise ConfigError(f"--std must be > 0 per channel, got {args.std}")


def onnx_options(args: argparse.Namespace):
    """The OnnxOptions of `--output`, `--mean`, `--std` and `--input-size`."""
    from fairdf.inference.onnx_scorer import FAIRDF_MEAN, FAIRDF_STD, OnnxOptions

    return OnnxOptions(
        output=args.output,
        mean=args.mean or FAIRDF_MEAN,
        std=args.std or FAIRDF_STD,
        input_size=args.input_size,
    )


def onnx_scorer(args: argparse.Namespace):
    """The OnnxScorer of `--model` (checks its shapes against the options)."""
    from fairdf.inference.onnx_scorer import OnnxScorer

    return OnnxScorer(args.model, onnx_options(args))
