"""The `fairdf` command line: parses arguments, calls the library, maps errors to exit codes.

Each sub-command lives in `fairdf.commands.<module>` and defines
`add_arguments(parser)` and `run(args) -> int`. Command modules import heavy libraries
(torch, dlib, ...) inside `run`, so `fairdf --help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from fairdf import __version__
from fairdf.errors import FairdfError

# name -> (module under fairdf.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("demo", "synthesize data, train a tiny detector, test it and print the tables"),
    "synth": ("synth", "write a synthetic face-forgery dataset with manifests"),
    "validate": ("validate", "check manifests and print counts per group and label"),
    "prepare": ("prepare", "turn videos/images into face crops, splits and manifests"),
    "train": ("train", "train the detector from a YAML config"),
    "test": ("test", "score test manifests with a checkpoint and compute metrics"),
    "metrics": ("metrics", "detection and fairness metrics of a predictions CSV"),
    "predict": ("predict", "score images, folders and videos with a checkpoint"),
    "report": ("report", "write an HTML/Markdown report of a run or predictions"),
    "export": ("export", "export the inference branches to ONNX or TorchScript"),
    "import-reference": ("import_reference", "convert a reference-code checkpoint"),
    "import": ("import_manifests", "AI-Face-FairnessBench CSVs / DeepfakeBench JSON -> manifests"),
}


def _load(module: str):
    return importlib.import_module(f"fairdf.commands.{module}")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser; with `only`, import just that command's module."""
    parser = argparse.ArgumentParser(
        prog="fairdf",
        description="Fair and generalizable deepfake detection: prepare, train, test, measure.",
    )
    parser.add_argument("--version", action="version", version=f"fairdf {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        if only is None or only == name:
            try:
                mod = _load(module)
            except ModuleNotFoundError as exc:
                if not exc.name or not exc.name.startswith("fairdf.commands"):
                    raise
                continue  # command not available in this build
            mod.add_arguments(command_parser)
            command_parser.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    wanted = next((a for a in argv if a in COMMANDS), None)
    parser = build_parser(only=wanted)
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 0 if args.command is None else 2
    try:
        return int(args._run(args) or 0)
    except FairdfError as exc:
        print(f"fairdf {args.command}: error: {_one_line(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("fairdf: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def _one_line(message: str) -> str:
    return " ".join(message.split("\n")[0].split()) if "\n" in message else message


if __name__ == "__main__":
    sys.exit(main())
