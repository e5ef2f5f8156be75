"""Data-parallel training (2 CPU processes, gloo) equals single-process training."""

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import palstm_core as pc

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
