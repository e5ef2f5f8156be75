"""Relevance maps (ModelOutput.relevance / Attention.relevance) and their deletion scores.

Relevance = the weight each input x^k_t really gets on the model's attention path (see the
model docstrings), normalised to 1 per window. On ``simulate.planted_signal`` data (the target
depends on engine_a 8 steps back) a briefly trained PA-LSTM must put the planted cell on top,
and removing the cells its relevance (or Integrated Gradients) ranks first must raise the error
faster than removing cells in a random order. Seed 1, 3000 rows, 8 epochs, hidden 16: measured
in docs/benchmarks.md, "Planted-signal scores" (the mean-map top cell is the planted one for
seeds 0–4).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import palstm_core as pc
from palstm_core.explain.attribution import attribute
from palstm_core.explain.deletion import deletion_curve, planted_cells, planted_score
from palstm_core.models import MODELS
from palstm_core.simulate import planted_signal

LOOKBACK, LAG, SEED = 16, 8, 1
GROUPS = [[0, 1], [2, 3, 4], [5]]


@pytest.mark.parametrize("name,target_index", [("pa_lstm", None), ("pa_lstm", 5),
                                               ("da_rnn", None), ("da_rnn", 5)])
def test_relevance_shape_and_sums_to_one(name, target_index):
    torch.manual_seed(0)
    m = MODELS[name](groups=GROUPS, lookback=12, hidden_size=8, target_index=target_index).eval()
    with torch.no_grad():
        out = m(torch.randn(9, 12, 6))
    r = out.relevance
    assert r.shape == (9, 12, 6)
    assert torch.all(r >= 0)
    torch.testing.assert_close(r.sum((1, 2)), torch.ones(9), atol=1e-5, rtol=0)
    if name == "pa_lstm":          # γ_g · β^g_t · α^k_t, from the model's own attention
        # summed over a group's sensors at step t: γ_g β^g_t; over the whole group: γ_g
        for g, cols in enumerate(m.groups):
            torch.testing.assert_close(r[:, :, cols].sum((1, 2)), out.group[:, g])
            # within the group and step, the shares are α (the feature attention)
            torch.testing.assert_close(r[:, :, cols] / r[:, :, cols].sum(2, keepdim=True),
                                       out.feature[:, :, cols])
        # summed over all sensors: the overall profile Σ_g γ_g β^g_t = ``temporal``
        torch.testing.assert_close(r.sum(2), out.temporal)
    elif target_index is not None:  # the target history has no attention weight in DA-RNN
        assert torch.all(r[:, :, target_index] == 0)


def test_models_without_per_input_weight_have_no_relevance():
    for name in ("lstm_attention", "lstm", "gru", "linear", "persistence"):
        m = MODELS[name](groups=GROUPS, lookback=12, hidden_size=8).eval()
        with torch.no_grad():
            assert m(torch.randn(3, 12, 6)).relevance is None, name


@pytest.fixture(scope="module")
def planted():
    torch.set_num_threads(1)
    ds, grouping, info = planted_signal(3000, lag=LAG, seed=SEED)
    # constant lr: a cosine decay over only 8 epochs leaves the planted model under-trained
    cfg = pc.TrainConfig(model="pa_lstm", hidden_size=16, epochs=8, seed=SEED, device="cpu",
                         lr_schedule="none")
    run = pc.train(ds, "target", grouping, pc.WindowSpec(lookback=LOOKBACK, horizon=0), cfg)
    return run, ds, info


def _untrained(run):
    torch.manual_seed(SEED + 100)
    m = run.model
    return type(m)(groups=m.groups, lookback=m.lookback, hidden_size=m.hidden_size,
                   target_index=m.target_index)


def test_explain_relevance_points_at_planted_cell(planted):
    run, ds, info = planted
    att = run.explain(ds, part="test")
    assert att.relevance.shape == (len(att), LOOKBACK, len(att.features))
    np.testing.assert_allclose(att.relevance.sum((1, 2)), 1, atol=1e-5)
    cells = planted_cells(run, info)
    mean = att.relevance.mean(0)
    assert np.unravel_index(mean.argmax(), mean.shape) == tuple(np.argwhere(cells)[0]), mean.round(3)
    # per window: the planted cell is among the top 3 cells in most windows
    assert planted_score(att.relevance, cells, k=3)["recall"] >= 0.75
    # relevance varies along time within a window (α alone is nearly constant along time)
    r = att.relevance
    assert r.std(axis=1).mean() >= 0.25 * r.std(axis=2).mean()


def test_deletion_relevance_and_ig_beat_random(planted):
    run, ds, info = planted
    rel = deletion_curve(run, ds, "relevance", n_random=2)
    ig = attribute(run, ds, "integrated_gradients", part="test", n_steps=20)
    igc = deletion_curve(run, ds, ig.values, n_random=2)
    for c in (rel, igc):
        assert c.fractions.tolist() == pytest.approx(np.linspace(0, 1, 11).tolist())
        assert c.error[0] == c.error_random[0] and c.error[-1] == c.error_random[-1]
        assert c.beats_random and c.area > c.area_random + 0.1, c
        assert "faster than a random order" in c.summary
    # an untrained model hardly uses its inputs: deletion finds nothing, whatever the map
    state = run.model
    try:
        run.model = _untrained(run)
        u = deletion_curve(run, ds, "relevance", n_random=2)
    finally:
        run.model = state
    assert not u.beats_random, u
    assert "cannot tell" in u.summary


def test_deletion_curve_rejects_misaligned_maps(planted):
    run, ds, _ = planted
    with pytest.raises(ValueError, match="expected"):
        deletion_curve(run, ds, np.zeros((3, LOOKBACK, 8)))
    with pytest.raises(ValueError, match="Unknown map"):
        deletion_curve(run, ds, "nonsense")


def test_planted_score_precision_recall():
    cells = np.zeros((4, 3), dtype=bool)
    cells[1, 2] = cells[3, 0] = True
    m = np.zeros((2, 4, 3))
    m[0, 1, 2], m[0, 3, 0], m[0, 0, 0] = 3, 2, 1          # window 0: both planted cells on top
    m[1, 0, 0], m[1, 3, 0] = 3, 2                          # window 1: one of two in the top 2
    s = planted_score(m, cells, k=2)
    assert s == {"precision": 0.75, "recall": 0.75}
    assert planted_score(m[0], cells, k=1) == {"precision": 1.0, "recall": 0.5}
