"""Horovod and XLA models against stand-in packages (neither framework can be installed here).

The stand-ins implement the few framework calls the models make, for one process, and record them; the
real frameworks could not be exercised in this environment (Horovod's PyTorch extension does not build
against torch 2.13 here; torch_xla needs a TPU runtime).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent

_FAKE_HVD = """
import torch
CALLS = []
_state = {"init": False, "sets": []}
Sum, Average, Adasum = "Sum", "Average", "Adasum"


class ProcessSet:
    def __init__(self, ranks):
        self.ranks = ranks

    def included(self):
        return 0 in self.ranks


def init(comm=None):
    CALLS.append(("init", comm))
    _state["init"] = True


def shutdown():
    CALLS.append(("shutdown",))
    _state["init"] = False


def _check():
    if not _state["init"]:
        raise ValueError("Horovod has not been initialized; use hvd.init().")


def rank():
    _check()
    return 0


def local_rank():
    _check()
    return 0


def size():
    _check()
    return 1


def local_size():
    _check()
    return 1


def allreduce(t, op=Sum, name=None):
    CALLS.append(("allreduce", op, name))
    return t.clone()


def allgather(t, process_set=None):
    CALLS.append(("allgather", process_set))
    return t.clone()


def allgather_object(obj):
    return [obj]


def broadcast(t, root_rank):
    CALLS.append(("broadcast", root_rank))
    return t.clone()


def add_process_set(ranks):
    s = ProcessSet(ranks)
    _state["sets"].append(s)
    return s


def broadcast_parameters(state, root_rank):
    CALLS.append(("broadcast_parameters", root_rank))


def DistributedOptimizer(opt, **kwargs):
    CALLS.append(("DistributedOptimizer", kwargs))
    opt.hvd_wrapped = True
    return opt


def broadcast_optimizer_state(opt, root_rank):
    CALLS.append(("broadcast_optimizer_state", root_rank))
"""

_FAKE_HVD_RUN = """
RUNS = []


def run(fn, args=(), num_proc=1, hosts=None, **kwargs):
    RUNS.append((num_proc, hosts, kwargs))
    return [fn(*args)]
"""

_FAKE_XM = """
import torch
CALLS = []


def get_ordinal():
    return 0


def get_local_ordinal():
    return 0


def xrt_world_size():
    return 1


def xla_device():
    return torch.device("cpu")


def all_reduce(op, tensors, groups=None):
    CALLS.append(("all_reduce", op, groups, [t.dtype for t in tensors]))


def rendezvous(tag):
    CALLS.append(("rendezvous", tag))


def optimizer_step(opt, barrier=False):
    CALLS.append(("optimizer_step", barrier))
    opt.step()
"""

_FAKE_XMP = """
SPAWNS = []


def spawn(fn, args=(), nprocs=1, start_method="fork"):
    SPAWNS.append((nprocs, start_method))
    fn(0, *args)
"""

_FAKE_PL = """
class MpDeviceLoader:
    def __init__(self, loader, device):
        self.loader, self.device = loader, device

    def __iter__(self):
        return iter(self.loader)
"""

_SCRIPT = r"""
import os, sys
import pytest
import torch
assert "HOROVOD_DYNAMIC_PROCESS_SETS" not in os.environ
before = set(sys.modules)
import ignite.distributed as idist
# importing idist stays cheap: no framework and no heavy torch.distributed submodule is imported
heavy = [
    m for m in set(sys.modules) - before
    if m.split(".")[0] in ("torch_xla", "horovod", "numpy")
    or m.startswith(("torch.distributed.fsdp", "torch.nn.parallel.distributed", "torch._dynamo"))
]
assert not heavy, heavy
from ignite.distributed.comp_models import registered_computation_models
from ignite.distributed.comp_models.xla import _XlaDistModel
from ignite.distributed.comp_models.horovod import _HorovodDistModel
from ignite.distributed.comp_models.native import _NativeDistModel
from ignite.distributed.comp_models.base import _SerialModel

# detection without importing the frameworks
assert idist.has_xla_support and idist.has_hvd_support
assert "torch_xla" not in sys.modules and "horovod.torch" not in sys.modules
assert os.environ["HOROVOD_DYNAMIC_PROCESS_SETS"] == "1"
assert registered_computation_models == (_SerialModel, _NativeDistModel, _XlaDistModel, _HorovodDistModel)
assert idist.available_backends()[-2:] == ("xla-tpu", "horovod")
# an installed but unused torch_xla does not hijack the serial model (upstream wart)
assert idist.model_name() == "serial"

# ---------------------------------------------------------------- Horovod
import horovod.torch as hvd
assert _HorovodDistModel.create_from_context() is None
with pytest.raises(ValueError, match=r"Backend should be one of '\('horovod',\)'"):
    _HorovodDistModel.create_from_backend("abc")
idist.initialize("horovod", comm=[0])
assert hvd.CALLS[-1] == ("init", [0])
assert idist.model_name() == "horovod-dist" and idist.backend() == "horovod"
assert (idist.get_rank(), idist.get_world_size(), idist.get_nproc_per_node(), idist.get_nnodes()) == (0, 1, 1, 1)
with pytest.raises(RuntimeError, match=r"Can not re-initialize Horovod if it is already initialized"):
    _HorovodDistModel.create_from_backend("horovod")
t = torch.tensor([3.0, 1.0])
assert idist.all_reduce(t).tolist() == [3.0, 1.0] and hvd.CALLS[-1][:2] == ("allreduce", "Sum")
assert idist.all_reduce(t, op="AVERAGE").tolist() == [3.0, 1.0] and hvd.CALLS[-1][1] == "Average"
assert idist.all_reduce(t, op="adasum").tolist() == [3.0, 1.0] and hvd.CALLS[-1][1] == "Adasum"
assert idist.all_reduce(t, op="MIN").tolist() == [3.0, 1.0] and hvd.CALLS[-1][0] == "allgather"
assert idist.all_reduce(t, op="MAX").tolist() == [3.0, 1.0]
assert idist.all_reduce(t, op="PRODUCT").tolist() == [3.0, 1.0]
assert idist.all_reduce(5) == 5
with pytest.raises(ValueError, match=r"Unsupported reduction operation: 'AND'"):
    idist.all_reduce(t, op="AND")
with pytest.raises(NotImplementedError, match=r"all_reduce with group for horovod is not implemented"):
    idist.utils._model.all_reduce(t, group=hvd.add_process_set([0]))
assert idist.all_gather(torch.tensor(2)).tolist() == [2]
g = idist.new_group([0])
assert isinstance(g, hvd.ProcessSet)
assert idist.all_gather(torch.tensor([4]), group=[0]).tolist() == [4]
assert hvd.CALLS[-1][0] == "allgather" and isinstance(hvd.CALLS[-1][1], hvd.ProcessSet)
with pytest.raises(ValueError, match=r"Argument group should be list of int or hvd.ProcessSet"):
    idist.all_gather(torch.tensor([4]), group="x")
assert idist.all_gather({"a": 1}) == [{"a": 1}]
with pytest.raises(NotImplementedError, match=r"all_gather with group for horovod is not implemented"):
    idist.all_gather({"a": 1}, group=[0])
assert idist.broadcast(torch.tensor([1.0]), src=0).tolist() == [1.0] and hvd.CALLS[-1] == ("broadcast", 0)
assert idist.broadcast("abc") == "abc"
idist.barrier()
assert hvd.CALLS[-1] == ("allreduce", "Sum", "barrier")
model = idist.auto_model(torch.nn.Linear(2, 2))
opt = idist.auto_optim(torch.optim.SGD(model.parameters(), lr=0.1), backward_passes_per_step=2)
assert opt.hvd_wrapped and ("DistributedOptimizer", {"backward_passes_per_step": 2}) in hvd.CALLS
assert ("broadcast_optimizer_state", 0) in hvd.CALLS
# ws == 1: the model is not broadcast; with several processes it is
assert ("broadcast_parameters", 0) not in hvd.CALLS
idist.finalize()
assert hvd.CALLS[-1] == ("shutdown",) and idist.model_name() == "serial"

# context detection
hvd.init()
assert idist.model_name() == "horovod-dist"
hvd.shutdown()
idist.utils._set_model(_SerialModel())

# spawn
import horovod.run as hvd_run
seen = []

def work(local_rank, a, b=0):
    seen.append((local_rank, a, b, idist.model_name()))

idist.spawn("horovod", work, args=(1,), kwargs_dict={"b": 2}, nproc_per_node=3, hosts="h1:3", nnodes=1, node_rank=0)
assert hvd_run.RUNS[-1] == (3, "h1:3", {}) and seen == [(0, 1, 2, "horovod-dist")]
with pytest.raises(RuntimeError, match=r"For multi-node configuration, please set 'hosts' argument instead"):
    idist.spawn("horovod", work, args=(1,), nproc_per_node=1, nnodes=2)

# ---------------------------------------------------------------- XLA
import torch_xla.core.xla_model as xm
os.environ["PJRT_DEVICE"] = "TPU"
assert idist.model_name() == "xla-dist"  # context detected once torch_xla is in use
idist.utils._set_model(_SerialModel())
with pytest.raises(ValueError, match=r"Backend should be one of '\('xla-tpu',\)'"):
    _XlaDistModel.create_from_backend("abc")
idist.initialize("xla-tpu")
assert ("rendezvous", "init") in xm.CALLS
assert idist.backend() == "xla-tpu" and idist.device() == torch.device("cpu")
assert (idist.get_rank(), idist.get_world_size(), idist.get_nproc_per_node()) == (0, 1, 1)
r = idist.all_reduce(torch.tensor([1, 2], dtype=torch.int32), op="max")
assert r.dtype == torch.int32 and xm.CALLS[-1] == ("all_reduce", "max", None, [torch.float32])
with pytest.raises(ValueError, match=r"Unsupported reduction operation: 'ABC'"):
    idist.all_reduce(torch.tensor([1.0]), op="ABC")
g = idist.new_group([0])
assert g == [[0]]
idist.all_reduce(torch.tensor([1.0]), group=g)  # the returned group is accepted back
assert xm.CALLS[-1][2] == [[0]]
idist.all_reduce(torch.tensor([1.0]), group=[0])
with pytest.raises(ValueError, match=r"Argument group should be list of int"):
    idist.all_reduce(torch.tensor([1.0]), group="x")
assert idist.all_gather(torch.tensor([[1.0, 2.0]])).shape == (1, 2)
assert idist.all_gather(torch.tensor(3.0)).tolist() == [3.0]
assert idist.all_gather(1.5) == [1.5]
with pytest.raises(NotImplementedError, match=r"all_gather on object is not implemented for xla"):
    idist.all_gather({"a": 1})
assert idist.broadcast(torch.tensor([2.0])).tolist() == [2.0]
assert idist.broadcast(7) == 7
idist.barrier()
assert xm.CALLS[-1] == ("rendezvous", "barrier")
with pytest.warns(UserWarning, match=r"Found incompatible options: xla support and pin_memory args equal True"):
    dl = idist.auto_dataloader(list(range(4)), batch_size=2, pin_memory=True)
assert dl.pin_memory is False
model = torch.nn.Linear(2, 1)
opt = idist.auto_optim(torch.optim.SGD(model.parameters(), lr=0.1))
assert isinstance(opt, torch.optim.SGD) and opt.wrapped_optimizer is not opt
model(torch.ones(1, 2)).sum().backward()
opt.step()
assert xm.CALLS[-1] == ("optimizer_step", True)
idist.finalize()

import torch_xla.distributed.xla_multiprocessing as xmp
seen.clear()
idist.spawn("xla-tpu", work, args=(5,), nproc_per_node=1)
assert xmp.SPAWNS[-1] == (1, "fork") and seen == [(0, 5, 0, "xla-dist")]
print("OK")
"""


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


def test_horovod_and_xla_models_with_stand_in_packages(tmp_path):
    site = tmp_path / "site"
    _write(site / "horovod" / "__init__.py", "")
    _write(site / "horovod" / "torch" / "__init__.py", _FAKE_HVD)
    (site / "horovod" / "torch" / "mpi_lib_v2.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    _write(site / "horovod" / "run" / "__init__.py", _FAKE_HVD_RUN)
    _write(site / "torch_xla" / "__init__.py", "")
    _write(site / "torch_xla" / "core" / "__init__.py", "")
    _write(site / "torch_xla" / "core" / "xla_model.py", _FAKE_XM)
    _write(site / "torch_xla" / "distributed" / "__init__.py", "")
    _write(site / "torch_xla" / "distributed" / "xla_multiprocessing.py", _FAKE_XMP)
    _write(site / "torch_xla" / "distributed" / "parallel_loader.py", _FAKE_PL)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOROVOD_", "PJRT_", "XRT_"))}
    env.pop("TPU_NAME", None)
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(REPO)])
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT], env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().endswith("OK")
