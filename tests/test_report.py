"""The report to hand in: ``pc.write_report`` / ``python -m palstm_core report`` write one HTML
file with every section and figure the issue lists, and nothing it needs from a network."""
from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import pytest

import palstm_core as pc
from palstm_core.__main__ import main as cli

GROUPS = pc.SensorGrouping({"engine": ["rpm", "load", "MAF"], "motion": ["speed", "accel"]})
SECTIONS = ["Data", "Sensor groups", "Configuration", "Test metrics", "Leaderboard",
            "Predictions on the test span", "Which sensor, when: the chosen windows",
            "What-if edits"]


class _Refs(HTMLParser):
    """Every tag's src / href attribute and the h2 headings (script bodies are not parsed)."""

    def __init__(self):
        super().__init__()
        self.refs, self.h2, self._in_h2 = [], [], False

    def handle_starttag(self, tag, attrs):
        self.refs += [(tag, v) for k, v in attrs if k in ("src", "href") and v]
        self._in_h2 = tag == "h2"

    def handle_endtag(self, tag):
        self._in_h2 = False if tag == "h2" else self._in_h2

    def handle_data(self, data):
        if self._in_h2:
            self.h2.append(data.strip())


def parse(text: str) -> _Refs:
    p = _Refs()
    p.feed(text)
    return p


@pytest.fixture(scope="module")
def cached(tmp_path_factory, small_ds):
    """A CSV of the small drive, two tiny runs of it in a fresh cache."""
    root = tmp_path_factory.mktemp("report")
    csv = root / "drive.csv"
    small_ds.frame.to_csv(csv, index=False)
    ds = pc.load_csv(csv)
    cache = pc.ModelCache(root / "cache")
    tiny = dict(hidden_size=6, epochs=1, batch_size=256, device="cpu", cpu_threads=1)
    runs = [pc.train(ds, "NOx", GROUPS, pc.WindowSpec(lookback=8),
                     pc.TrainConfig(model=m, **tiny), cache=cache) for m in ("pa_lstm", "linear")]
    return root, csv, ds, cache, runs


def test_write_report_has_every_section_and_figure_and_no_external_reference(cached):
    root, _, ds, cache, (pa, lin) = cached
    t = float(pa.predict(ds, part="test")["time"].iloc[20])
    pin = pc.what_if([pa, lin], ds, t, [pc.Edit(["rpm"], "mean")], map_name="default")
    path = pc.write_report(pa, ds, root / "out" / "r.html", times=[t], pinned=[pin], cache=cache)
    text = path.read_text(encoding="utf-8")
    doc = parse(text)
    assert doc.h2 == SECTIONS
    # figures: training curve, predictions, deletion curve, the window's map, 2 what-if pairs
    assert text.count('class="plotly-graph-div"') == 6
    assert text.count("Plotly.newPlot(") == 6 and len(text) < 6_000_000  # plotly.js once
    external = [(tag, v) for tag, v in doc.refs if v.lower().startswith(("http:", "https:", "//"))]
    assert external == [] and not any(tag in ("script", "link") for tag, _ in doc.refs)
    for run in (pa, lin):                                        # leaderboard: the cache's runs
        assert run.key in text
    assert "deletion check over the test span" in text.lower()
    assert pin.edits[0].describe() in text
    assert f"{pin.table['change'].iloc[0]:.4g}" in text
    assert "simulated" in text.lower()                           # labelled as simulated data


def test_cli_report_on_the_csv_writes_the_same_sections(cached, capsys):
    root, csv, ds, cache, (pa, lin) = cached
    out = root / "cli.html"
    rc = cli(["report", "--run", pa.key, "--csv", str(csv), "--cache-dir", str(cache.root),
              "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    doc = parse(out.read_text(encoding="utf-8"))
    assert doc.h2 == SECTIONS[:-1]                               # nothing pinned from the CLI
    pred = pa.predict(ds, part="test")
    peak = pc.highest_actual_time(pred)
    assert f"t = {peak:g} s" in out.read_text(encoding="utf-8")   # default window: the peak
    assert lin.key in out.read_text(encoding="utf-8")
    assert "report of run" in capsys.readouterr().out


def test_cli_report_says_what_is_missing(cached, capsys):
    root, csv, _, cache, (pa, _) = cached
    assert cli(["report", "--run", "nope", "--csv", str(csv), "--cache-dir",
                str(cache.root)]) == 2
    assert "No cached run 'nope'" in capsys.readouterr().err
    # a run trained on a CSV: without data the CLI asks for it instead of guessing
    assert cli(["report", "--run", pa.key, "--cache-dir", str(cache.root),
                "--out", str(root / "x.html")]) == 2
    assert "--csv FILE" in capsys.readouterr().err
    assert np.isfinite(pa.metrics["rmse"])


def test_cli_report_of_a_campaign_run_on_its_test_drive(tmp_path, capsys):
    folder = pc.data.SAMPLE_DIR / "campaign"
    camp = pc.load_drives(folder)
    cache = pc.ModelCache(tmp_path / "cache")
    run = pc.train(camp, "NOx", GROUPS, pc.WindowSpec(8, 1, test_drives=[camp.names[-1]]),
                   pc.TrainConfig(model="linear", device="cpu"), cache=cache)
    out = tmp_path / "camp.html"
    args = ["report", "--run", run.key, "--drives", str(folder), "--cache-dir", str(cache.root)]
    assert cli([*args, "--out", str(out)]) == 0
    assert f"on {camp.names[-1]}" in capsys.readouterr().out     # the run's test drive
    text = out.read_text(encoding="utf-8")
    assert parse(text).h2 == SECTIONS[:-1]
    assert "No other run of this data" not in text              # the campaign's leaderboard
    assert cli([*args, "--drive", "nope"]) == 2
    assert "is not a drive of" in capsys.readouterr().err
