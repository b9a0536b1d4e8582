import pytest

from lstm_ms.core import config


def test_flags_typed_from_yaml_and_booleans_any_case():
    cfg = config.parse_args(["--batch_size", "32", "--bucket", "FALSE", "--learning_rate", "0.5",
                             "--bucket_lengths", "[10, 20]"], "t", "t")
    assert cfg["batch_size"] == 32 and cfg["bucket"] is False and cfg["learning_rate"] == 0.5
    assert cfg["bucket_lengths"] == [10, 20]
    assert cfg["device_target"] == "CPU" and cfg["num_hiddens"] == 100


def test_target_picks_its_file():
    cfg = config.parse_args(["--device_target", "Ascend"], "t", "t")
    assert cfg["num_hiddens"] == 128 and cfg["dynamic_lr"] is True


@pytest.mark.parametrize("argv, message", [
    (["--no_such_key", "1"], "unrecognized arguments: --no_such_key"),
    (["--bucket", "maybe"], "expected true or false"),
    (["--bucket_lengths", "[64, x]"], "expected a list of int, got 'x'"),
    (["--bucket_lengths", "64"], "expected a list"),
    (["--optimizer", "sgdd"], None),
])
def test_bad_flags_exit_2_with_one_line(capsys, argv, message):
    from lstm_ms.core.errors import UserError

    with pytest.raises((SystemExit, UserError)) as exc:
        config.parse_args(argv, "train.py", "t")
    if message is None:
        assert str(exc.value) == "--optimizer: optimizer: 'sgdd' is not one of momentum, adam"
        return
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    if message is None:  # a value outside a key's set: UserError, printed by the command as one line
        return
    assert err.startswith("error: train.py:") and message in err and "\n" not in err


def test_every_config_of_a_model_has_the_same_keys():
    """Extra configs (config_an4.yaml, config_cpu_small.yaml, _8p) differ in values only, so every flag
    works with every config."""
    from lstm_ms.core.config import load_yaml, models_dir

    for model in sorted(p for p in models_dir().iterdir() if p.is_dir()):
        base = set(load_yaml(model / "config_cpu.yaml"))
        for path in sorted(model.glob("config_*.yaml")):
            assert set(load_yaml(path)) == base, path


def test_no_abbreviations():
    """--mode is not --model, and a prefix of a key is not the key."""
    cfg = config.parse_args(["--mode", "pynative"], "t", "t")
    assert cfg["model"] == "sentiment" and cfg["mode"] == "pynative"
    with pytest.raises(SystemExit):
        config.parse_args(["--learning", "0.1"], "t", "t")


@pytest.mark.parametrize("model,key,value,allowed", [
    ("sentiment", "mode", "pynativ", "graph, pynative"), ("sentiment", "optimizer", "sgdd", "momentum, adam"),
    ("sentiment", "amp_level", "O4", "O0, O1, O2, O3"), ("sentiment", "device_target", "TPU", "Ascend, GPU, CPU"),
    ("deepspeech2", "lr_schedule", "linear", "cosine, anneal"), ("sentiment", "file_format", "ONNXX", "MINDIR, AIR"),
    ("deepspeech2", "rnn_type", "lstm2", "LSTM, GRU"), ("ctc", "test_set", "all", "core, complete")])
def test_enumerations_from_a_flag_or_the_yaml_name_the_key_and_the_values(tmp_path, model, key, value, allowed):
    import yaml

    from lstm_ms.core.errors import UserError

    with pytest.raises(UserError) as exc:
        config.parse_args(["--model", model, f"--{key}", value], "t", "t")
    assert str(exc.value) == f"--{key}: {key}: {value!r} is not one of {allowed}"
    cfg = config.load_yaml(config.config_file(model, "CPU"))
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({**cfg, key: value}))
    with pytest.raises(UserError) as exc:
        config.parse_args(["--model", model, "--config_path", str(path)], "t", "t")
    assert str(exc.value) == f"{path}: {key}: {value!r} is not one of {allowed}"


def test_enumerations_take_any_case_and_store_the_canonical_spelling():
    cfg = config.parse_args(["--mode", "PyNative", "--amp_level", "o2", "--optimizer", "Adam"], "t", "t")
    assert (cfg["mode"], cfg["amp_level"], cfg["optimizer"]) == ("pynative", "O2", "adam")
    assert config.parse_args(["--device_target", "ascend"], "t", "t")["device_target"] == "Ascend"


def test_help_shows_the_yaml_comment_the_allowed_values_and_the_commands_keys_first(capsys):
    with pytest.raises(SystemExit):
        config.parse_args(["--help"], "export.py", "t", uses=("ckpt_file", "file_format"))
    out = " ".join(capsys.readouterr().out.split("options:")[1].split())
    assert "config keys export.py uses: --ckpt_file" in out and "--file_format" in out
    assert out.index("--file_format") < out.index("other config keys") < out.index("--num_hiddens")
    comment = " ".join(config.yaml_comments(config.config_file("sentiment", "CPU"))["glove_path"].split())
    assert comment in out
    assert "(one of: MINDIR, AIR)" in out
    assert "config key '" not in out  # every key is described


def test_export_verify_is_a_boolean_flag(tmp_path):
    from tests.conftest import run_cli

    proc = run_cli("export.py", "--verify", "maybe", "--ckpt_file", tmp_path / "x.ckpt", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == "error: export.py: argument --verify: expected true or false, got 'maybe'"
    assert list(tmp_path.iterdir()) == []
