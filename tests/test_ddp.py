"""Data-parallel training (2 CPU processes, gloo) equals single-process training; two torchrun
nodes that each read half of a campaign's drives equal one process over all of them."""

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import palstm_core as pc

ROOT = Path(__file__).resolve().parent.parent

CFG = dict(model="pa_lstm", hidden_size=8, epochs=2, batch_size=32, device="cpu", patience=10)


def _setup():
    ds = pc.load_sample("urban").slice(0, 600)
    return ds, pc.WindowSpec(lookback=8), pc.TrainConfig(**CFG)


def _worker(rank: int, world: int, init_file: str, out: str, cache_dir: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        ds, window, config = _setup()
        run = pc.train(ds, "NOx", window=window, config=config, cache=pc.ModelCache(cache_dir))
        if rank == 0:
            torch.save({"history": run.history, "metrics": run.metrics,
                        "state": run.model.state_dict()}, out)
    finally:
        dist.destroy_process_group()


@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(),
                    reason="torch.distributed with gloo is not available")
def test_two_process_ddp_matches_single_process(tmp_path):
    out = str(tmp_path / "ddp.pt")
    cache_dir = str(tmp_path / "cache")
    mp.spawn(_worker, args=(2, str(tmp_path / "init"), out, cache_dir), nprocs=2, join=True)
    ddp = torch.load(out)
    # only rank 0 wrote the cache: exactly one run
    assert len(pc.ModelCache(cache_dir).list()) == 1

    torch.set_num_threads(1)
    ds, window, config = _setup()
    single = pc.train(ds, "NOx", window=window, config=config)
    assert len(ddp["history"]) == len(single.history) == 2
    for a, b in zip(ddp["history"], single.history):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-4)
        assert a["val_loss"] == pytest.approx(b["val_loss"], rel=1e-4)
    for name, p in single.model.state_dict().items():
        torch.testing.assert_close(ddp["state"][name], p, rtol=1e-4, atol=1e-5, msg=name)
    assert ddp["metrics"]["r2"] == pytest.approx(single.metrics["r2"], abs=1e-4)


# ---------------------------------------------------------------- campaign over 2 "nodes"
SAMPLE = pc.data.SAMPLE_DIR / "campaign"
# pinned so that a change of defaults (loss, schedule) cannot make the two sides differ
CAMPAIGN_CFG = dict(model="pa_lstm", hidden_size=8, epochs=2, batch_size=64, lr=3e-3, seed=0,
                    device="cpu", patience=10, weight_decay=0.0, grad_clip=1.0)
CAMPAIGN_SPEC = dict(lookback=10, horizon=1, test_drives=["trip06_rural"],
                     val_drives=["trip05_motorway"])


def _campaign_node(out: str) -> None:
    """One torchrun node: loads only its share of the drive files, trains, rank 0 saves."""
    torch.set_num_threads(1)
    world, rank = pc.training.init_distributed("cpu")
    try:
        files = sorted(SAMPLE.glob("*.csv"))[rank::world]
        camp = pc.load_drives(files)
        run = pc.train(camp, "NOx", window=pc.WindowSpec(**CAMPAIGN_SPEC),
                       config=pc.TrainConfig(**CAMPAIGN_CFG))
        torch.save({"names": camp.names, "history": run.history, "scaler": run.scaler.to_dict(),
                    "metrics_by_drive": run.metrics_by_drive, "key": run.key,
                    "state": run.model.state_dict()}, f"{out}.{rank}")
    finally:
        pc.training.close_distributed()


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(),
                    reason="torch.distributed with gloo is not available")
def test_two_nodes_each_read_half_the_drives_and_match_one_process(tmp_path):
    import os
    import subprocess
    import sys
    out = str(tmp_path / "node")
    port = _free_port()
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "2", "--nproc-per-node",
           "1", "--rdzv-backend", "c10d", "--rdzv-endpoint", f"localhost:{port}",
           "--rdzv-id", "campaign-test", __file__, out]
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    nodes = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) for _ in range(2)]
    logs = [p.communicate(timeout=240)[0] for p in nodes]
    assert all(p.returncode == 0 for p in nodes), "\n".join(logs)[-3000:]
    r0, r1 = torch.load(f"{out}.0"), torch.load(f"{out}.1")
    # each node read half of the drives (two of the four training drives each)
    assert len(r0["names"]) == len(r1["names"]) == 3 and not set(r0["names"]) & set(r1["names"])
    train_drives = {"trip01_urban", "trip02_motorway", "trip03_rural", "trip04_urban"}
    assert len(set(r0["names"]) & train_drives) == len(set(r1["names"]) & train_drives) == 2

    torch.set_num_threads(1)
    single = pc.train(pc.load_sample_campaign(), "NOx", window=pc.WindowSpec(**CAMPAIGN_SPEC),
                      config=pc.TrainConfig(**CAMPAIGN_CFG))
    for r in (r0, r1):                      # every rank: same scaling, same steps, same weights
        assert r["key"] == single.key
        np.testing.assert_allclose(r["scaler"]["mean"], single.scaler.mean, rtol=1e-9)
        np.testing.assert_allclose(r["scaler"]["std"], single.scaler.std, rtol=1e-9)
        for a, b in zip(r["history"], single.history):
            assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-4)
            assert a["val_loss"] == pytest.approx(b["val_loss"], rel=1e-4)
        for name, p in single.model.state_dict().items():
            torch.testing.assert_close(r["state"][name], p, rtol=1e-4, atol=1e-4, msg=name)
    assert list(r0["metrics_by_drive"]) == ["trip06_rural"]
    assert r0["metrics_by_drive"]["trip06_rural"]["rmse"] == pytest.approx(
        single.metrics_by_drive["trip06_rural"]["rmse"], rel=1e-4)


if __name__ == "__main__":                  # run by torchrun in the test above
    import sys
    _campaign_node(sys.argv[1])
