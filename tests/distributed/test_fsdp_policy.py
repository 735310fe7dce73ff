"""auto_model(fsdp=True): which submodules the wrapping policy selects, and bad input (one process).

Sharding itself on real gloo processes is tested in ``tests/handlers/test_fsdp_dcp.py``.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

import ignite.distributed as idist
from ignite.distributed._fsdp import select_modules


class Block(nn.Module):
    def __init__(self, n: int) -> None:
        super().__init__()
        self.fc = nn.Linear(n, n)  # n * n + n parameters
        self.norm = nn.LayerNorm(n)  # 2 * n

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.fc(x))


def _net() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 10), Block(10), Block(10), nn.Linear(10, 2))


def _names(model: nn.Module, policy: object) -> list[str]:
    return [name for name, _ in select_modules(model, policy)]  # type: ignore[arg-type]


def test_policy_by_module_class_selects_every_instance_innermost_first() -> None:
    assert _names(_net(), {Block}) == ["1", "2"]
    assert _names(_net(), Block) == ["1", "2"]
    assert _names(_net(), [nn.Linear]) == ["0", "1.fc", "2.fc", "3"]
    assert _names(_net(), None) == []


def test_policy_by_parameter_count_counts_what_no_sharded_descendant_holds() -> None:
    # Linear(4, 10): 50; Block: fc 110 + norm 20 = 130; Linear(10, 2): 22
    assert _names(_net(), 100) == ["1.fc", "2.fc"]  # the fc layers hold 110; their blocks keep only 20 each
    assert _names(_net(), 120) == ["1", "2"]
    assert _names(_net(), 40) == ["0", "1.fc", "2.fc"]
    assert _names(_net(), 10**6) == []


def test_policy_as_a_callable_sees_qualified_names() -> None:
    assert _names(_net(), lambda name, m: name.endswith("fc")) == ["1.fc", "2.fc"]


@pytest.mark.parametrize(
    "policy, error, match",
    [
        (0, ValueError, "fsdp_policy"),
        (True, TypeError, "fsdp_policy"),
        ([nn.Linear, int], TypeError, "fsdp_policy"),
        (3.5, TypeError, "fsdp_policy"),
    ],
)
def test_bad_policy_names_the_argument(policy: object, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        idist.auto_model(_net(), fsdp=True, fsdp_policy=policy)  # type: ignore[arg-type]


def test_policy_without_fsdp_and_bad_pass_through_name_the_argument() -> None:
    with pytest.raises(ValueError, match="fsdp_policy needs fsdp=True"):
        idist.auto_model(_net(), fsdp_policy={Block})
    with pytest.raises(TypeError, match="mp_policy"):
        idist.auto_model(_net(), fsdp=True, mp_policy=torch.bfloat16)
    with pytest.raises(TypeError, match="offload_policy"):
        idist.auto_model(_net(), fsdp=True, offload_policy="cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="pinning needs no accelerator to be absent")
def test_pinned_cpu_offload_without_an_accelerator_names_pin_memory() -> None:
    from torch.distributed.fsdp import CPUOffloadPolicy

    with pytest.raises(ValueError, match=r"offload_policy.*pin_memory=False"):
        idist.auto_model(_net(), fsdp=True, offload_policy=CPUOffloadPolicy())


def test_one_process_moves_the_model_and_accepts_the_policies() -> None:
    from torch.distributed.fsdp import CPUOffloadPolicy, FSDPModule, MixedPrecisionPolicy

    model = _net()
    out = idist.auto_model(
        model,
        fsdp=True,
        fsdp_policy={Block},
        mp_policy=MixedPrecisionPolicy(param_dtype=torch.bfloat16),
        offload_policy=CPUOffloadPolicy(pin_memory=False),
    )
    assert out is model and not isinstance(out, FSDPModule)


def test_a_torch_without_fully_shard_raises_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch.distributed.fsdp as fsdp

    monkeypatch.delattr(fsdp, "fully_shard")  # as on a torch older than 2.6
    with pytest.raises(RuntimeError, match=r"torch\.distributed\.fsdp\.fully_shard"):
        idist.auto_model(_net(), fsdp=True)
