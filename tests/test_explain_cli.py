"""`python -m palstm_core explain`: maps (long CSV) and scores (JSON) of a cached run."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import palstm_core as pc
from conftest import ROOT


@pytest.fixture(scope="module")
def cached(tmp_path_factory):
    """A tiny PA-LSTM cached on the first 700 rows of the urban sample, written as a CSV."""
    tmp = tmp_path_factory.mktemp("explain_cli")
    ds = pc.load_sample("urban").slice(0, 700)
    csv = tmp / "drive.csv"
    ds.frame.to_csv(csv, index=False)
    ds = pc.load_csv(csv)
    run = pc.train(ds, "NOx", pc.suggest_groups(ds, "NOx"), pc.WindowSpec(lookback=8),
                   pc.TrainConfig(model="pa_lstm", hidden_size=8, epochs=2, batch_size=64,
                                  device="cpu"), cache=pc.ModelCache(tmp / "cache"))
    return tmp, csv, ds, run


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _main(capsys, *args) -> tuple[int, str, str]:
    """The CLI in this process (torch is imported once): rc, stdout, stderr."""
    from palstm_core.__main__ import main
    try:
        rc = main([str(a) for a in args])
    except SystemExit as exc:                       # argparse's own errors
        rc = exc.code
    out = capsys.readouterr()
    return rc, out.out, out.err


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "palstm_core", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize("method", ["relevance", "integrated_gradients"])
def test_explain_writes_map_and_scores(cached, method, capsys):
    tmp, csv, ds, run = cached
    out = tmp / f"out_{method}"
    rc, stdout, stderr = _main(capsys, "explain", "--run", run.key, "--csv", csv, "--cache-dir",
                               tmp / "cache", "--method", method, "--out", out, "--device", "cpu")
    assert rc == 0, stderr
    stem = out / f"{run.key[:8]}_{method}_test"
    frame = pd.read_csv(f"{stem}_map.csv")
    assert list(frame.columns) == ["time", "lag", "feature", "value"]
    pred = run.predict(ds, part="test")
    L, F = run.window.lookback, len(run.columns)
    assert len(frame) == len(pred) * L * F
    values = frame["value"].to_numpy().reshape(len(pred), L, F)
    if method == "relevance":                       # the model's own β·γ·α, summing to 1
        want = run.explain(ds, part="test").relevance
        np.testing.assert_allclose(values.sum(axis=(1, 2)), 1.0, rtol=1e-4)
    else:                                           # Captum IG with the training-mean baseline
        want = pc.attribute(run, ds, method, part="test").values
    np.testing.assert_allclose(values, want, rtol=1e-3, atol=1e-6)
    assert set(frame["lag"]) == set(range(L)) and set(frame["feature"]) == set(run.columns)
    scores = json.loads((out / f"{stem.name}_scores.json").read_text())
    curve = pc.explain.deletion_curve(run, ds, want, part="test")
    d = scores["deletion"]
    assert d["area"] == pytest.approx(curve.area, rel=1e-3)
    assert d["area_random"] == pytest.approx(curve.area_random, rel=1e-3)
    assert d["summary"].split("(area")[0] in stdout
    assert len(d["error"]) == 11 and scores["n_windows"] == len(pred)


def test_explain_bad_run_and_method_are_plain_errors(cached, capsys):
    tmp, csv, ds, run = cached
    res = _cli("explain", "--run", "nosuchrun", "--csv", csv, "--cache-dir", tmp / "cache")
    assert res.returncode == 2                      # the real entry point, no traceback
    assert "No cached run 'nosuchrun'" in res.stderr and "Traceback" not in res.stderr
    rc, _, err = _main(capsys, "explain", "--run", run.key, "--csv", csv, "--cache-dir",
                       tmp / "cache", "--method", "shap")
    assert rc == 2 and "invalid choice: 'shap'" in err
    lstm = pc.train(ds, "NOx", pc.suggest_groups(ds, "NOx"), pc.WindowSpec(lookback=8),
                    pc.TrainConfig(model="lstm", hidden_size=4, epochs=1, device="cpu"),
                    cache=pc.ModelCache(tmp / "cache"))
    rc, _, err = _main(capsys, "explain", "--run", lstm.key, "--csv", csv, "--cache-dir",
                       tmp / "cache", "--method", "relevance")
    assert rc == 2 and "lstm has no 'relevance' map" in err and "integrated_gradients" in err
