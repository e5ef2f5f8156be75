"""palstm_core.evaluation: the Results page's leaderboard and lab → road check as functions."""
from __future__ import annotations

import numpy as np
import pytest

import palstm_core as pc


def test_leaderboard_table_filters_by_data_and_target_and_sorts():
    rows = [dict(model=m, rmse=r, mae=1.0, mape=2.0, r2=0.5, created=f"c{i}", key=f"k{i}",
                 data_fingerprint=fp, target=t)
            for i, (m, r, fp, t) in enumerate([("lstm", 3.0, "a", "NOx"), ("pa_lstm", 1.0, "a", "NOx"),
                                               ("gru", 0.5, "b", "NOx"), ("rnn", 0.1, "a", "CO2")])]
    board = pc.leaderboard_table(rows, "a", "NOx")
    assert list(board.columns) == ["model", "RMSE", "MAE", "MAPE %", "R²", "coverage 90 %",
                                   "width 90 %", "created (UTC)", "key"]
    assert list(board["model"]) == ["pa_lstm", "lstm"]
    empty = pc.leaderboard_table(rows, "zzz", "NOx")
    assert len(empty) == 0 and list(empty.columns) == list(board.columns)


@pytest.fixture(scope="module")
def tiny_run(small_ds):
    return pc.train(small_ds, "NOx", pc.suggest_groups(small_ds, "NOx"), pc.WindowSpec(8, 1),
                    pc.TrainConfig(model="pa_lstm", hidden_size=4, epochs=1))


def test_score_runs_and_drive_check(tiny_run, small_ds):
    run = tiny_run
    other = pc.load_sample("motorway").slice(0, 400)
    board = pc.score_runs({run.key: run}, small_ds)
    test = run.predict(small_ds, part="test")
    assert board.iloc[0]["rmse"] == pytest.approx(
        pc.regression_metrics(test["actual"], test["predicted"])["rmse"])
    assert board.iloc[0]["trained on"] == run.data_name
    same = pc.score_runs({run.key: run}, None, predictions={run.key: test})   # reuses them
    assert same.iloc[0]["rmse"] == board.iloc[0]["rmse"]
    check = pc.drive_check(run, other)
    want = run.predict(other, part="all")
    assert check.measured and len(check.predictions) == len(want)
    assert check.metrics["rmse"] == pytest.approx(
        pc.regression_metrics(want["actual"], want["predicted"])["rmse"])
    sensors_only = pc.Dataset(other.frame.drop(columns=["NOx"]), other.time_column, name="obd")
    blind = pc.drive_check(run, sensors_only)
    assert not blind.measured and np.isnan(blind.metrics["rmse"])
