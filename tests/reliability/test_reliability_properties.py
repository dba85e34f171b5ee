"""Issue 13 property tests: generated hostile inputs end in success or one line, exit 2.

Manifests, predictions files, config YAML, `--set` values and checkpoint metadata are
generated with Hypothesis and fed to the CLI in-process (`fairdf.cli.main`). Each input
must give exit 0, or exit 2 with exactly one stderr line; never a traceback (an
exception escaping `main` fails the test) and never a hang (each example runs under a
wall-clock alarm). `FAIRDF_HYPOTHESIS_PROFILE=thorough` runs 20 times more examples.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fairdf.cli import main

EXAMPLE_SECONDS = 20  # a hang is an example running longer than this
settings.register_profile(
    "default-fairdf",
    max_examples=30,
    deadline=None,  # the machine may be busy: the alarm below catches hangs instead
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    parent=settings.get_profile("default-fairdf"),
    max_examples=600,
)
settings.load_profile(
    "thorough" if os.environ.get("FAIRDF_HYPOTHESIS_PROFILE") == "thorough" else "default-fairdf"
)


@contextlib.contextmanager
def alarm(seconds: int = EXAMPLE_SECONDS):
    def expired(signum, frame):
        raise TimeoutError(f"an example ran longer than {seconds} s (a hang)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run(capsys, *args) -> tuple[int, str, str]:
    with alarm():
        code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_contract(code: int, err: str) -> None:
    assert "Traceback" not in err, err
    assert code in (0, 2), (code, err)
    if code == 2:
        assert len(err.strip().splitlines()) == 1, err


# --- value strategies -------------------------------------------------------------------

NASTY_TEXT = st.sampled_from(
    ["", " ", "inf", "-inf", "nan", "NaN", "1e400", "-0", "0x1", "1_0", "２", "true", "null",
     "..", "/", "../x.png", "/etc/passwd", "a\\b", '"', "'", ",", "\t", "é", "\u202e", "*a"]
)  # fmt: skip
NUMBER_TEXT = st.one_of(
    st.integers(-3, 9).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["0", "1", "-1", "0.5", "1.0", "2"]),
)
CELL = st.one_of(NUMBER_TEXT, NASTY_TEXT, st.text(max_size=6))
MANIFEST_COLUMNS = ["img_path", "label", "ismale", "isasian", "iswhite", "isblack",
                    "intersec_label", "spe_label", "identity"]  # fmt: skip
PREDICTION_COLUMNS = ["label", "score", "logit_real", "logit_fake", "intersec_label",
                      "ismale", "isasian", "iswhite", "isblack", "gender", "race"]  # fmt: skip


def _csv_text(columns: list[str], rows: list[list[str]]) -> str:
    def cell(text: str) -> str:
        return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n\r') else text

    lines = [",".join(cell(c) for c in columns)]
    lines += [",".join(cell(v) for v in row[: len(columns)]) for row in rows]
    return "\n".join(lines) + "\n"


@st.composite
def csv_files(draw, names: list[str]) -> bytes:
    """CSV text over (mostly) known columns, sometimes repeated, with hostile cells."""
    columns = draw(st.lists(st.sampled_from(names) | st.text(max_size=4), max_size=10))
    if draw(st.booleans()):
        columns = [c for c in names if draw(st.booleans())] or columns
    n_rows = draw(st.integers(0, 6))
    rows = [draw(st.lists(CELL, min_size=len(columns), max_size=len(columns)))
            for _ in range(n_rows)]  # fmt: skip
    data = _csv_text(columns, rows).encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 9)) == 0:
        data += b"\xff\xfe broken"
    return data


# --- manifests --------------------------------------------------------------------------


@given(
    data=csv_files(MANIFEST_COLUMNS),
    name=st.sampled_from(["test.csv", "realtrain.csv", "faketrain.csv", "...csv", "a b.csv"]),
    check_images=st.booleans(),
)
def test_generated_manifests(capsys, count_input, data, name, check_images):
    count_input()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        (Path(folder) / "a.png").write_bytes(b"\x89PNG broken")
        extra = ["--check-images"] if check_images else []
        code, _, err = run(capsys, "validate", path, *extra)
    assert "Traceback" not in err and code in (0, 2), err
    errors = [line for line in err.splitlines() if not line.startswith("warning:")]
    assert len(errors) == (1 if code == 2 else 0), err


# --- predictions ------------------------------------------------------------------------


@given(data=csv_files(PREDICTION_COLUMNS), scheme=st.sampled_from([[], ["--scheme", "ffpp"]]))
def test_generated_predictions(capsys, count_input, data, scheme):
    count_input()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "predictions.csv"
        path.write_bytes(data)
        code, _, err = run(capsys, "metrics", path, *scheme, "--json", Path(folder) / "m.json")
        leftovers = [p.name for p in Path(folder).iterdir() if p.name.endswith(".tmp")]
    assert_contract(code, err)
    assert not leftovers


# --- config YAML and --set values --------------------------------------------------------

SECTIONS = {
    "data": ["root", "workers", "scheme", "group_counts", "skip_corrupt", "max_image_pixels"],
    "model": ["encoder", "image_size", "n_groups", "head_dropout", "hidden_dim", "pretrained"],
    "loss": ["fuse_weight", "alpha_inner", "tau1", "ldam_scale"],
    "optim": ["lr", "momentum", "weight_decay", "rho", "gamma", "step_size", "sam"],
    "train": ["epochs", "batch_size", "best_metric", "precision", "seed", "eval_batch_size"],
}
YAML_SCALAR = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from([".nan", ".inf", "-.inf", "~", "yes", "[1, 2]", "{a: 1}", "&x 1", "*x",
                     "[&a [1,2], *a, *a]", "!!python/object:os.system", "'", "{", "tiny",
                     "auc", "F_MEO", "fp8", "0", "-1", "1e-3", "1024", "30000"]),
    NASTY_TEXT,
)  # fmt: skip
KEY = st.one_of(
    st.sampled_from([f"{s}.{k}" for s, keys in SECTIONS.items() for k in keys]),
    st.sampled_from(["train", "optim.", ".lr", "data.root.x", "nosection.key", "a..b"]),
)


@st.composite
def config_texts(draw) -> str:
    lines = []
    for section in draw(st.lists(st.sampled_from([*SECTIONS, "extra"]), max_size=4)):
        lines.append(f"{section}:")
        for key in draw(st.lists(st.sampled_from(SECTIONS.get(section, ["k"])), max_size=4)):
            lines.append(f"  {key}: {draw(YAML_SCALAR)}")
    if draw(st.integers(0, 5)) == 0:
        lines.append(draw(st.sampled_from(["a: &a [1]\nb: [*a, *a]", "- list", "  bad: indent"])))
    return "\n".join(lines) + "\n"


def _train(capsys, folder: Path, *args) -> tuple[int, str, str]:
    """`fairdf train` that cannot start: data.root has no manifests (so nothing trains)."""
    root = folder / "no-data"
    run_dir = folder / "run"
    code, out, err = run(capsys, "train", *args, "--set", f"data.root={root}", "--out", run_dir)
    assert not run_dir.exists() or not any(run_dir.rglob("*.safetensors"))
    return code, out, err


@given(text=config_texts(), latin=st.integers(0, 9))
def test_generated_config_files(capsys, count_input, text, latin):
    count_input()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        config = folder / "run.yaml"
        config.write_bytes(text.encode("latin-1", "replace") if latin == 0 else text.encode())
        code, _, err = _train(capsys, folder, "--config", config)
    assert_contract(code, err)
    assert code == 2  # never trains: either a config error or the missing manifests


@given(pairs=st.lists(st.tuples(KEY, YAML_SCALAR), min_size=1, max_size=3))
def test_generated_set_values(capsys, count_input, pairs):
    count_input()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        config = folder / "run.yaml"
        config.write_text("model:\n  encoder: tiny\n")
        overrides = [part for key, value in pairs for part in ("--set", f"{key}={value}")]
        code, _, err = _train(capsys, folder, "--config", config, *overrides)
    assert_contract(code, err)
    assert code == 2


# --- checkpoint metadata ----------------------------------------------------------------

DETECTOR_KEYS = ["encoder", "pretrained", "n_groups", "n_methods", "encoder_channels",
                 "feature_channels", "hidden_dim", "head_dropout", "decoder_dropout",
                 "image_size", "bogus"]  # fmt: skip
JSON_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["tiny", "xception", "NaN", "Infinity", "", "ffpp", "celebdf"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@st.composite
def checkpoint_infos(draw) -> str:
    from fairdf.engine.checkpoint import FORMAT, VERSION

    detector = draw(st.dictionaries(st.sampled_from(DETECTOR_KEYS), JSON_VALUE, max_size=6))
    if draw(st.booleans()):
        detector.setdefault("encoder", "tiny")
    info = {
        "format": draw(st.sampled_from([FORMAT, FORMAT, "other", 1])),
        "version": draw(st.sampled_from([VERSION, VERSION, 99, "1"])),
        "scheme": draw(JSON_VALUE),
        "detector": draw(st.sampled_from([detector, detector, [], "x", None])),
        "metadata": draw(JSON_VALUE),
    }
    text = json.dumps(info, allow_nan=True)
    mangle = draw(st.integers(0, 9))
    if mangle == 0:
        return text[: len(text) // 2]
    if mangle == 1:
        return text.replace('"tiny"', "NaN")
    return text


@given(text=checkpoint_infos())
def test_generated_checkpoint_metadata(capsys, count_input, text):
    count_input()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        checkpoint = folder / "ckpt"
        checkpoint.mkdir()
        (checkpoint / "checkpoint.json").write_text(text)
        code, _, err = run(capsys, "export", checkpoint, folder / "model.pt")
        written = (folder / "model.pt").exists()
    assert_contract(code, err)
    assert code == 2 and not written  # no weights file: never exported
