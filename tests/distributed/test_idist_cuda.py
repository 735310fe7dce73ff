"""CUDA / nccl: run where a GPU is present, skipped otherwise."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

import ignite.distributed as idist

sys.path.insert(0, str(Path(__file__).parent))
import idist_workers  # noqa: E402
from idist_workers import free_port  # noqa: E402

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


def _nccl_checks(local_rank: int, out_dir: str) -> None:
    ws = idist.get_world_size()
    assert idist.backend() == "nccl"
    assert idist.device() == torch.device(f"cuda:{local_rank}")
    t = torch.tensor([idist.get_rank() + 1.0], device="cuda")
    assert idist.all_reduce(t).item() == ws * (ws + 1) / 2
    # a CPU tensor goes through the GPU and comes back on the CPU
    res = idist.all_reduce(torch.tensor([1.0]))
    assert res.device.type == "cpu" and res.item() == ws
    assert idist.all_gather(idist.get_rank()) == list(range(ws))
    assert idist.all_gather("x" * (idist.get_rank() + 1)) == ["x" * (r + 1) for r in range(ws)]
    assert idist.broadcast(
        torch.arange(3.0, device="cuda") if idist.get_rank() == 0 else None, safe_mode=True
    ).tolist() == [0.0, 1.0, 2.0]
    idist_workers.check_all_reduce()
    idist_workers.check_all_gather()
    idist_workers.check_broadcast()
    model = idist.auto_model(torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.BatchNorm1d(4)), sync_bn=True)
    assert isinstance(model, torch.nn.parallel.DistributedDataParallel)
    assert isinstance(model.module[1], torch.nn.SyncBatchNorm)
    assert model.device_ids == [local_rank]
    idist.barrier()


@pytest.mark.distributed
def test_nccl_spawn(tmp_path):
    n = torch.cuda.device_count()
    idist.spawn("nccl", _nccl_checks, args=(str(tmp_path),), nproc_per_node=n, master_port=free_port())


def test_serial_cuda_device():
    assert idist.device().type == "cuda"
    model = idist.auto_model(torch.nn.Linear(2, 2))
    assert next(model.parameters()).is_cuda
    if torch.cuda.device_count() > 1:
        assert isinstance(model, torch.nn.DataParallel)
    loader = idist.auto_dataloader(list(range(4)), batch_size=2)
    assert loader.pin_memory is True


@pytest.mark.distributed
def test_gloo_with_cuda_tensors(tmp_path):
    idist.spawn(
        "gloo",
        idist_workers.config_only,
        args=(str(tmp_path), {"world_size": 1, "backend": "gloo"}, True),
        nproc_per_node=1,
        master_port=free_port(),
    )
