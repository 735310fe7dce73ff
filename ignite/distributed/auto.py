"""Helpers that adapt a model, an optimizer and a data loader to the current distributed configuration."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from typing import Any

import torch
import torch.nn as nn
from torch.optim.optimizer import Optimizer
from torch.utils.data import DataLoader, Dataset, IterableDataset
from torch.utils.data.distributed import DistributedSampler
from torch.utils.data.sampler import Sampler

from ignite.distributed import utils as idist
from ignite.distributed._fsdp import FSDPPolicy
from ignite.distributed.comp_models import horovod as idist_hvd
from ignite.distributed.comp_models import xla as idist_xla

__all__ = ["auto_dataloader", "auto_model", "auto_optim", "DistributedProxySampler"]

_NATIVE_BACKENDS = ("nccl", "gloo", "mpi")


def _logger(name: str) -> Any:
    from ignite.utils import setup_logger

    return setup_logger(__name__ + "." + name)


def auto_dataloader(dataset: Dataset, exact: bool = False, **kwargs: Any) -> DataLoader | Any:
    """Create a data loader adapted to the distributed configuration.

    With several processes, ``batch_size`` and ``num_workers`` are divided between the processes of a node
    and a distributed sampler is set up (a ``DistributedSampler``, or a :class:`DistributedProxySampler`
    around a given sampler). ``pin_memory`` defaults to True on CUDA. On XLA with several processes the
    loader is wrapped in ``MpDeviceLoader``.

    Args:
        dataset: the dataset.
        exact: for evaluation: every sample goes to exactly one process, without the padding duplicates a
            ``DistributedSampler`` adds when the dataset size is not a multiple of the world size. Processes
            then get slightly different numbers of samples (at most one apart), so metrics computed from
            all-reduced sums equal the single-process result. Ignored with one process.
        kwargs: ``DataLoader`` arguments.

    ```python
    train_loader = idist.auto_dataloader(train_ds, batch_size=64, num_workers=8, shuffle=True)
    val_loader = idist.auto_dataloader(val_ds, batch_size=64, shuffle=False, exact=True)
    ```
    """
    rank = idist.get_rank()
    world_size = idist.get_world_size()
    logger = _logger("auto_dataloader")

    if world_size > 1:
        if "batch_size" in kwargs and kwargs["batch_size"] >= world_size:
            kwargs["batch_size"] //= world_size

        nproc = idist.get_nproc_per_node()
        if "num_workers" in kwargs and kwargs["num_workers"] >= nproc:
            kwargs["num_workers"] = int(math.ceil(kwargs["num_workers"] / nproc))

        if "batch_sampler" in kwargs:
            warnings.warn(
                "Found batch_sampler in provided kwargs. Please, make sure that it is compatible "
                "with distributed configuration",
                stacklevel=2,
            )
        elif isinstance(dataset, IterableDataset):
            logger.info(
                "Found iterable dataset, dataloader will be created without any distributed sampling. "
                "Please, make sure that the dataset itself produces different data on different ranks."
            )
        else:
            sampler = kwargs.get("sampler")
            if isinstance(sampler, DistributedSampler):
                if sampler.rank != rank:
                    warnings.warn(f"Found distributed sampler with rank={sampler.rank}, but process rank is {rank}")
                if sampler.num_replicas != world_size:
                    warnings.warn(
                        f"Found distributed sampler with num_replicas={sampler.num_replicas}, "
                        f"but world size is {world_size}"
                    )
            elif sampler is None:
                shuffle = kwargs.pop("shuffle", True)
                if exact:
                    sampler = DistributedExactSampler(dataset, num_replicas=world_size, rank=rank, shuffle=shuffle)
                else:
                    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, shuffle=shuffle)
            else:
                sampler = DistributedProxySampler(sampler, num_replicas=world_size, rank=rank, pad=not exact)
            kwargs["sampler"] = sampler

    on_xla = idist.has_xla_support and idist.backend() == "xla-tpu"
    if on_xla and kwargs.get("pin_memory", False):
        warnings.warn(
            "Found incompatible options: xla support and pin_memory args equal True. "
            "Argument `pin_memory=False` will be used to construct data loader.",
            stacklevel=2,
        )
        kwargs["pin_memory"] = False
    else:
        kwargs["pin_memory"] = kwargs.get("pin_memory", "cuda" in idist.device().type)

    logger.info(f"Use data loader kwargs for dataset '{repr(dataset)[:20].strip()}': \n\t{kwargs}")
    dataloader = DataLoader(dataset, **kwargs)

    if on_xla and world_size > 1:
        logger.info("DataLoader is wrapped by `MpDeviceLoader` on XLA")
        mp_device_loader_cls: Any = _MpDeviceLoader
        try:
            from torch_xla.distributed.parallel_loader import MpDeviceLoader

            mp_device_loader_cls = MpDeviceLoader
        except ImportError:
            pass
        mp_dataloader = mp_device_loader_cls(dataloader, idist.device())
        mp_dataloader.sampler = dataloader.sampler  # type: ignore[attr-defined]
        return mp_dataloader

    return dataloader


def auto_model(
    model: nn.Module, sync_bn: bool = False, fsdp: bool = False, *, fsdp_policy: FSDPPolicy = None, **kwargs: Any
) -> nn.Module:
    """Move ``model`` to the current device and wrap it for the distributed configuration.

    * several native processes: ``DistributedDataParallel`` (``device_ids=[local_rank]`` on CUDA),
      optionally after converting batch norms to ``SyncBatchNorm`` (``sync_bn=True``);
    * Horovod: initial parameters are broadcast from rank 0 (no wrapper);
    * one process with several GPUs: ``DataParallel``;
    * otherwise the model is only moved.

    Args:
        model: the model.
        sync_bn: convert batch norm layers to ``SyncBatchNorm`` (native multi-process runs only).
        fsdp: with several native processes, shard parameters, gradients and optimizer state with FSDP2
            (``torch.distributed.fsdp.fully_shard``) instead of wrapping in DDP; ``kwargs`` then go to every
            ``fully_shard`` call (``mp_policy=MixedPrecisionPolicy(...)``, ``offload_policy=CPUOffloadPolicy()``,
            ``reshard_after_forward``, ``mesh``). With one process the model is only moved. Create the
            optimizer after calling ``auto_model``. A torch without ``fully_shard`` raises ``RuntimeError``.
        fsdp_policy: which submodules get their own ``fully_shard`` before the root (keyword only):
            ``None`` (the root only), module classes (e.g. ``{TransformerBlock}``: every instance), an ``int``
            (a module whose parameters not held by an already sharded descendant reach that count) or a
            callable ``(qualified_name, module) -> bool``. See ``docs/guides/fsdp-and-sharded-checkpoints.md``.
        kwargs: arguments of ``DistributedDataParallel`` / ``DataParallel`` (or ``fully_shard``).

    ```python
    model = idist.auto_model(model)
    optimizer = idist.auto_optim(torch.optim.SGD(model.parameters(), lr=0.01))
    ```
    """
    logger = _logger("auto_model")
    if fsdp:  # bad input fails on any world size, before the model is touched
        from ignite.distributed._fsdp import _as_predicate, _check_kwargs, require_fully_shard

        require_fully_shard()
        _as_predicate(fsdp_policy)
        _check_kwargs(kwargs)
    elif fsdp_policy is not None:
        raise ValueError("Argument fsdp_policy needs fsdp=True")

    device = idist.device()
    if not all(p.device == device for p in model.parameters()):
        model.to(device)

    world_size = idist.get_world_size()
    bnd = idist.backend()
    if world_size > 1:
        if bnd in _NATIVE_BACKENDS:
            if sync_bn:
                if device.type == "cpu":
                    # upstream converts, then DistributedDataParallel refuses the model: fail as early, clearer
                    raise ValueError(
                        "Argument sync_bn=True cannot be used on CPU: SyncBatchNorm layers only work with GPU "
                        "modules (torch's DistributedDataParallel and SyncBatchNorm refuse CPU ones). "
                        "Use sync_bn=False for CPU runs."
                    )
                logger.info("Convert batch norm to sync batch norm")
                model = nn.SyncBatchNorm.convert_sync_batchnorm(model)

            if fsdp:
                from ignite.distributed._fsdp import apply_fsdp

                logger.info("Apply FSDP2 fully_shard on model")
                return apply_fsdp(model, fsdp_policy, world_size, device.type, **kwargs)

            from torch.nn.parallel import DistributedDataParallel

            if torch.cuda.is_available():
                if "device_ids" in kwargs:
                    raise ValueError(f"Argument kwargs should not contain 'device_ids', but got {kwargs}")
                lrank = idist.get_local_rank()
                logger.info(f"Apply torch DistributedDataParallel on model, device id: {lrank}")
                kwargs["device_ids"] = [lrank]
            else:
                logger.info("Apply torch DistributedDataParallel on model")
            return DistributedDataParallel(model, **kwargs)

        if idist_hvd.has_hvd_support and bnd == "horovod":
            import horovod.torch as hvd

            logger.info("Broadcast the initial variable states from rank 0 to all other processes")
            hvd.broadcast_parameters(model.state_dict(), root_rank=0)
            return model

        return model

    if torch.cuda.device_count() > 1 and "cuda" in device.type:
        logger.info("Apply torch DataParallel on model")
        return nn.DataParallel(model, **kwargs)

    return model


def auto_optim(optimizer: Optimizer, **kwargs: Any) -> Optimizer:
    """Adapt ``optimizer`` to the distributed configuration.

    * XLA: ``step`` goes through ``xm.optimizer_step(..., barrier=True)`` (the result is an instance of the
      optimizer's own class and keeps the original as ``wrapped_optimizer``);
    * Horovod: ``hvd.DistributedOptimizer(optimizer, **kwargs)`` and its state broadcast from rank 0;
    * otherwise the optimizer itself.

    ```python
    optimizer = idist.auto_optim(torch.optim.SGD(model.parameters(), lr=0.01))
    ```
    """
    bnd = idist.backend()
    if idist_xla.has_xla_support and bnd == "xla-tpu":
        return _xla_distributed_optimizer(optimizer)

    if idist_hvd.has_hvd_support and bnd == "horovod":
        import horovod.torch as hvd

        optimizer = hvd.DistributedOptimizer(optimizer, **kwargs)
        hvd.broadcast_optimizer_state(optimizer, root_rank=0)
        return optimizer

    return optimizer


def _xla_step(self: Any, closure: Any = None) -> Any:
    import torch_xla.core.xla_model as xm

    return xm.optimizer_step(self.wrapped_optimizer, barrier=True)


def _xla_distributed_optimizer(optimizer: Optimizer) -> Optimizer:
    """An instance of a subclass of ``type(optimizer)`` sharing its state, whose ``step`` runs on XLA."""
    base = type(optimizer)
    cls = type(base.__name__, (base,), {"step": _xla_step, "__module__": base.__module__})
    new = cls.__new__(cls)
    # share param_groups, state and defaults with the wrapped optimizer (no constructor call needed)
    new.__dict__.update(optimizer.__dict__)
    new.wrapped_optimizer = optimizer
    return new


class DistributedProxySampler(DistributedSampler):
    """Distributed sampler proxy: each process takes a distinct slice of the indices of ``sampler``.

    Every process iterates the wrapped sampler with the same seed (the epoch, see ``set_epoch``), so random
    samplers draw the same sequence everywhere and the union over processes is one draw of the wrapped
    sampler. The global torch RNG is left untouched.

    Args:
        sampler: input sampler with a length.
        num_replicas: number of processes (default: the world size).
        rank: rank of this process (default: the global rank).
        pad: pad the indices with repeated ones so that every process gets the same number of indices
            (default, as ``DistributedSampler``); with False every index goes to exactly one process.

    ```python
    sampler = WeightedRandomSampler(weights, num_samples=len(weights))
    loader = DataLoader(ds, sampler=DistributedProxySampler(sampler), batch_size=32)
    ```
    """

    def __init__(
        self, sampler: Sampler, num_replicas: int | None = None, rank: int | None = None, pad: bool = True
    ) -> None:
        if not isinstance(sampler, Sampler):
            raise TypeError(f"Argument sampler should be instance of torch Sampler, but given: {type(sampler)}")
        if isinstance(sampler, DistributedSampler):
            raise TypeError("Argument sampler must not be a distributed sampler already")
        if not hasattr(sampler, "__len__"):
            raise TypeError("Argument sampler should have length")

        super().__init__(sampler, num_replicas=num_replicas, rank=rank, shuffle=False)  # type: ignore[arg-type]
        self.sampler = sampler
        self.pad = pad
        if not pad:
            n = len(sampler)  # type: ignore[arg-type]
            self.total_size = n
            self.num_samples = len(range(self.rank, n, self.num_replicas))

    def _sampler_indices(self) -> list[int]:
        state = torch.get_rng_state()
        try:
            torch.default_generator.manual_seed(self.epoch)
            indices: list[int] = []
            while len(indices) < self.total_size:
                indices += list(self.sampler)
                if not self.pad:
                    break
        finally:
            torch.set_rng_state(state)
        return indices

    def __iter__(self) -> Iterator:
        indices = self._sampler_indices()
        if len(indices) > self.total_size:
            indices = indices[: self.total_size]
        indices = indices[self.rank : self.total_size : self.num_replicas]
        if len(indices) != self.num_samples:
            raise RuntimeError(f"{len(indices)} vs {self.num_samples}")
        return iter(indices)


class DistributedExactSampler(DistributedSampler):
    """``DistributedSampler`` without padding: every index goes to exactly one process.

    Process ``r`` gets indices ``r, r + world_size, ...`` of the (optionally shuffled, seeded by
    ``seed + epoch`` as ``DistributedSampler``) order, so processes get at most one sample apart. Meant for
    evaluation, where duplicates would bias metrics.
    """

    def __init__(
        self,
        dataset: Dataset,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = False,
        seed: int = 0,
    ) -> None:
        super().__init__(dataset, num_replicas=num_replicas, rank=rank, shuffle=shuffle, seed=seed)
        n = len(dataset)  # type: ignore[arg-type]
        self.total_size = n
        self.num_samples = len(range(self.rank, n, self.num_replicas))

    def __iter__(self) -> Iterator:
        n = self.total_size
        if self.shuffle:
            g = torch.Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = torch.randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        return iter(indices[self.rank : n : self.num_replicas])


class _MpDeviceLoader:
    """Fallback of torch_xla's ``MpDeviceLoader``: iterate a ``ParallelLoader``'s per-device loader."""

    def __init__(self, loader: Any, device: torch.device, **kwargs: Any) -> None:
        self._loader = loader
        self._device = device
        self._parallel_loader_kwargs = kwargs

    def __iter__(self) -> Iterator:
        from torch_xla.distributed.parallel_loader import ParallelLoader

        parallel_loader = ParallelLoader(self._loader, [self._device], **self._parallel_loader_kwargs)
        return parallel_loader.per_device_loader(self._device)

    def __len__(self) -> int:
        return len(self._loader)
