"""The fast grouped input-attention encoder (DA-RNN's; PA-LSTM's until issue 20) computes exactly
the naive reference's function (values and grads)."""
import pytest
import torch

from palstm_core.bench import NaiveInputAttentionEncoder, naive_copy
from palstm_core.models import MODELS
from palstm_core.models.attention_encoder import ParallelInputAttentionEncoder


def _pair(groups, L, H, A=None, dtype=torch.float64, seed=0):
    torch.manual_seed(seed)
    fast = ParallelInputAttentionEncoder(groups, L, H, A).to(dtype)
    with torch.no_grad():                      # non-trivial bias so every term is exercised
        fast.b.normal_(0, 0.3)
    naive = NaiveInputAttentionEncoder(groups, L, H, A).to(dtype)
    naive.load_state_dict(fast.state_dict())
    return fast, naive


@pytest.mark.parametrize("groups,L,H,A", [
    ([[0, 3], [1, 2, 4, 6], [5]], 7, 5, 4),          # uneven groups, padded layout
    ([[0, 1, 2]], 5, 3, None),                         # one group (DA-RNN)
    ([[4, 0], [1, 5], [2, 3]], 4, 6, 6),               # even groups, no padding
])
def test_fast_encoder_matches_naive_forward_and_gradients(groups, L, H, A):
    fast, naive = _pair(groups, L, H, A)
    F = sum(map(len, groups))
    x = torch.randn(9, L, F, dtype=torch.float64)
    xf = x.clone().requires_grad_(True)
    xn = x.clone().requires_grad_(True)
    sf, af = fast(xf)
    sn, an = naive(xn)
    torch.testing.assert_close(sf, sn, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(af, an, rtol=1e-10, atol=1e-12)
    # a loss that uses states at every step and the attention, so both gradient paths count
    ws = torch.randn_like(sf)
    wa = torch.randn_like(af)
    ((sf * ws).sum() + (af * wa).sum()).backward()
    ((sn * ws).sum() + (an * wa).sum()).backward()
    torch.testing.assert_close(xf.grad, xn.grad, rtol=1e-9, atol=1e-11)
    pn = dict(naive.named_parameters())
    for name, p in fast.named_parameters():
        torch.testing.assert_close(p.grad, pn[name].grad, rtol=1e-9, atol=1e-11, msg=name)


def test_fast_encoder_gradcheck():
    fast, _ = _pair([[0, 2], [1]], 3, 2, 3)
    x = torch.randn(2, 3, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: fast(x)[0].sum((2, 3))[..., None] + fast(x)[1], (x,))


def test_fast_encoder_no_grad_equals_grad_path():
    fast, _ = _pair([[0, 3], [1, 2]], 6, 4, 5, dtype=torch.float32)
    x = torch.randn(5, 6, 4)
    s1, a1 = fast(x)
    with torch.no_grad():
        s2, a2 = fast(x)
    torch.testing.assert_close(s1.detach(), s2)
    torch.testing.assert_close(a1.detach(), a2)


def test_naive_da_rnn_model_matches_fast_model():
    torch.manual_seed(1)
    model = MODELS["da_rnn"](groups=[[0, 1, 2], [3], [4, 5]], lookback=6, hidden_size=4).double()
    naive = naive_copy(model)
    x = torch.randn(8, 6, 6, dtype=torch.float64)
    out, ref = model(x), naive(x)
    torch.testing.assert_close(out.y, ref.y)
    torch.testing.assert_close(out.feature, ref.feature)
    out.y.sum().backward()
    ref.y.sum().backward()
    rp = dict(naive.named_parameters())
    for name, p in model.named_parameters():
        torch.testing.assert_close(p.grad, rp[name].grad, msg=name)


def test_windows_are_views_and_batches_are_gathered():
    import numpy as np

    import palstm_core as pc
    from palstm_core.bench import check_windows_are_views
    from palstm_core.training.loop import DeviceDrive
    from palstm_core.windows import Scaler, make_windows

    assert check_windows_are_views()["windows_are_views"]
    ds = pc.load_sample("urban").slice(0, 300)
    cols = [c for c in ds.frame.columns if c not in ("NOx", ds.time_column)][:5]
    spec = pc.WindowSpec(lookback=10)
    scaler = Scaler.fit(ds.frame[cols + ["NOx"]].to_numpy(dtype=float))
    w = make_windows(ds, cols, "NOx", spec, scaler, need_target=True)
    assert np.shares_memory(w.inputs(), w.x)
    drive = DeviceDrive(w, torch.device("cpu"))
    assert drive.x.shape == (len(ds), 5)             # the drive, not (N, lookback, F) windows
    xb, yb = drive.batch(torch.as_tensor(w.starts[:7]))
    torch.testing.assert_close(xb, torch.as_tensor(w.inputs(w.starts[:7]).copy()))
    assert yb.shape == (7,)


def test_bench_parts_run_and_format(tmp_path):
    from palstm_core.bench import bench_load, bench_models, format_table, machine
    dev = torch.device("cpu")
    m = bench_models(dev, batch=8, lookback=5, groups=2, hidden=4, repeats=2)
    assert m["step_ms"]["pa_lstm"] > 0 and m["naive_over_fast"] > 0 and m["fast_over_lstm"] > 0
    ld = bench_load(rows=2000, cols=6, csv_dir=str(tmp_path))
    assert "error" not in ld, ld
    assert ld["rows"] == 2000 and ld["peak_rss_mb"] > 0
    res = {"device": "cpu", "machine": machine(), "models": m,
           "cached": {"reopen_explain_ms": 1.0}, "windows": {"windows_are_views": True}, "load": ld}
    table = format_table(res)
    assert "ratio pa_lstm / nn.LSTM" in table and "2,000 x 6 CSV" in table


def test_campaign_wallclock_row(tmp_path):
    """The "PA-LSTM ÷ LSTM wall-clock to trained model" row (tiny campaign, 1 epoch: what the
    row reports, not how fast; the 60k-row numbers are in docs/benchmarks.md)."""
    from palstm_core.bench import bench_campaign_wallclock, format_table, machine
    cw = bench_campaign_wallclock(torch.device("cpu"), n_drives=2, rows=300,
                                  config={"epochs": 1, "hidden_size": 4})
    assert set(cw["models"]) == {"pa_lstm", "lstm"}
    for m in cw["models"].values():
        assert m["seconds"] > 0 and m["cpu_seconds"] > 0 and m["epochs"] == 1
        assert m["mae"] > 0
    assert cw["pa_over_lstm"] > 0 and cw["pa_over_lstm_cpu"] > 0 and cw["xgb_lags_0_2_mae"] > 0
    m = {"config": {"batch": 8, "lookback": 5, "groups": [2, 2], "hidden": 4, "lstm_hidden": 8,
                    "amp": False},
         "step_ms": {"pa_lstm": 1.0, "da_rnn": 2.0, "naive": 9.0, "lstm": 1.0},
         "fast_over_lstm": 1.0, "naive_over_fast": 4.5,
         "infer_windows_per_s": {"pa_lstm": 1.0, "lstm": 1.0}}
    res = {"device": "cpu", "machine": machine(), "models": m, "cached": {"reopen_explain_ms": 1.0},
           "windows": {"windows_are_views": True}, "campaign_wallclock": cw}
    assert "PA-LSTM ÷ LSTM wall-clock to trained model, 600-row campaign, defaults" in format_table(res)
    # both models train with the same thread count (auto resolved once), and the row says it
    threads = {m["device"] for m in cw["models"].values()}
    assert threads == {f"CPU ({cw['threads']} threads)"}, (threads, cw["threads"])
    assert f"defaults, {cw['threads']} CPU thread(s) each" in format_table(res)
