"""Relevance checked against the whole function: how far a run's relevance map agrees with
integrated gradients (IG) on the same trained model, which of the two the deletion check
trusts, and whether the map can separate two sensors of one group at two lags.

    relevance_agreement(run, data, part="test")  -> RelevanceAgreement

Relevance (``Attention.relevance``) is the weight each input x^k_t gets on the model's attention
path; IG (Captum, baseline = the training mean) measures the whole function, recurrent path
included. They are compared on the ``part`` span's mean maps (relevance averaged over windows,
|IG| averaged over windows): Spearman ρ over all (step, sensor) cells, and the overlap of their
top-k cells. When they disagree, the deletion curve decides: the map whose top cells, removed
first, raise the error faster (larger area over a random order) is the one to trust.

Separability (PA-LSTM, docs/benchmarks.md "Issue 20"): within one group the relevance is
γ_g·β^g_t·α^k_t, one time profile β^g for the whole group times sensor weights α that change
along the window only through a learned per-(sensor, position) term; two sensors of one group
that matter at two different lags may then be shown at the same lag(s). ``inseparable`` lists
the groups (holding ≥ ``GROUP_SHARE`` of all |IG|) where this happened on the data: IG (the
whole function) finds two of the group's sensors peaking at lags ≥ ``MIN_LAG_GAP`` steps apart
while the relevance puts their peaks together (``unseparated``). ``rank_one_share`` per group
(σ₁² / Σσ² of the group's L × K block of the mean relevance; 1 = exactly a time × sensor
product) is reported as a diagnostic.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.stats import spearmanr

from .attribution import attribute
from .deletion import deletion_curve
from ..i18n import _

SENSOR_SHARE = 0.2       # a sensor "carries weight" in its group with at least this share of |IG|
GROUP_SHARE = 0.1        # a group is judged for separability with at least this share of all |IG|
MIN_LAG_GAP = 2          # peaks at least this many steps apart count as two different lags
MAX_WINDOWS = 1024       # IG on at most this many evenly spaced windows of the part


@dataclass
class RelevanceAgreement:
    spearman: float                      # ρ of the mean maps' cells
    top_overlap: float                   # |top-k(relevance) ∩ top-k(IG)| / k
    k: int
    top_relevance: list[tuple[str, int]]  # (sensor, steps before the newest input), best first
    top_ig: list[tuple[str, int]]
    n_windows: int                       # windows the IG mean map was taken over
    rank_one_share: dict[str, float]     # group -> σ₁² / Σσ² of its block of the mean relevance
    inseparable: list[str]               # groups where relevance merged two sensors' lags (IG did not)
    deletion_area: dict[str, float] = field(default_factory=dict)   # map -> area, and "random"
    trust: str | None = None             # "relevance", "integrated_gradients" or None (neither)
    summary: str = ""

    def to_dict(self) -> dict:
        return {"spearman": self.spearman, "top_overlap": self.top_overlap, "k": self.k,
                "top_relevance": self.top_relevance, "top_ig": self.top_ig,
                "n_windows": self.n_windows, "rank_one_share": self.rank_one_share,
                "inseparable": self.inseparable, "deletion_area": self.deletion_area,
                "trust": self.trust, "summary": self.summary}


def top_cells(m: np.ndarray, features, k: int) -> list[tuple[str, int]]:
    """The ``k`` largest cells of an (L, F) map as (feature, steps before the newest input)."""
    L = m.shape[0]
    flat = np.argsort(-np.abs(m).ravel(), kind="stable")[:k]
    return [(str(features[i % m.shape[1]]), int(L - 1 - i // m.shape[1])) for i in flat]


def rank_one_shares(mean_map: np.ndarray, features, groups: dict) -> dict[str, float]:
    """Per group with ≥ 2 sensors: σ₁² / Σσ² of its (L, K) block of ``mean_map``."""
    out = {}
    for g, cols in groups.items():
        idx = [list(features).index(c) for c in cols if c in features]
        if len(idx) < 2:
            continue
        s = np.linalg.svd(mean_map[:, idx], compute_uv=False)
        total = float(np.sum(s ** 2))
        out[g] = float(s[0] ** 2 / total) if total > 0 else 1.0
    return out


def unseparated(rel: np.ndarray, ig: np.ndarray, idx: list[int]) -> bool:
    """True when, within one group (columns ``idx`` of the (L, F) mean maps), IG finds two
    sensors that each carry ≥ ``SENSOR_SHARE`` of the group's |IG| and peak at lags at least
    ``MIN_LAG_GAP`` steps apart, while the relevance peaks of those two sensors are closer than
    that: the map shows both sensors at the same lag(s) and cannot separate them."""
    if len(idx) < 2:
        return False
    block = ig[:, idx]
    share = block.sum(0) / max(float(block.sum()), 1e-12)
    strong = [j for j in range(len(idx)) if share[j] >= SENSOR_SHARE]
    ig_peak = block.argmax(0)
    rel_peak = rel[:, idx].argmax(0)
    return any(abs(int(ig_peak[a]) - int(ig_peak[b])) >= MIN_LAG_GAP
               and abs(int(rel_peak[a]) - int(rel_peak[b])) < MIN_LAG_GAP
               for i, a in enumerate(strong) for b in strong[i + 1:])


def _matters(ig: np.ndarray, idx: list[int]) -> bool:
    """True when the group of columns ``idx`` holds at least ``GROUP_SHARE`` of the (L, F) mean
    |IG| map: in a group the model hardly uses, IG's peaks are noise and say nothing about lags
    (planted data with both sources in the engine group: the source-free motion group was
    flagged)."""
    return float(ig[:, idx].sum()) >= GROUP_SHARE * max(float(ig.sum()), 1e-12)


def _cell(c: tuple[str, int]) -> str:
    if c[1] == 0:
        return _("{sensor} at the newest input", sensor=c[0])
    return _("{sensor} {lag} s before", sensor=c[0], lag=c[1])


def relevance_agreement(run, data, part: str = "test", k: int = 5, n_steps: int = 20,
                        deletion: bool = True, max_windows: int = MAX_WINDOWS
                        ) -> RelevanceAgreement:
    """Agreement of ``run``'s relevance with integrated gradients on the ``part`` windows of
    ``data`` (a Dataset or Campaign the run can explain). ValueError for a model without a
    relevance map. ``deletion``: also run the deletion curve of both maps (it decides which to
    trust when they disagree). IG (``n_steps`` steps) is taken over at most ``max_windows``
    evenly spaced windows of the part; the relevance over the same windows."""
    att = run.explain(data, part=part)
    if att.relevance is None:
        raise ValueError(f"{run.config.model} has no relevance map; nothing to compare.")
    n = len(att)
    windows = np.unique(np.linspace(0, n - 1, min(n, max_windows)).round().astype(int))
    rel_all = att.relevance
    ig = attribute(run, data, "integrated_gradients", windows=windows, part=part, n_steps=n_steps)
    rel_mean = rel_all[windows].mean(0)
    ig_mean = np.abs(ig.values).mean(0)
    a, b = rel_mean.ravel(), ig_mean.ravel()
    rho = float("nan") if a.std() == 0 or b.std() == 0 else float(spearmanr(a, b).statistic)
    k = max(1, min(k, a.size))
    top_r, top_i = top_cells(rel_mean, att.features, k), top_cells(ig_mean, att.features, k)
    overlap = len(set(top_r) & set(top_i)) / k
    shares = rank_one_shares(rel_mean, att.features, att.groups or {})
    inseparable = [g for g, cols in (att.groups or {}).items()
                   if _matters(ig_mean, idx := [list(att.features).index(c) for c in cols])
                   and unseparated(rel_mean, ig_mean, idx)]
    out = RelevanceAgreement(rho, overlap, k, top_r, top_i, len(windows), shares, inseparable)
    if deletion:
        full_ig = np.zeros_like(rel_all)
        full_ig[windows] = ig.values
        keep = np.zeros(n, dtype=bool)
        keep[windows] = True
        rel_c = deletion_curve(run, data, np.where(keep[:, None, None], rel_all, 0.0), part=part)
        ig_c = deletion_curve(run, data, full_ig, part=part)
        out.deletion_area = {"relevance": rel_c.area, "integrated_gradients": ig_c.area,
                             "random": (rel_c.area_random + ig_c.area_random) / 2}
        best = max(("relevance", rel_c), ("integrated_gradients", ig_c), key=lambda p: p[1].area)
        out.trust = best[0] if best[1].beats_random else None
    out.summary = _summary(out)
    return out


def _summary(a: RelevanceAgreement) -> str:
    """Whole sentences (each through the translation layer), joined."""
    label = {"relevance": _("the relevance map"),
             "integrated_gradients": _("integrated gradients")}
    out = [_("Relevance and integrated gradients (IG, the whole function) rank the cells with "
             "Spearman ρ = {rho:.2f}; {shared} of their top {k} cells are the same (relevance: "
             "{top_rel}; IG: {top_ig}).", rho=a.spearman, shared=round(a.top_overlap * a.k),
             k=a.k, top_rel=_cell(a.top_relevance[0]), top_ig=_cell(a.top_ig[0]))]
    if a.deletion_area:
        d = a.deletion_area
        areas = _("deletion areas: relevance {rel:.2f}, IG {ig:.2f}, random {rnd:.2f}",
                  rel=d["relevance"], ig=d["integrated_gradients"], rnd=d["random"])
        if a.trust is None:
            out.append(_("Neither map beats a random order in the deletion check ({areas}).",
                         areas=areas))
        elif a.spearman >= 0.7:
            out.append(_("They agree; the deletion check favours {which} ({areas}).",
                         which=label[a.trust], areas=areas))
        else:
            out.append(_("They disagree: trust {which}, whose top cells, removed first, raise "
                         "the error faster ({areas}).", which=label[a.trust], areas=areas))
    if a.inseparable:
        out.append(_("In group(s) {groups} the relevance map cannot separate two sensors that "
                     "matter at two different lags: IG finds them at different lags, the "
                     "relevance shows both at the same lag(s) (one time profile per group). Use "
                     "IG for that group.", groups=", ".join(a.inseparable)))
    return " ".join(out)
