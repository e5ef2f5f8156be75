"""One self-contained HTML report of a trained run, to hand in: the data report, the sensor
groups, the configuration, the training curve, the leaderboard, the predictions, the chosen
windows' maps with their deletion scores and the what-if edits the user pinned.

    html = pc.report_html(run, ds, times=[812.0], leaderboard=table, pinned=[whatif_result])
    pc.write_report(run, ds, "report.html", times=[812.0], cache=pc.ModelCache())  # the same,
                                      # with the cache's runs of this data as the leaderboard

Figures are interactive plotly, with plotly.js inlined once, so the file opens without a
network (no external script, stylesheet or font reference). Every number in it is computed
from ``run`` and ``ds`` when the report is written.
"""
from __future__ import annotations

import html
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from . import plots
from .evaluation import leaderboard_table
from .explain.deletion import deletion_curve
from .explain.maps import SHORT, available_maps, part_maps
from .windows import window_steps

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 1100px; color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2.2rem;
     border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
table { border-collapse: collapse; margin: .6rem 0; font-size: .9rem; }
th, td { border: 1px solid #ddd; padding: .25rem .55rem; text-align: right; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
.note { color: #555; font-size: .9rem; } .simulated { color: #a33; font-weight: 600; }
"""


class _Figures:
    """Figures as HTML divs; plotly.js goes into the first one only."""

    def __init__(self):
        self.first = True

    def __call__(self, fig) -> str:
        if fig is None:
            return ""
        out = fig.to_html(full_html=False, include_plotlyjs=self.first, include_mathjax=False,
                          config={"displaylogo": False})
        self.first = False
        return out


def _table(frame: pd.DataFrame, digits: int = 4) -> str:
    return frame.to_html(index=False, float_format=lambda v: f"{v:.{digits}g}", border=0,
                         na_rep="–", escape=True)


def _kv(pairs: dict, what: str = "setting") -> str:
    return _table(pd.DataFrame({what: list(pairs), "value": [str(v) for v in pairs.values()]}))


def _section(title: str, *body: str) -> str:
    return f"<h2>{html.escape(title)}</h2>\n" + "\n".join(b for b in body if b)


def _map_section(run, ds, times, fig, curve=None) -> str:
    """Each chosen window's default map, and the map's deletion score over the test span
    (``curve``: that score already computed, else computed here)."""
    if not times:
        return ""
    name = available_maps(run)[0]
    pred = run.predict(ds, part="test")
    if curve is None:
        curve = deletion_curve(run, ds, name, part="test")
    parts = [f"<p>Map: <b>{html.escape(SHORT[name])}</b>. Deletion check over the test span "
             f"({curve.n_windows} windows): area {curve.area:.3g} vs {curve.area_random:.3g} for "
             f"a random order — {html.escape(curve.summary)}</p>", fig(plots.deletion_curve_figure(
                 curve, run.target_unit))]
    step = pred if "step" not in pred else pred[pred["step"] == 1]
    for t in times:
        i = int(np.argmin(np.abs(step["time"].to_numpy(float) - float(t))))
        t_i = float(step["time"].iloc[i])
        values = part_maps(run, ds, name, part="test", windows=[i])[0]
        x, x_title = plots.window_axis(run.window.lookback,
                                       window_steps(ds.times, t_i, run.window.lookback,
                                                    run.window.horizon), t_i)
        parts.append(fig(plots.map_window_figure(
            values, run.columns, run.groups, x, x_title,
            f"{SHORT[name]} of the window that predicts t = {t_i:g} s "
            f"(actual {step['actual'].iloc[i]:.4g}, predicted {step['predicted'].iloc[i]:.4g})",
            signed=name in ("integrated_gradients", "occlusion"))))
    return _section("Which sensor, when: the chosen windows", *parts)


def _pinned_section(pinned, fig) -> str:
    if not pinned:
        return ""
    parts = []
    for k, res in enumerate(pinned, 1):
        edits = "; ".join(e.describe() for e in res.edits)
        parts.append(f"<h3>What-if {k}: {html.escape(edits)}</h3>" + _table(res.table))
        for key, (before, after) in res.maps.items():
            x, x_title = plots.window_axis(len(before))
            parts.append(fig(plots.map_pair_figure(
                [before, after], [f"{key[:8]}: original window", "edited window"],
                res.map_features[key], res.map_groups[key], [x, x], x_title)))
    return _section("What-if edits", *parts)


def report_html(run, ds, times=(), leaderboard: pd.DataFrame | None = None, pinned=(),
                title: str | None = None, deletion=None) -> str:
    """The report of ``run`` on ``ds`` (the data it was trained on, or another drive) as one
    HTML string. ``times``: prediction times whose windows' maps are shown; ``leaderboard``: a
    table of runs to compare; ``pinned``: ``pc.what_if`` results to include; ``deletion``: the
    deletion curve of the run's default map on the test span of ``ds``, when the caller has
    it already (else it is computed: the slowest part)."""
    fig = _Figures()
    pred = run.predict(ds, part="test")
    shown = pred if "step" not in pred else pred[pred["step"] == 1]
    label = f"{run.config.model} · {run.key[:8]}"
    simulated = ('<p class="simulated">Simulated data (made by palstm_core.simulate), not '
                 'measured.</p>' if getattr(ds, "simulated", False) or run.simulated else "")
    groups = pd.DataFrame({"group": list(run.grouping.groups),
                           "sensors": [", ".join(c) for c in run.grouping.groups.values()]})
    metrics = {k: f"{v:.4g}" for k, v in run.metrics.items()}
    body = [
        f"<h1>{html.escape(title or f'PA-LSTM Explorer report: {run.target} on {run.data_name}')}"
        f"</h1>",
        f'<p class="note">Written {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by PA-LSTM '
        f"Explorer from run {html.escape(run.key)}.</p>", simulated,
        _section("Data", f"<p>{html.escape(ds.label)}: {len(ds)} rows, "
                 f"{len(ds.columns)} channels.</p>",
                 "<ul>" + "".join(f"<li>{html.escape(ln)}</li>" for ln in ds.report) + "</ul>"),
        _section("Sensor groups", _table(groups)),
        _section("Configuration", _kv({"model": run.config.model, "target": run.target,
                                       **run.window.to_dict(), **run.config.to_dict(),
                                       "trained on": run.timings.get("device", "")})),
        _section("Test metrics", _kv(metrics, "metric"),
                 fig(plots.loss_figure({label: run.history}))),
        _section("Leaderboard", _table(leaderboard) if leaderboard is not None and len(leaderboard)
                 else '<p class="note">No other run of this data to compare with.</p>'),
        _section("Predictions on the test span",
                 fig(plots.predictions_figure({label: shown}, run.target, run.target_unit))),
        _map_section(run, ds, list(times), fig, deletion),
        _pinned_section(list(pinned), fig),
    ]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(run.target)} report</title><style>{STYLE}</style></head>"
            "<body>\n" + "\n".join(b for b in body if b) + "\n</body></html>\n")


def report_leaderboard(cache, run, fingerprint: str | None = None) -> pd.DataFrame:
    """The cached runs trained on the same data as ``run`` (or on the data with
    ``fingerprint``) for its target, best first (``pc.leaderboard_table``)."""
    return leaderboard_table(cache.list(), fingerprint or run.data_fingerprint, run.target)


def write_report(run, ds, path, times=(), pinned=(), cache=None, fingerprint: str | None = None,
                 title: str | None = None) -> Path:
    """``report_html`` written to ``path`` (UTF-8; its folder is created); the leaderboard is
    the runs of ``cache`` on the same data (``fingerprint``: of a campaign ``ds`` is a drive
    of), none without a cache. Returns the path."""
    board = None if cache is None else report_leaderboard(cache, run, fingerprint)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report_html(run, ds, times, board, pinned, title), encoding="utf-8")
    return path
