"""ignite.distributed on one process: serial model, functional API, helpers that need no process group."""

from __future__ import annotations

import logging
import os
import sys
import types
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.data import RandomSampler, SequentialSampler, TensorDataset, WeightedRandomSampler
from torch.utils.data.distributed import DistributedSampler

import ignite.distributed as idist
from ignite.distributed.auto import DistributedExactSampler
from ignite.distributed.comp_models import _SerialModel, registered_computation_models
from ignite.distributed.comp_models.base import ComputationModel
from ignite.distributed.comp_models.native import _expand_hostlist, _NativeDistModel, _setup_ddp_vars_from_slurm_env

SPEC_NAMES = (
    "backend broadcast device available_backends model_name get_world_size get_rank get_local_rank "
    "get_nproc_per_node get_node_rank get_nnodes spawn initialize finalize show_config set_local_rank all_reduce "
    "all_gather barrier hostname has_xla_support has_native_dist_support has_hvd_support sync "
    "registered_computation_models one_rank_only new_group one_rank_first all_gather_tensors_with_shapes "
    "auto_dataloader auto_model auto_optim DistributedProxySampler Parallel"
).split()


def test_namespace():
    for name in SPEC_NAMES:
        assert hasattr(idist, name), name
    for sub in ("native", "xla", "utils", "auto", "launcher", "comp_models"):
        assert isinstance(getattr(idist, sub), types.ModuleType)
    assert idist.has_native_dist_support is True
    assert registered_computation_models[0] is _SerialModel
    assert registered_computation_models[1] is _NativeDistModel
    assert idist.utils._SerialModel is _SerialModel
    assert idist.available_backends() == _NativeDistModel.available_backends
    assert "gloo" in idist.available_backends()


@pytest.mark.skipif(idist.has_xla_support or idist.has_hvd_support, reason="torch_xla / horovod installed")
def test_optional_frameworks_absent():
    with pytest.raises(ImportError):
        from ignite.distributed.comp_models.xla import _XlaDistModel  # noqa: F401
    with pytest.raises(ImportError):
        from ignite.distributed.comp_models.horovod import _HorovodDistModel  # noqa: F401
    assert "HOROVOD_DYNAMIC_PROCESS_SETS" not in os.environ
    with pytest.raises(ValueError, match=r"Backend should be one of"):
        idist.initialize("horovod")
    with pytest.raises(ValueError, match=r"Unknown backend 'xla-tpu'. Available backends:"):
        idist.Parallel(backend="xla-tpu")


def test_serial_model():
    m = _SerialModel()
    assert m.name == "serial" and m.available_backends == ()
    assert (m.get_rank(), m.get_local_rank(), m.get_world_size()) == (0, 0, 1)
    assert (m.get_nproc_per_node(), m.get_nnodes(), m.get_node_rank()) == (1, 1, 0)
    assert m.backend() is None and m._compute_nproc_per_node() == 1
    if not torch.cuda.is_available() and not torch.backends.mps.is_available():
        assert m.device() == torch.device("cpu")
    m.finalize()
    assert isinstance(_SerialModel.create_from_context(), _SerialModel)
    assert isinstance(_SerialModel.create_from_backend("abc"), _SerialModel)
    with pytest.raises(NotImplementedError, match=r"Serial computation model does not implement spawn method"):
        _SerialModel.spawn()
    t = torch.tensor(3)
    assert m.all_reduce(t) is t and m.all_reduce(4, op="MAX") == 4
    assert m.all_gather(t) is t
    assert m.all_gather(1.5) == [1.5] and m.all_gather("a") == ["a"] and m.all_gather({"x": 1}) == [{"x": 1}]
    assert m.broadcast(t) is t and m.broadcast("s", safe_mode=True) == "s"
    with pytest.raises(ValueError, match=r"Argument tensor should not be None"):
        m.broadcast(None, safe_mode=True)
    assert m.new_group([0]) == [0]
    with pytest.raises(ValueError, match=r"Argument ranks should be list of int"):
        m.new_group([0.5])
    assert m._rank_not_in_group([0]) is False
    assert m._do_all_gather_object(3) == [3]


def test_functional_api_serial(capfd):
    assert idist.model_name() == "serial" and idist.backend() is None
    assert (idist.get_rank(), idist.get_local_rank(), idist.get_world_size()) == (0, 0, 1)
    assert (idist.get_nproc_per_node(), idist.get_nnodes(), idist.get_node_rank()) == (1, 1, 0)
    assert isinstance(idist.device(), torch.device)
    assert isinstance(idist.hostname(), str) and idist.hostname()
    assert idist.all_reduce(10) == 10
    t = torch.ones(2)
    assert idist.all_reduce(t, op="MIN", group=[0]) is t
    assert idist.all_gather(torch.tensor(5)).tolist() == 5  # serial returns the tensor itself
    assert idist.all_gather(2.5) == [2.5] and idist.all_gather("ab") == ["ab"]
    xs = idist.all_gather_tensors_with_shapes(torch.ones(2, 3), [(2, 3)])
    assert len(xs) == 1 and xs[0].shape == (2, 3)
    assert idist.broadcast(1.5) == 1.5 and idist.broadcast(Path("a")) == Path("a")
    idist.barrier()
    assert idist.new_group([0]) == [0]
    assert idist.utils._rank_not_in_group([0]) is False and idist.utils._rank_not_in_group(None) is False
    idist.sync()
    assert isinstance(idist.utils._model, _SerialModel)
    idist.finalize()
    assert idist.model_name() == "serial"
    with pytest.raises(ValueError, match=r"Backend should be one of"):
        idist.spawn("abc", print, args=())


def test_show_config():
    idist.show_config()  # creates the logger
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("ignite.distributed.utils")
    logger.addHandler(handler)
    try:
        idist.show_config()
    finally:
        logger.removeHandler(handler)
    messages = [r.getMessage() for r in records]
    assert messages[0] == "distributed configuration: serial"
    assert messages[1] == "backend: None"
    assert messages[2].startswith("device: ")
    assert messages[3] == f"hostname: {idist.hostname()}"
    assert messages[4:] == [
        "world size: 1",
        "rank: 0",
        "local rank: 0",
        "num processes per_node: 1",
        "num nodes: 1",
        "node rank: 0",
    ]


def test_set_local_rank():
    try:
        idist.set_local_rank(3)
        assert ComputationModel._ext_local_rank == 3
    finally:
        ComputationModel._ext_local_rank = None


def test_one_rank_only_and_first_serial():
    @idist.one_rank_only(with_barrier=True)
    def f(x):
        return x * 2

    assert f(2) == 4
    assert idist.one_rank_only(rank=1)(lambda: 1)() is None
    order = []
    with idist.one_rank_first():
        order.append(1)
    with idist.one_rank_first(local=True):
        order.append(2)
    assert order == [1, 2]
    with pytest.raises(ValueError, match=r"rank should be between 0 and 0, but given 1"):
        with idist.one_rank_first(rank=1):
            pass


# ------------------------------------------------------------------------------------------------------
# encoding helpers


def test_encode_decode_str():
    t = ComputationModel._encode_str("héllo", torch.device("cpu"), size=8)
    assert t.shape == (1, 9) and t.dtype == torch.long
    assert t[0, -1].item() == len("héllo".encode())
    assert ComputationModel._decode_str(torch.cat([t, ComputationModel._encode_str("", "cpu", 8)])) == ["héllo", ""]
    assert _SerialModel()._get_max_length("abc", "cpu") == 3
    assert _SerialModel()._get_max_length("é", "cpu") == 2  # bytes, so that the encoding fits


def test_encode_input_data_and_placeholder():
    enc = ComputationModel._encode_input_data(torch.zeros(2, 3, dtype=torch.float16), True)
    assert len(enc) == 512
    dtype = list(b"torch.float16")
    assert enc[: 5 + len(dtype)] == [0, 2, 2, 3, len(dtype), *dtype]
    assert enc[5 + len(dtype) :] == [-1] * (512 - 5 - len(dtype))
    assert ComputationModel._encode_input_data(torch.zeros(2), False) == [-1] * 512
    assert ComputationModel._encode_input_data(1.0, True)[:2] == [1, -1]
    assert ComputationModel._encode_input_data("a", True)[0] == 2
    assert ComputationModel._encode_input_data(Path("a"), True)[0] == 3
    assert ComputationModel._encode_input_data(None, True) == [-1] * 512

    ph = ComputationModel._decode_as_placeholder(enc, torch.device("cpu"))
    assert ph.shape == (2, 3) and ph.dtype == torch.float16
    scalar = ComputationModel._decode_as_placeholder(ComputationModel._encode_input_data(torch.tensor(1), True), "cpu")
    assert scalar.shape == () and scalar.dtype == torch.int64
    assert ComputationModel._decode_as_placeholder([1] + [-1] * 511, "cpu") == 0.0
    assert ComputationModel._decode_as_placeholder([2] + [-1] * 511, "cpu") == ""
    assert ComputationModel._decode_as_placeholder([3] + [-1] * 511, "cpu") == Path("")
    with pytest.raises(RuntimeError, match=r"Internal error: unhandled dtype -1"):
        ComputationModel._decode_as_placeholder([-1] * 512, "cpu")
    # a dtype name is looked up, never evaluated
    bad = [0, 1, 2, 9, *list(b"os.system")] + [-1] * 499
    with pytest.raises(RuntimeError, match=r"unknown dtype 'os.system'"):
        ComputationModel._decode_as_placeholder(bad, "cpu")

    m = _SerialModel()
    assert m._setup_placeholder(5, "cpu", True) == 5
    with pytest.raises(RuntimeError, match=r"Internal error, x is None"):
        m._setup_placeholder(None, "cpu", True)


# ------------------------------------------------------------------------------------------------------
# SLURM


@pytest.mark.parametrize(
    "nodelist, expected",
    [
        ("localhost", ["localhost"]),
        ("compute!:b24_[1-2].r", ["compute!:b24_1.r", "compute!:b24_2.r"]),
        ("quartz[4-8]", [f"quartz{i}" for i in range(4, 9)]),
        ("c1001a-[11,17]", ["c1001a-11", "c1001a-17"]),
        ("c1001a-s[11,17]", ["c1001a-s11", "c1001a-s17"]),
        ("c1009a-s17,c1010a-s11", ["c1009a-s17", "c1010a-s11"]),
        (
            "node[18-19,1-16,21-22]",
            [f"node{i}" for i in range(1, 17)] + ["node18", "node19", "node21", "node22"],
        ),
        ("machine2-[02-4]vm1", ["machine2-02vm1", "machine2-03vm1", "machine2-04vm1"]),
        ("machine2-[009-11]vm1", ["machine2-009vm1", "machine2-010vm1", "machine2-011vm1"]),
        (
            "machine2-[02-3]vm1, machine4-[0003-5].vml2",
            ["machine2-02vm1", "machine2-03vm1", "machine4-0003.vml2", "machine4-0004.vml2", "machine4-0005.vml2"],
        ),
        ("node[1-2],node[2-3]", ["node1", "node2", "node2", "node3"]),
        ("127.0.0.[1]", ["127.0.0.1"]),
    ],
)
def test_expand_hostlist(nodelist, expected):
    assert _expand_hostlist(nodelist) == expected


def test_expand_hostlist_invalid():
    with pytest.raises(ValueError, match=r"hostlist invalid : node\[\]"):
        _expand_hostlist("node[]")


def _slurm(**kw):
    env = {
        "SLURM_JOB_ID": "12345",
        "SLURM_PROCID": "1",
        "SLURM_LOCALID": "1",
        "SLURM_NTASKS": "4",
        "SLURM_JOB_NODELIST": "nodeA[1-2]",
        "SLURM_JOB_NUM_NODES": "2",
    }
    env.update(kw)
    return env


def test_slurm_vars(monkeypatch):
    monkeypatch.setenv("PATH", "")  # no scontrol: the internal expansion is used
    assert _setup_ddp_vars_from_slurm_env(_slurm()) == {
        "RANK": 1,
        "LOCAL_RANK": 1,
        "WORLD_SIZE": 4,
        "MASTER_ADDR": "nodeA1",
        "MASTER_PORT": 17345,
    }
    # torch variables as well (torchrun inside sbatch): must agree on several nodes
    pth = {"RANK": "1", "LOCAL_RANK": "1", "WORLD_SIZE": "4", "MASTER_ADDR": "h", "MASTER_PORT": "1234"}
    out = _setup_ddp_vars_from_slurm_env(_slurm(**pth))
    assert out["MASTER_ADDR"] == "h" and out["MASTER_PORT"] == 1234
    with pytest.raises(RuntimeError, match=r"inconsistent with equivalent SLURM env variable. RANK: 2 vs 1"):
        _setup_ddp_vars_from_slurm_env(_slurm(**dict(pth, RANK="2")))
    # one node: torch values must be >= SLURM's and win
    out = _setup_ddp_vars_from_slurm_env(_slurm(SLURM_JOB_NUM_NODES="1", **dict(pth, RANK="3", WORLD_SIZE="8")))
    assert (out["RANK"], out["WORLD_SIZE"]) == (3, 8)
    with pytest.raises(RuntimeError, match=r"We expect that WORLD_SIZE: 2 >= 4"):
        _setup_ddp_vars_from_slurm_env(_slurm(SLURM_JOB_NUM_NODES="1", **dict(pth, WORLD_SIZE="2")))
    with pytest.warns(UserWarning, match=r"We detected the following env variables"):
        out = _setup_ddp_vars_from_slurm_env(_slurm(RANK="1", MASTER_PORT="99"))
    assert out["MASTER_PORT"] == 17345


# ------------------------------------------------------------------------------------------------------
# native model pieces that need no process group


def test_compute_node_and_local_ranks():
    hosts = ["a", "a", "b", "b", "b", "c"]
    f = _NativeDistModel._compute_node_and_local_ranks
    assert [f(r, hosts) for r in range(6)] == [(0, 0), (1, 0), (0, 1), (1, 1), (2, 1), (0, 2)]


def test_default_master_port(monkeypatch):
    from ignite.distributed.comp_models.native import _default_master_port

    monkeypatch.delenv("MASTER_PORT", raising=False)
    assert _default_master_port(2, None) == 2222
    port = _default_master_port(1, "127.0.0.1")
    assert port != 2222 and 0 < port < 65536
    monkeypatch.setenv("MASTER_PORT", "3456")
    assert _default_master_port(1, None) == 3456


def test_native_spawn_argument_checks():
    with pytest.raises(ValueError, match=r"master_addr should be None if init_method is provided other then 'env://'"):
        _NativeDistModel.spawn(print, args=(), backend="gloo", init_method="file:///tmp/x", master_addr="a")
    with pytest.raises(ValueError, match=r"master_port should be None if init_method is provided other then 'env://'"):
        _NativeDistModel.spawn(print, args=(), backend="gloo", init_method="file:///tmp/x", master_port=1)
    with pytest.raises(TypeError, match=r"Unexpected keyword argument\(s\) \['tiemout'\]"):
        idist.spawn("gloo", print, args=(), nproc_per_node=1, tiemout=3)


# ------------------------------------------------------------------------------------------------------
# Parallel arguments


def test_parallel_arguments():
    with pytest.raises(ValueError, match=r"Unknown backend 'abc'. Available backends:"):
        idist.Parallel(backend="abc")
    with pytest.raises(ValueError, match=r"If backend is None, argument 'nnodes' should be also None, but given 2"):
        idist.Parallel(nnodes=2)
    with pytest.raises(ValueError, match=r"will hang"):
        idist.Parallel(backend="gloo", init_method="tcp://127.0.0.1:1234")
    p = idist.Parallel(backend="gloo")
    assert p.backend == "gloo" and p._spawn_params is None and p._logger is None
    p = idist.Parallel(backend="gloo", nproc_per_node=2, start_method="fork")
    assert p._spawn_params == {"nproc_per_node": 2, "nnodes": 1, "node_rank": 0, "start_method": "fork"}

    f = idist.Parallel._setup_spawn_params
    with pytest.raises(ValueError, match=r"Argument nproc_per_node should positive, but given 0"):
        f(0)
    with pytest.raises(ValueError, match=r"Argument nnodes should positive, but given 0"):
        f(1, 0)
    with pytest.raises(ValueError, match=r"If number of nodes larger than one, arguments node_rank should be given"):
        f(1, 2)
    with pytest.raises(ValueError, match=r"Argument node_rank should be between 0 and 1, but given 2"):
        f(1, 2, 2)
    with pytest.raises(ValueError, match=r"arguments master_addr and master_port or init_method should be specified"):
        f(1, 2, 1, "host")
    assert f(2, 2, 1, "localhost", 3344) == {
        "nproc_per_node": 2,
        "nnodes": 2,
        "node_rank": 1,
        "master_addr": "localhost",
        "master_port": 3344,
    }
    assert f(2, 2, 0, init_method="file:///x")["init_method"] == "file:///x"


def _record(local_rank, out, x, y=0):
    out.append((local_rank, x, y))


def test_parallel_serial_run():
    out = []
    with idist.Parallel() as p:
        p.run(_record, out, 1, y=2)
    assert out == [(0, 1, 2)]
    with pytest.raises(RuntimeError, match=r"inside a 'with Parallel"):
        idist.Parallel().run(_record, out, 1)


# ------------------------------------------------------------------------------------------------------
# auto helpers on one process


def test_auto_serial():
    ds = TensorDataset(torch.arange(10.0))
    dl = idist.auto_dataloader(ds, batch_size=4, shuffle=True, num_workers=0)
    assert isinstance(dl.sampler, RandomSampler) and dl.batch_size == 4
    assert dl.pin_memory == ("cuda" in idist.device().type)
    dl = idist.auto_dataloader(ds, batch_size=4, exact=True)
    assert isinstance(dl.sampler, SequentialSampler)

    model = nn.Linear(2, 2)
    assert idist.auto_model(model) is model
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    assert idist.auto_optim(opt) is opt


def test_distributed_proxy_sampler():
    with pytest.raises(TypeError, match=r"Argument sampler should be instance of torch Sampler"):
        idist.DistributedProxySampler(None)
    with pytest.raises(TypeError, match=r"Argument sampler must not be a distributed sampler already"):
        idist.DistributedProxySampler(DistributedSampler(range(3), num_replicas=1, rank=0))

    class NoLen(torch.utils.data.Sampler):
        def __iter__(self):
            return iter([0])

    with pytest.raises(TypeError, match=r"Argument sampler should have length"):
        idist.DistributedProxySampler(NoLen())

    weights = torch.rand(25)
    sampler = WeightedRandomSampler(weights, num_samples=25)
    parts = []
    for rank in range(4):
        s = idist.DistributedProxySampler(sampler, num_replicas=4, rank=rank)
        s.set_epoch(5)
        assert s.num_samples == 7 and s.total_size == 28 and len(s) == 7
        parts.append(list(s))
    torch.manual_seed(5)
    reference = list(sampler)
    reference += list(sampler)[:3]
    assert [i for k in range(7) for i in (parts[0][k], parts[1][k], parts[2][k], parts[3][k])] == reference

    # the global RNG is not reseeded
    torch.manual_seed(123)
    a = torch.rand(3)
    torch.manual_seed(123)
    list(idist.DistributedProxySampler(sampler, num_replicas=2, rank=0))
    assert torch.equal(torch.rand(3), a)

    # without padding every index goes to exactly one rank
    parts = [list(idist.DistributedProxySampler(SequentialSampler(range(11)), 2, r, pad=False)) for r in range(2)]
    assert parts == [[0, 2, 4, 6, 8, 10], [1, 3, 5, 7, 9]]


def test_distributed_exact_sampler():
    ds = range(11)
    parts = [list(DistributedExactSampler(ds, num_replicas=3, rank=r)) for r in range(3)]
    assert sorted(i for p in parts for i in p) == list(range(11))
    assert [len(DistributedExactSampler(ds, num_replicas=3, rank=r)) for r in range(3)] == [4, 4, 3]
    shuffled = []
    for r in range(3):
        s = DistributedExactSampler(ds, num_replicas=3, rank=r, shuffle=True)
        s.set_epoch(2)
        shuffled += list(s)
    assert sorted(shuffled) == list(range(11)) and shuffled != sorted(shuffled)


def test_auto_optim_xla(monkeypatch):
    """The XLA branch builds an instance of the optimizer's own class (upstream raised TypeError)."""
    calls = []
    xm = types.ModuleType("torch_xla.core.xla_model")
    xm.optimizer_step = lambda opt, barrier=False: calls.append((opt, barrier))
    for name, mod in {
        "torch_xla": types.ModuleType("torch_xla"),
        "torch_xla.core": types.ModuleType("torch_xla.core"),
        "torch_xla.core.xla_model": xm,
    }.items():
        monkeypatch.setitem(sys.modules, name, mod)
    monkeypatch.setattr(idist.auto.idist_xla, "has_xla_support", True)
    monkeypatch.setattr(idist.auto.idist, "backend", lambda: "xla-tpu")

    model = nn.Linear(2, 1)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    xopt = idist.auto_optim(opt)
    assert isinstance(xopt, torch.optim.Adam) and type(xopt).__name__ == "Adam"
    assert xopt.wrapped_optimizer is opt and xopt.param_groups is opt.param_groups
    xopt.step()
    assert calls == [(opt, True)]
    xopt.param_groups[0]["lr"] = 0.5
    assert opt.param_groups[0]["lr"] == 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert set(xopt.state_dict()) == {"state", "param_groups"}


def test_current_cuda_device_warns_below_local_rank(monkeypatch):
    import warnings

    import torch

    from ignite.distributed.comp_models.base import _current_cuda_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert _current_cuda_device(3) == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _current_cuda_device(1) == torch.device("cuda:1")
    with pytest.warns(UserWarning, match="Current device index is less than current local rank"):
        assert _current_cuda_device(2) == torch.device("cuda:1")
