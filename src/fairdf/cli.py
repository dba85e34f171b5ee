"""The `fairdf` command line: parses arguments, calls the library, maps errors to exit codes.

Each sub-command lives in `fairdf.commands.<module>` and defines
`add_arguments(parser)` and `run(args) -> int`. Command modules import heavy libraries
(torch, dlib, ...) inside `run`, so `fairdf --help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from fairdf import __version__
from fairdf.boundary import user_message
from fairdf.errors import FairdfError

# name -> (module under fairdf.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("demo", "synthesize data, train a tiny detector, test it and print the tables"),
    "synth": ("synth", "write a synthetic face-forgery dataset with manifests"),
    "validate": ("validate", "check manifests and print counts per group and label"),
    "prepare": ("prepare", "turn videos/images into face crops, splits and manifests"),
    "train": ("train", "train the detector from a YAML config"),
    "test": ("test", "score test manifests with a checkpoint or an ONNX model and compute metrics"),
    "metrics": ("metrics", "detection and fairness metrics of a predictions CSV"),
    "compare": ("compare", "compare detectors on the same images: paired differences"),
    "predict": ("predict", "score images, folders and videos with a checkpoint or an ONNX model"),
    "report": ("report", "write an HTML/Markdown report of a run or predictions"),
    "card": ("card", "write a model card (Hugging Face layout) of a fairdf test folder"),
    "export": ("export", "export the inference branches to ONNX (optionally int8) or TorchScript"),
    "import-reference": ("import_reference", "convert a reference-code checkpoint"),
    "import-checkpoint": (
        "import_checkpoint",
        "convert a released checkpoint (official, DeepfakeBench, AI-Face-FairnessBench)",
    ),
    "import": ("import_manifests", "AI-Face-FairnessBench CSVs / DeepfakeBench JSON -> manifests"),
}


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose usage errors are one line, like every other fairdf error."""

    def error(self, message: str):
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


class _StderrHandler(logging.Handler):
    """Prints each log message on the current `sys.stderr` (looked up at every record)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            print(self.format(record), file=sys.stderr, flush=True)
        except Exception:
            self.handleError(record)


def _show_progress_messages() -> None:
    """The library logs progress at INFO under `fairdf`; the command line shows it."""
    logger = logging.getLogger("fairdf")
    if not any(isinstance(handler, _StderrHandler) for handler in logger.handlers):
        logger.addHandler(_StderrHandler())
    if logger.level == logging.NOTSET or logger.level > logging.INFO:
        logger.setLevel(logging.INFO)


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """Adds `(default: X)` to an option's help unless it already names its default."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            "default" in text
            or not action.option_strings
            or action.nargs == 0  # flags
            or default in (None, False, argparse.SUPPRESS)
            or default == []
        ):
            return text
        return f"{text} (default: %(default)s)"


def all_parsers(parser: argparse.ArgumentParser):
    """`parser` and every sub-command parser below it, depth first."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                yield from all_parsers(child)


def _load(module: str):
    return importlib.import_module(f"fairdf.commands.{module}")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser; with `only`, import just that command's module."""
    parser = _Parser(
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
    for each in all_parsers(parser):
        each.formatter_class = DefaultsHelpFormatter
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    wanted = next((a for a in argv if a in COMMANDS), None)
    parser = build_parser(only=wanted)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error (status 2)
        return exc.code if isinstance(exc.code, int) else 2
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 0 if args.command is None else 2
    _show_progress_messages()
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("fairdf: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the one error boundary: see fairdf.boundary
        message = user_message(exc)
        if message is None:
            raise
        if not getattr(exc, "quiet", False):
            print(f"fairdf {args.command}: error: {message}", file=sys.stderr)
        return exc.exit_code if isinstance(exc, FairdfError) else 2


if __name__ == "__main__":
    sys.exit(main())
