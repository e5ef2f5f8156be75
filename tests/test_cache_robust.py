"""The model cache never crashes on damaged entries and survives two writers at once."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

import palstm_core as pc

ROOT = Path(__file__).resolve().parent.parent


def _tiny_run(cache):
    ds = pc.load_sample("urban").slice(0, 400)
    grouping = pc.SensorGrouping({"engine": ["rpm", "load"], "motion": ["speed"]})
    cfg = pc.TrainConfig(model="linear", epochs=1, batch_size=128, seed=0, device="cpu")
    return ds, grouping, cfg, pc.train(ds, target="NOx", grouping=grouping,
                                       window=pc.WindowSpec(lookback=8), config=cfg, cache=cache)


@pytest.fixture()
def cached(tmp_path):
    cache = pc.ModelCache(tmp_path / "cache")
    ds, grouping, cfg, run = _tiny_run(cache)
    return cache, ds, grouping, cfg, run


def _damage(folder: Path, how: str) -> None:
    weights, meta = folder / "weights.safetensors", folder / "run.json"
    if how == "truncated_weights":
        weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    elif how == "garbage_weights":
        weights.write_bytes(b"\x80\x04 not a safetensors file")
    elif how == "missing_weights":
        weights.unlink()
    elif how == "garbage_json":
        meta.write_text("{ this is not json")
    elif how == "json_list":
        meta.write_text("[1, 2, 3]")
    elif how == "json_missing_keys":
        meta.write_text(json.dumps({"key": folder.name}))
    elif how == "empty_json":
        meta.write_bytes(b"")
    elif how == "missing_json":
        meta.unlink()
    else:
        raise AssertionError(how)


DAMAGE = ["truncated_weights", "garbage_weights", "missing_weights", "garbage_json",
          "json_list", "json_missing_keys", "empty_json", "missing_json"]


@pytest.mark.parametrize("how", DAMAGE)
def test_damaged_entry_is_skipped_and_retrained(cached, how):
    cache, ds, grouping, cfg, run = cached
    assert cache.load(run.key) is not None
    _damage(run.path, how)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert cache.load(run.key) is None                         # no crash
        listing = cache.list()                                     # no crash either
    if how != "missing_json":
        assert any("unreadable" in str(w.message) for w in caught)
    assert all(item["key"] != run.key for item in listing) or how.endswith("weights")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = pc.train(ds, target="NOx", grouping=grouping, window=pc.WindowSpec(lookback=8),
                         config=cfg, cache=cache)
    assert not again.from_cache and again.key == run.key
    repaired = cache.load(run.key)                                 # the entry was replaced
    assert repaired is not None and repaired.from_cache
    assert not [p for p in cache.root.iterdir() if p.name.startswith((".tmp-", ".trash-"))]


WRITER = textwrap.dedent("""
    import os, sys, time, warnings
    sys.path.insert(0, {root!r})
    import palstm_core as pc
    src, dst, key, me = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    run = pc.ModelCache(src).load(key, device="cpu")
    cache = pc.ModelCache(dst)
    open(f"{{src}}/../ready-{{me}}", "w").close()          # barrier: start together
    deadline = time.time() + 60
    while not all(os.path.exists(f"{{src}}/../ready-{{i}}") for i in (0, 1)):
        assert time.time() < deadline
        time.sleep(0.001)
    for _ in range(15):
        cache.save(run)
        got = cache.load(key, device="cpu")
        assert got is not None, "reader saw a half-written run"
    print("ok")
""")


def test_two_processes_saving_the_same_run(cached, tmp_path):
    cache, ds, grouping, cfg, run = cached
    dst = tmp_path / "shared"
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(root=str(ROOT)))
    env = {**os.environ, "PYTHONWARNINGS": "error::RuntimeWarning"}
    procs = [subprocess.Popen([sys.executable, str(script), str(cache.root), str(dst), run.key,
                               str(i)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for i in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0 and "ok" in out, err[-2000:]
    loaded = pc.ModelCache(dst).load(run.key)
    assert loaded is not None and loaded.metrics == run.metrics
    assert not [p for p in dst.iterdir() if p.name.startswith((".tmp-", ".trash-"))]


def test_cache_never_unpickles():
    import palstm_core.cache as cache_mod
    text = Path(cache_mod.__file__).read_text()
    assert "pickle" not in text.replace("no pickle", "") and "torch.load" not in text
