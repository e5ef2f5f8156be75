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


# ---------------------------------------------------------------- faults of issue 13
def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_run_json_nested_too_deep_is_skipped_with_a_warning(cached):
    cache, ds, grouping, cfg, run = cached
    meta = json.loads((run.path / "run.json").read_text())
    meta["history"] = "@@"
    (run.path / "run.json").write_text(json.dumps(meta).replace('"@@"', _nested(100_000)))
    with pytest.warns(RuntimeWarning, match=run.key):
        assert cache.list() == []                               # was: RecursionError
    with pytest.warns(RuntimeWarning, match="unreadable"):
        assert cache.load(run.key) is None


def test_null_r2_is_listed_as_none_and_shown_as_a_dash(cached, capsys):
    from palstm_core.__main__ import main
    cache, ds, grouping, cfg, run = cached
    meta = json.loads((run.path / "run.json").read_text())
    meta["metrics"]["r2"] = None
    (run.path / "run.json").write_text(json.dumps(meta))
    [row] = cache.list()
    assert row["r2"] is None and row["rmse"] == pytest.approx(run.metrics["rmse"])
    assert main(["list", "--cache-dir", str(cache.root)]) == 0   # was: TypeError traceback
    out = capsys.readouterr().out
    assert run.key in out and "R²      –" in out


def _deny_writes(root: Path, monkeypatch) -> None:
    """Make ``root`` read-only; as root (where chmod does not stop writes) the OS error that a
    read-only folder gives is raised where the cache creates its temporary folder."""
    root.chmod(0o555)
    try:
        (root / ".probe").mkdir()
    except PermissionError:
        return
    (root / ".probe").rmdir()
    import tempfile
    real = tempfile.mkdtemp

    def mkdtemp(*args, dir=None, **kw):
        if dir is not None and Path(dir) == root:
            raise PermissionError(13, "Permission denied", str(dir))
        return real(*args, dir=dir, **kw)
    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)


def test_read_only_cache_keeps_the_trained_run_in_a_temporary_folder(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    root.mkdir()
    cache = pc.ModelCache(root)
    _deny_writes(root, monkeypatch)
    try:
        with pytest.warns(RuntimeWarning, match="cannot be written"):
            ds, grouping, cfg, run = _tiny_run(cache)           # was: PermissionError, run lost
        assert run.path is not None and run.path.parent == cache.fallback != root
        assert len(cache.report) == 1 and str(root) in cache.report[0]
        assert str(cache.fallback) in cache.report[0]
        again = pc.train(ds, target="NOx", grouping=grouping, window=pc.WindowSpec(lookback=8),
                         config=cfg, cache=cache)
        assert again.from_cache and again.metrics == run.metrics
        assert [r["key"] for r in cache.list()] == [run.key]
    finally:
        root.chmod(0o755)


def test_cache_path_that_is_a_file_is_a_plain_error(tmp_path):
    path = tmp_path / "cache"
    path.write_text("not a folder")
    with pytest.raises(pc.DataError, match="is a file, not a folder"):   # was: FileExistsError
        pc.ModelCache(path)


def test_entry_whose_weights_no_longer_fit_is_replaced(cached):
    import torch
    from safetensors.torch import load_file, save_file
    cache, ds, grouping, cfg, run = cached
    weights = run.path / "weights.safetensors"
    state = load_file(str(weights))
    save_file({k: torch.cat([v.reshape(-1), v.reshape(-1)]) for k, v in state.items()},
              str(weights))                                 # valid file, other shapes
    with pytest.warns(RuntimeWarning, match="unreadable"):
        assert cache.load(run.key) is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = pc.train(ds, target="NOx", grouping=grouping, window=pc.WindowSpec(lookback=8),
                         config=cfg, cache=cache)
    assert not again.from_cache
    with warnings.catch_warnings():
        warnings.simplefilter("error")                          # was: retrained on every call
        third = pc.train(ds, target="NOx", grouping=grouping, window=pc.WindowSpec(lookback=8),
                         config=cfg, cache=cache)
    assert third.from_cache and third.metrics == again.metrics
