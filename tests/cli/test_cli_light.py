"""Light commands (validate, metrics, report, --help) never import torch or timm."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from fairdf.data.synth import make_synthetic_dataset

PROBE = """
import json, sys
from fairdf.cli import main
for call in json.loads(sys.argv[1]):
    try:
        code = main(call)
    except SystemExit as exit:
        code = exit.code
    heavy = [m for m in ("torch", "timm", "torchvision") if m in sys.modules]
    print("RESULT", json.dumps([call[0], code, heavy]))
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("light")
    data = make_synthetic_dataset(root / "data", n_images=120, size=32, seed=2)
    reference = Path(__file__).resolve().parents[1] / "reference" / "metrics_vector.csv"
    declared = root / "declared.csv"  # text attribute columns instead of ismale/isasian/...
    first = pd.read_csv(data.manifests["test"])["img_path"][0]
    declared.write_text(f"img_path,label,gender\n{data.root / first},0,female\n")
    manifests = sorted(str(p) for p in Path(data.root).glob("*.csv"))
    return manifests, str(reference), root, str(declared)


def test_validate_metrics_report_and_help_stay_light(files):
    manifests, predictions, root, declared = files
    calls = [
        ["--help"],
        ["train", "--help"],
        ["validate", *manifests],
        ["validate", declared, "--attributes", "gender=male,female"],
        ["metrics", predictions, "--reference-convention"],
        ["report", predictions, "--reference-convention", "--bootstrap", "20"]
        + ["--out", str(root / "r.html")],
    ]
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(calls)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    assert len(lines) == len(calls), result.stderr[-2000:]
    for line in lines:
        name, code, heavy = json.loads(line.removeprefix("RESULT "))
        assert heavy == [], (name, heavy)  # one process: torch imported by any call shows
        assert code in (0, None), (name, code)
