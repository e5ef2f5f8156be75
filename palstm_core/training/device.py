"""Where training runs: device choice, bf16 autocast, and the one torch.distributed set-up."""
from __future__ import annotations

import os

import torch
import torch.distributed as dist

from ..data import DataError
from ..i18n import _


def init_distributed(device: str = "auto") -> tuple[int, int]:
    """Under ``torchrun`` (WORLD_SIZE > 1): join the process group (NCCL with CUDA, else gloo).
    Returns (world size, rank)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 1, 0
    if not dist.is_initialized():
        cuda = torch.cuda.is_available() and not device.startswith("cpu")
        if cuda:
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group("nccl" if cuda else "gloo")
    return dist.get_world_size(), dist.get_rank()


def close_distributed() -> None:
    """Leave the process group joined by ``init_distributed``."""
    dist.destroy_process_group()


def dist_info() -> tuple[int, int]:
    """(world size, rank) of an initialised torch.distributed group, else (1, 0)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size(), dist.get_rank()
    return 1, 0


def resolve_device(device: str = "auto") -> torch.device:
    world, __ = dist_info()
    if world > 1 and device in ("auto", "cuda") and torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise DataError(_("A GPU (CUDA) was requested but none is available; use device 'cpu'."))
    return dev


def device_name(device: str = "auto", threads: int | None = None) -> str:
    """"GPU: <name>" or "CPU (n threads)", n = ``threads`` (e.g. what training used) or torch's
    count now."""
    dev = resolve_device(device)
    if dev.type == "cuda":
        return f"GPU: {torch.cuda.get_device_name(dev)}"
    return f"CPU ({threads or torch.get_num_threads()} threads)"


def autocast(device: torch.device, enabled: bool):
    """bf16 autocast on CUDA when ``enabled``; a no-op context on CPU."""
    return torch.autocast(device.type, dtype=torch.bfloat16,
                          enabled=enabled and device.type == "cuda")
