import pytest

from fairdf.cli import main
from fairdf.config import load_config
from fairdf.errors import ConfigError


def write(tmp_path, text):
    path = tmp_path / "run.yaml"
    path.write_text(text)
    return path


def test_defaults_are_the_papers_setting():
    config = load_config(None)
    assert (config.optim.lr, config.optim.momentum, config.optim.weight_decay) == (5e-4, 0.9, 5e-3)
    assert config.optim.sam and config.optim.rho == 0.05
    assert (config.optim.step_size, config.optim.gamma) == (60, 0.9)
    assert (config.train.epochs, config.train.batch_size, config.train.seed) == (100, 16, 5)
    assert config.model.image_size == 256


def test_paper_config_file_matches_defaults(tmp_path):
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "configs" / "ffpp.yaml"
    config = load_config(path, [f"data.root={tmp_path}"])  # packaged: data.root must be given
    defaults = load_config(None)
    # the reproduction switches are set to the reference code's behaviour in the file
    assert config.model.init == "reference" and config.train.keep_last_batch
    assert config.optim.always_decay and not defaults.optim.always_decay
    defaults.optim.always_decay = True
    assert config.optim == defaults.optim and config.loss == defaults.loss
    assert config.model.encoder == "xception" and config.train.epochs == 100


def test_overrides_and_relative_root(tmp_path):
    path = write(tmp_path, "data:\n  root: data\ntrain:\n  epochs: 3\n")
    config = load_config(path, ["train.epochs=7", "optim.lr=1e-3", "data.scheme=celebdf"])
    assert config.train.epochs == 7 and config.optim.lr == 1e-3
    assert config.data.root == str((tmp_path / "data").resolve())
    assert config.data.scheme == "celebdf"


@pytest.mark.parametrize(
    "text,overrides,key",
    [
        ("train:\n  epochs: 3\n  epoch: 4\n", [], "train.epoch"),
        ("trian:\n  epochs: 3\n", [], "trian"),
        ("train:\n  epochs: three\n", [], "train.epochs"),
        ("", ["optim.sam=maybe"], "optim.sam"),
        ("", ["train.precision=fp8"], "train.precision"),
        ("", ["train.batch_size=0"], "train.batch_size"),
        ("", ["data.scheme=ffqq"], "data.scheme"),
        ("", ["data.group_counts=[1,2]"], "data.group_counts"),
        ("", ["loss.not_a_weight=1"], "loss.not_a_weight"),
    ],
)
def test_bad_config_names_the_key(tmp_path, text, overrides, key):
    with pytest.raises(ConfigError, match=key.replace("[", r"\[")):
        load_config(write(tmp_path, text), overrides)


def test_cli_bad_config_exits_2_without_run_dir(tmp_path, capsys):
    path = write(tmp_path, "train:\n  epoks: 3\n")
    out = tmp_path / "run"
    code = main(["train", "--config", str(path), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2
    assert "train.epoks" in captured.err and "Traceback" not in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert not out.exists()


def test_invalid_yaml(tmp_path, capsys):
    path = write(tmp_path, "train: [unclosed\n")
    assert main(["train", "--config", str(path), "--out", str(tmp_path / "r")]) == 2
    assert "not valid YAML" in capsys.readouterr().err


def test_packaged_config_by_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ffpp.yaml here: the packaged one is meant
    config = load_config("ffpp", [f"data.root={tmp_path}"])
    assert config.model.encoder == "xception" and config.data.root == str(tmp_path)
    assert load_config("demo.yaml", ["data.root=."]).model.encoder == "tiny32"


def test_packaged_config_without_data_root_says_how_to_set_it(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = main(["train", "--config", "ffpp", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "data.root is unset" in err and "--set data.root=DIR" in err and "ffpp" in err
    assert "train_real" not in err and not (tmp_path / "run").exists()


def test_unknown_config_name_lists_the_packaged_ones(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = main(["train", "--config", "fpp", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "--config fpp" in err and "demo, ffpp, ffpp_ablation_no_demographic" in err
