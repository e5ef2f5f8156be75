"""What a user passes through the API or the CLI ends in a plain DataError/TrainingError
(issue 13): settings, groups, windows, diverging training, predict on missing inputs."""
from __future__ import annotations

import numpy as np
import pytest

import palstm_core as pc
from palstm_core.__main__ import main
from palstm_core.training.loop import check_scores

GROUPS = {"engine": ["rpm", "load"], "motion": ["speed"]}


@pytest.fixture(scope="module")
def drive():
    return pc.load_sample("urban").slice(0, 600)


@pytest.fixture(scope="module")
def linear_run(drive, tmp_path_factory):
    cache = pc.ModelCache(tmp_path_factory.mktemp("cache"))
    run = pc.train(drive, target="NOx", grouping=pc.SensorGrouping(GROUPS),
                   window=pc.WindowSpec(lookback=8),
                   config=pc.TrainConfig(model="linear", epochs=1, device="cpu"), cache=cache)
    return cache, run


# ---------------------------------------------------------------- settings
@pytest.mark.parametrize("kwargs, words", [
    ({"epochs": 2.5}, "epochs must be a whole number, not 2.5"),
    ({"epochs": "x"}, "epochs must be a whole number, not 'x'"),
    ({"epochs": "3"}, "epochs must be a whole number"),
    ({"hidden_size": True}, "hidden_size must be a whole number, not True"),
    ({"batch_size": None}, "batch_size must be a whole number, not None"),
    ({"epochs": float("nan")}, "epochs must be a whole number"),
    ({"epochs": 0}, "epochs must be at least 1"),
    ({"patience": 0}, "patience must be at least 1"),
    ({"seed": -1}, "seed must be at least 0"),
    ({"lr": "fast"}, "learning rate (lr) must be a finite number"),
    ({"lr": float("inf")}, "learning rate (lr) must be a finite number"),
    ({"lr": 0}, "learning rate (lr) must be positive"),
    ({"weight_decay": -0.1}, "weight_decay must be at least 0"),
    ({"device": "tpu"}, "Unknown device 'tpu'"),
    ({"device": None}, "Unknown device None"),
    ({"amp": "yes"}, "amp must be True or False"),
    ({"model": "wavenet"}, "Unknown model 'wavenet'"),
    ({"model": ["lstm"]}, "Unknown model ['lstm']"),
])
def test_train_config_refuses_bad_settings_in_plain_words(kwargs, words):
    with pytest.raises(pc.DataError) as err:
        pc.TrainConfig(**kwargs)
    assert words in str(err.value)


def test_train_config_takes_whole_floats_as_integers():
    cfg = pc.TrainConfig(epochs=2.0, hidden_size=np.float64(16), batch_size=np.int64(64), lr=1)
    assert (cfg.epochs, cfg.hidden_size, cfg.batch_size) == (2, 16, 64)
    assert all(type(v) is int for v in (cfg.epochs, cfg.hidden_size, cfg.batch_size))
    assert type(cfg.lr) is float and cfg.lr == 1.0
    assert pc.TrainConfig(device="cuda:1").device == "cuda:1"


@pytest.mark.parametrize("kwargs, words", [
    ({"lookback": None}, "Lookback must be a whole number, not None"),
    ({"lookback": 2.5}, "Lookback must be a whole number, not 2.5"),
    ({"lookback": 0}, "Lookback must be at least 1"),
    ({"horizon": "one"}, "Horizon (0 = estimate the current step) must be a whole number"),
    ({"horizon": -1}, "must be at least 0"),
    ({"target_history": "no"}, "target_history must be True or False"),
    ({"split": "0.7"}, "Split must be three positive fractions"),
    ({"split": (0.7, "x", 0.15)}, "Each split fraction must be a finite number, not 'x'"),
    ({"split": (0.9, 0.15, -0.05)}, "Each split fraction must be at least 0.0"),
])
def test_window_spec_refuses_bad_values_in_plain_words(kwargs, words):
    with pytest.raises(pc.DataError) as err:
        pc.WindowSpec(**kwargs)
    assert words in str(err.value)


def test_window_spec_takes_whole_floats():
    spec = pc.WindowSpec(lookback=30.0, horizon=np.int64(0))
    assert (spec.lookback, spec.horizon) == (30, 0) and type(spec.lookback) is int


@pytest.mark.parametrize("groups, words", [
    ({"engine": "rpm"}, 'must be a list of column names, e.g. {"engine": ["rpm"]}'),
    ({"engine": 5}, "must be a list of column names"),
    ({"engine": []}, "Group 'engine' is empty"),
    ({"engine": ["rpm", None]}, "has an empty column name"),
    ({"engine": ["rpm"], "motion": ["speed", "rpm"]}, "Column 'rpm' is in group 'motion' and also in 'engine'"),
    ({"engine": ["rpm", "rpm"]}, "twice in that group"),
    (["rpm", "load"], "must map each group name to a list of columns"),
    ({}, "at least one group"),
])
def test_sensor_grouping_refuses_bad_groups(groups, words):
    with pytest.raises(pc.DataError) as err:
        pc.SensorGrouping(groups)
    assert words in str(err.value)


# ---------------------------------------------------------------- divergence
def test_huge_learning_rate_stops_with_a_training_error_and_caches_nothing(drive, tmp_path):
    cache = pc.ModelCache(tmp_path / "cache")
    cfg = pc.TrainConfig(model="lstm", hidden_size=8, epochs=3, lr=1e9, device="cpu")
    with pytest.raises(pc.TrainingError) as err:      # was: R² = -6e17, cached as a success
        pc.train(drive, target="NOx", grouping=pc.SensorGrouping(GROUPS),
                 window=pc.WindowSpec(lookback=8), config=cfg, cache=cache)
    msg = str(err.value)
    assert "diverged" in msg and "epoch 1" in msg and "smaller learning rate" in msg
    assert "1e+08" in msg
    assert cache.list() == []


def test_far_below_baseline_scores_are_refused_but_a_quiet_test_span_is_not():
    cfg = pc.TrainConfig(lr=0.5)
    with pytest.raises(pc.TrainingError, match="R² is -6e\\+17.*not cached.*now 0.5, e.g. 0.05"):
        check_scores({"rmse": 7.7e8, "r2": -6e17}, target_std=1.0, config=cfg)
    # R² -20 on a test span with almost no variance, while the error is a tenth of the target's
    # training spread: a usable model, kept
    check_scores({"rmse": 0.1, "r2": -20.0}, target_std=1.0, config=cfg)
    check_scores({"rmse": 2.0, "r2": 0.4}, target_std=1.0, config=cfg)
    check_scores({"rmse": float("nan"), "r2": float("nan")}, target_std=1.0, config=cfg)


# ---------------------------------------------------------------- predict on missing inputs
def test_predict_on_an_all_missing_input_names_the_column(drive, linear_run):
    _, run = linear_run
    frame = drive.frame.copy()
    frame["load"] = np.nan
    ds2 = pc.Dataset(frame, time_column=drive.time_column, name="obd only")
    with pytest.raises(pc.DataError) as err:          # was: 0 rows, no word
        run.predict(ds2)
    assert "'load'" in str(err.value) and "no usable values" in str(err.value)
    assert "592 windows" in str(err.value)          # 600 rows - lookback 8 - horizon 1 + 1


def test_predict_reports_windows_skipped_for_missing_inputs(drive, linear_run):
    _, run = linear_run
    assert run.predict(drive).attrs["report"] == []
    frame = drive.frame.copy()
    frame.loc[frame.index[100:110], "rpm"] = np.nan
    pred = run.predict(pc.Dataset(frame, time_column=drive.time_column, name="gappy"))
    assert len(pred) == 592 - 17                    # 10 missing rows hide 10 + 8 - 1 windows
    [line] = pred.attrs["report"]
    assert line.startswith("17 of 592 windows were skipped") and "'rpm' (10 of 600 rows)" in line


# ---------------------------------------------------------------- CLI
@pytest.mark.parametrize("argv, words", [
    (["train", "--groups", "not json"], "--groups is not valid JSON"),
    (["train", "--groups", '{"engine": "rpm"}'], "must be a list of column names"),
    (["train", "--device", "tpu"], "Unknown device 'tpu'"),
    (["train", "--model", "nope"], "invalid choice: 'nope'"),
    (["train", "--epochs", "2.5"], "invalid int value: '2.5'"),
    (["train", "--epochs", "0"], "epochs must be at least 1"),
    (["train", "--lookback", "0"], "Lookback must be at least 1"),
    (["train", "--csv", "no/such/file.csv"], "does not exist"),
    (["predict", "--run", "../x"], "'../x' is not a run key"),
    (["predict", "--run", "0123abcd"], "No cached run '0123abcd'"),
    (["predict", "--run", "0123abcd", "--device", "tpu"], "Unknown device 'tpu'"),
    (["bench", "--device", "tpu"], "Unknown device 'tpu'"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
])
def test_cli_bad_input_is_one_plain_line_and_exit_2(argv, words, tmp_path, capsys):
    assert main([*argv, *(["--cache-dir", str(tmp_path)] if argv[0] in ("train", "predict") else [])]) == 2
    err = capsys.readouterr().err
    assert words in err and err.startswith("error: ") and err.count("\n") == 1
    assert "Traceback" not in err


def test_cli_cache_dir_that_is_a_file(tmp_path, capsys):
    path = tmp_path / "cache"
    path.write_text("x")
    assert main(["list", "--cache-dir", str(path)]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err


def test_cli_predict_into_a_missing_folder_creates_it(linear_run, tmp_path, capsys):
    cache, run = linear_run
    out = tmp_path / "new" / "deeper" / "pred.csv"
    assert main(["predict", "--run", run.key, "--cache-dir", str(cache.root),
                 "--out", str(out)]) == 0             # was: OSError traceback
    assert out.is_file() and f"created folder {out.parent}" in capsys.readouterr().out
    assert main(["predict", "--run", run.key, "--cache-dir", str(cache.root),
                 "--out", str(tmp_path)]) == 2
    assert "is a folder; give a file name" in capsys.readouterr().err
