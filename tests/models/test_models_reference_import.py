"""Importing reference-layout checkpoints, through the API and `fairdf import-reference`."""

from __future__ import annotations

import pytest
import torch

from fairdf.cli import main
from fairdf.engine.checkpoint import load_checkpoint, read_checkpoint_info
from fairdf.models.reference_import import UNUSED_PREFIXES, export_reference_state_dict

DTYPES = {"float32": torch.float32, "int64": torch.int64}


@pytest.fixture(scope="module")
def reference_file(reference_dir, tmp_path_factory):
    """A state dict with every key and shape of the TSV, random values, saved with torch.save."""
    generator = torch.Generator().manual_seed(0)
    state = {}
    for line in (reference_dir / "official_state_dict.tsv").read_text().splitlines()[1:]:
        key, shape_text, dtype = line.split("\t")[:3]
        shape = () if shape_text == "scalar" else tuple(int(s) for s in shape_text.split("x"))
        if DTYPES[dtype].is_floating_point:
            state[key] = torch.randn(shape, generator=generator)
        else:
            state[key] = torch.randint(0, 10_000, shape, generator=generator)
    path = tmp_path_factory.mktemp("reference") / "reference.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in state.items()}}, path)
    return state, path


def test_import_round_trips_every_tensor_bit_for_bit(reference_file, tmp_path, capsys):
    state, path = reference_file
    out = tmp_path / "imported"
    assert main(["import-reference", str(path), str(out)]) == 0
    printed = capsys.readouterr().out
    assert "dropped 12 unused reference keys" in printed
    info = read_checkpoint_info(out)
    assert (
        info.detector.encoder,
        info.detector.n_groups,
        info.detector.n_methods,
        info.scheme,
    ) == ("xception", 8, 5, "ffpp")
    model, _ = load_checkpoint(out)
    exported = export_reference_state_dict(model.state_dict())
    kept = {k: v for k, v in state.items() if not k.startswith(UNUSED_PREFIXES)}
    assert exported.keys() == kept.keys()
    for key, value in kept.items():
        assert exported[key].dtype == value.dtype and torch.equal(exported[key], value), key


def _run_cli(argv, capsys) -> tuple[int, str]:
    status = main(argv)
    return status, capsys.readouterr().err


def test_options_that_do_not_fit_the_file_are_one_line_errors(reference_file, tmp_path, capsys):
    _, path = reference_file
    status, err = _run_cli(
        ["import-reference", str(path), str(tmp_path / "a"), "--n-groups", "6"], capsys
    )
    assert (
        status == 2
        and err.count("\n") == 1
        and "demographic_head.mlp.2.bias: file 8 vs model 6" in err
    )
    assert not (tmp_path / "a").exists()


def test_unknown_keys_are_listed(tmp_path, capsys):
    path = tmp_path / "other.pth"
    torch.save(
        {
            "encoder_f.conv1.weight": torch.zeros(32, 3, 3, 3),
            "backbone.fc.weight": torch.zeros(2, 2),
        },
        path,
    )
    status, err = _run_cli(["import-reference", str(path), str(tmp_path / "out")], capsys)
    assert status == 2 and err.count("\n") == 1
    assert "not in the reference layout (backbone.fc.weight)" in err


def test_pickle_that_is_not_a_state_dict(tmp_path, capsys):
    path = tmp_path / "list.pth"
    torch.save([torch.zeros(2)], path)
    status, err = _run_cli(["import-reference", str(path), str(tmp_path / "out")], capsys)
    assert (
        status == 2
        and err.count("\n") == 1
        and "does not hold a state dict" in err
        and "Traceback" not in err
    )
    assert not (tmp_path / "out").exists()


def test_existing_output_folder_needs_overwrite(tmp_path, capsys):
    (tmp_path / "out").mkdir()
    path = tmp_path / "missing.pth"
    status, err = _run_cli(["import-reference", str(path), str(tmp_path / "out")], capsys)
    assert status == 2 and "--overwrite" in err
