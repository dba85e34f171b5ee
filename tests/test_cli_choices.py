"""Options with a fixed set of names are argparse choices that match the library's names."""

from __future__ import annotations

import pytest

from fairdf.cli import main
from fairdf.commands import choices


def test_choices_match_the_library_tables():
    from fairdf.data.groups import SCHEMES
    from fairdf.inference.export import FORMATS
    from fairdf.inference.onnx_scorer import OUTPUT_KINDS
    from fairdf.inference.quantize import QUANTIZE_TYPES
    from fairdf.inference.results import AGGREGATES
    from fairdf.prepare.faces import DETECTORS
    from fairdf.prepare.identities import ADAPTERS

    assert tuple(SCHEMES) == choices.SCHEMES
    assert tuple(DETECTORS) == choices.FACE_DETECTORS
    assert tuple(AGGREGATES) == choices.AGGREGATES
    from fairdf.inference.hf_export import HF_FORMAT

    assert (*FORMATS, HF_FORMAT) == choices.EXPORT_FORMATS
    assert tuple(OUTPUT_KINDS) == choices.ONNX_OUTPUTS
    assert tuple(QUANTIZE_TYPES) == choices.QUANTIZE_TYPES
    assert tuple(ADAPTERS) == choices.DATASET_ADAPTERS
    from fairdf.prepare.layouts import COMPRESSIONS, LAYOUTS

    assert (LAYOUTS, COMPRESSIONS) == (choices.LAYOUTS, choices.COMPRESSIONS)
    from fairdf.models.peer_import import PEERS, SOURCES

    assert tuple(choices.PEER_DETECTORS) == SOURCES
    for source, names in choices.PEER_DETECTORS.items():
        assert names == tuple(n for s, n in PEERS if s == source)


@pytest.mark.parametrize(
    "arguments",
    [
        ["predict", "x.png", "--checkpoint", "ckpt", "--aggregate", "mode"],
        ["predict", "x.png", "--checkpoint", "ckpt", "--detector", "mtcnn"],
        ["metrics", "p.csv", "--scheme", "martian"],
        ["report", "p.csv", "--scheme", "martian"],
        ["validate", "m.csv", "--scheme", "martian"],
        ["test", "--checkpoint", "c", "--manifest", "m.csv", "--out", "o", "--scheme", "x"],
        ["test", "--model", "m.onnx", "--manifest", "m.csv", "--out", "o", "--output", "prob"],
        ["predict", "x.png", "--model", "m.onnx", "--output", "softmax"],
        ["export", "ckpt", "out.bin", "--format", "keras"],
        ["export", "ckpt", "out.onnx", "--quantize", "int4"],
        ["prepare", "split", "faces.csv", "split.csv", "--dataset", "nope"],
        ["prepare", "faces", "images", "out", "--detector", "mtcnn"],
        ["prepare", "frames", "videos", "out", "--layout", "ffpp++"],
        ["prepare", "frames", "videos", "out", "--compression", "c30"],
        ["import-reference", "ref.pth", "out", "--scheme", "x"],
    ],
)
def test_unknown_name_is_refused_on_one_line_before_anything_runs(tmp_path, capsys, arguments):
    # relative paths inside an empty folder: nothing exists, so nothing could be read
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        assert main(arguments) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert "invalid choice" in err and "--help" in err
    assert list(tmp_path.iterdir()) == []
