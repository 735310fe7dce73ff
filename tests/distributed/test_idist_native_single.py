"""The native model on one process (a real gloo group inside the test process): creation paths and errors."""

from __future__ import annotations

import logging
import os
import sys
import warnings
from datetime import timedelta
from pathlib import Path

import pytest
import torch
import torch.distributed as dist

import ignite.distributed as idist
from ignite.distributed.comp_models import _SerialModel
from ignite.distributed.comp_models.base import ComputationModel
from ignite.distributed.comp_models.native import _NativeDistModel

sys.path.insert(0, str(Path(__file__).parent))
from idist_workers import free_port  # noqa: E402

_VARS = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


@pytest.fixture
def clean_env(monkeypatch):
    for k in list(os.environ):
        if k in _VARS or k.startswith("SLURM_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("MASTER_PORT", str(free_port()))
    yield
    if dist.is_initialized():
        dist.destroy_process_group()
    idist.utils._set_model(_SerialModel())
    ComputationModel._ext_local_rank = None


def test_initialize_finalize_from_defaults(clean_env):
    env_before = dict(os.environ)
    idist.initialize("gloo", timeout=30)
    try:
        assert idist.model_name() == "native-dist" and idist.backend() == "gloo"
        assert (idist.get_rank(), idist.get_local_rank(), idist.get_world_size()) == (0, 0, 1)
        assert (idist.get_nproc_per_node(), idist.get_nnodes(), idist.get_node_rank()) == (1, 1, 0)
        assert os.environ["RANK"] == "0" and os.environ["WORLD_SIZE"] == "1" and os.environ["LOCAL_RANK"] == "0"
        assert os.environ["MASTER_ADDR"] == "127.0.0.1"
        model = idist.utils._model
        assert model._init_method == "env://" and model._master_port == int(env_before["MASTER_PORT"])
        if not torch.cuda.is_available():
            assert idist.device() == torch.device("cpu")
        # collectives on a group of one
        assert idist.all_reduce(3) == 3
        assert idist.all_gather(torch.tensor(7)).tolist() == [7]
        assert idist.all_gather("abc") == ["abc"]
        assert idist.broadcast(2.5, safe_mode=True) == 2.5
        with pytest.raises(RuntimeError, match=r"Can not create new distributed process group"):
            _NativeDistModel.create_from_backend("gloo")
        with pytest.raises(RuntimeError, match=r"Can not create new distributed process group"):
            idist.initialize("gloo")
    finally:
        idist.finalize()
    assert idist.model_name() == "serial"
    assert dict(os.environ) == env_before
    assert not dist.is_initialized()


def test_initialize_with_init_method_file(clean_env, tmp_path):
    idist.initialize("gloo", init_method=f"file://{tmp_path}/pg", rank=0, world_size=1)
    try:
        assert idist.get_world_size() == 1
        assert idist.utils._model._init_method == f"file://{tmp_path}/pg"
    finally:
        idist.finalize()


def test_create_from_backend_errors(clean_env, monkeypatch):
    with pytest.raises(ValueError, match=r"Backend should be one of"):
        _NativeDistModel.create_from_backend("abc")
    with pytest.raises(ValueError, match=r"Arguments rank and world_size should be None if no init_method"):
        _NativeDistModel.create_from_backend("gloo", rank=0)
    with pytest.raises(ValueError, match=r"Both rank and world_size should be provided, but given 0 and None"):
        _NativeDistModel.create_from_backend("gloo", init_method="file:///tmp/x", rank=0)
    with pytest.raises(ValueError, match=r"TCP initialization via init_method='tcp://127.0.0.1:1' will hang"):
        _NativeDistModel.create_from_backend("gloo", init_method="tcp://127.0.0.1:1", rank=0, world_size=1)
    with pytest.raises(TypeError, match=r"Unexpected keyword argument\(s\) \['bad'\]"):
        _NativeDistModel.create_from_backend("gloo", bad=1)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match=r"Backend should be one of"):
            _NativeDistModel.create_from_backend("nccl")

    monkeypatch.setenv("RANK", "0")
    with pytest.raises(RuntimeError, match=r"PyTorch distributed configuration should define env variables"):
        _NativeDistModel.create_from_backend("gloo")
    monkeypatch.delenv("RANK")
    assert "RANK" not in os.environ  # the failed creation restored the environment

    monkeypatch.setenv("SLURM_JOB_ID", "1")
    with pytest.raises(RuntimeError, match=r"SLURM distributed configuration is missing 'SLURM_PROCID'"):
        _NativeDistModel.create_from_backend("gloo")
    with pytest.raises(ValueError, match=r"Arguments rank and world_size should not be specified with SLURM"):
        _NativeDistModel.create_from_backend("gloo", init_method="file:///tmp/x", rank=0, world_size=1)
    # issue 12 §1.9: through idist.initialize (no init_method) the SLURM message too, as the spec's model gives it
    for kwargs in ({"rank": 0, "world_size": 1}, {"rank": 0}, {"world_size": 1}):
        with pytest.raises(ValueError, match=r"^Arguments rank and world_size should not be specified with SLURM$"):
            idist.initialize("gloo", **kwargs)
    assert not dist.is_initialized()


def test_context_detection(clean_env, tmp_path, monkeypatch):
    """A group created by the user is picked up by the first idist call."""
    dist.init_process_group("gloo", init_method=f"file://{tmp_path}/pg", rank=0, world_size=1)
    with pytest.warns(UserWarning, match=r"Local rank information for native distributed setting will be initial"):
        assert idist.get_world_size() == 1
    assert idist.model_name() == "native-dist" and idist.get_local_rank() == 0 and idist.get_node_rank() == 0
    dist.destroy_process_group()
    idist.utils._set_model(_SerialModel())

    # with idist.set_local_rank: no heuristic, no warning
    dist.init_process_group("gloo", init_method=f"file://{tmp_path}/pg2", rank=0, world_size=1)
    idist.set_local_rank(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        idist.sync()
    assert idist.model_name() == "native-dist" and idist.get_local_rank() == 0
    dist.destroy_process_group()
    idist.utils._set_model(_SerialModel())
    ComputationModel._ext_local_rank = None

    # SLURM: the local rank comes from SLURM_LOCALID and the environment is left as it was
    monkeypatch.setenv("SLURM_JOB_ID", "123")
    monkeypatch.setenv("SLURM_LOCALID", "0")
    dist.init_process_group("gloo", init_method=f"file://{tmp_path}/pg3", rank=0, world_size=1)
    idist.sync()
    assert idist.get_local_rank() == 0 and "LOCAL_RANK" not in os.environ
    # a model attached to a context does not touch the environment on finalize
    env_before = dict(os.environ)
    idist.finalize()
    assert dict(os.environ) == env_before and idist.model_name() == "serial"


def _in_attach_mode(local_rank, out):
    out.append((local_rank, idist.get_world_size(), idist.backend()))


def test_parallel_attach_mode_single_process(clean_env):
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("ignite.distributed.launcher.Parallel")
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    out = []
    try:
        with idist.Parallel(backend="gloo", timeout=timedelta(seconds=30)) as parallel:
            assert idist.model_name() == "native-dist"
            parallel.run(_in_attach_mode, out)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert out == [(0, 1, "gloo")]
    assert idist.model_name() == "serial" and not dist.is_initialized()
    messages = [r.getMessage() for r in records]
    assert messages[0] == "Initialized processing group with backend: 'gloo'"
    assert messages[1].startswith("- Run '<function _in_attach_mode") and messages[1].endswith("in 1 processes")
    assert messages[2:] == ["End of run", "Finalized processing group with backend: 'gloo'"]
