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
    (["--device_target", "TPU"], "invalid choice"),
])
def test_bad_flags_exit_2_with_one_line(capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        config.parse_args(argv, "train.py", "t")
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: train.py:") and message in err and "\n" not in err


def test_every_config_of_a_model_has_the_same_keys():
    """Extra configs (config_an4.yaml, config_cpu_small.yaml, _8p) differ in values only, so every flag
    works with every config."""
    from lstm_ms.core.config import MODELS_DIR, load_yaml

    for model in sorted(p for p in MODELS_DIR.iterdir() if p.is_dir()):
        base = set(load_yaml(model / "config_cpu.yaml"))
        for path in sorted(model.glob("config_*.yaml")):
            assert set(load_yaml(path)) == base, path
