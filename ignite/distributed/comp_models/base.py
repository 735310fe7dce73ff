"""The computation-model interface shared by every distributed engine, and the serial model."""

from __future__ import annotations

import numbers
from abc import ABCMeta, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, cast

import torch

__all__ = ["ComputationModel", "_SerialModel"]

_torch_version_gt_112 = torch.__version__ > "1.12.0"  # TorchVersion compares with version strings

# dtype names as ``str(dtype)`` prints them ("torch.float32", ...): decoding a broadcast placeholder
# maps the received name through this table instead of evaluating it.
_DTYPES: dict[str, torch.dtype] = {}


def _dtype_from_str(name: str) -> torch.dtype | None:
    if not _DTYPES:
        _DTYPES.update({str(v): v for v in vars(torch).values() if isinstance(v, torch.dtype)})
    return _DTYPES.get(name)


class ComputationModel(metaclass=ABCMeta):
    """One way of running the same code on one or several processes (serial, torch.distributed, ...).

    Subclasses provide the ``_do_*`` primitives; the generic collectives here handle Python numbers,
    strings and tensors living on another device.
    """

    name: ClassVar[str] = "base"
    available_backends: ClassVar[tuple[str, ...]] = ()

    # set by ``idist.set_local_rank``: used by the native model when LOCAL_RANK is not in the environment
    _ext_local_rank: ClassVar[int | None] = None
    # XLA casts everything that is not float32/float64 to float32 for its collectives
    _collective_op_dtype: ClassVar[torch.dtype | None] = None

    def __init__(self) -> None:
        self._backend: str | None = None
        self._nproc_per_node: int | None = None
        self._nnodes: int | None = None
        self._node: int | None = None
        self._group_cache: dict[tuple[int, ...], Any] = {}

    def _group_from_ranks(self, ranks: list[int]) -> Any:
        """The group of ``ranks`` for a collective called with a list of ranks, created once.

        Every process calls a collective with the same arguments in the same order, so caching the group
        per list of ranks is consistent across processes; it saves a group creation (a rendezvous on
        torch.distributed, a new process set on Horovod) per call.
        """
        key = tuple(ranks)
        group = self._group_cache.get(key)
        if group is None:
            group = self.new_group(list(ranks))
            self._group_cache[key] = group
        return group

    def _setup_attrs(self) -> None:
        world_size = self.get_world_size()
        if self._nproc_per_node is None:
            self._nproc_per_node = self._compute_nproc_per_node() if world_size > 1 else 1
        if self._nnodes is None:
            self._nnodes = world_size // self._nproc_per_node
        if self._node is None:
            self._node = self.get_rank() // self._nproc_per_node

    # ------------------------------------------------------------------ abstract API

    @abstractmethod
    def _compute_nproc_per_node(self) -> int:
        pass

    @abstractmethod
    def get_local_rank(self) -> int:
        pass

    @abstractmethod
    def get_rank(self) -> int:
        pass

    @abstractmethod
    def get_world_size(self) -> int:
        pass

    # the layout found by ``_setup_attrs`` (or given by the launcher), the same in every distributed model

    def get_nproc_per_node(self) -> int:
        return cast(int, self._nproc_per_node)

    def get_nnodes(self) -> int:
        return cast(int, self._nnodes)

    def get_node_rank(self) -> int:
        return cast(int, self._node)

    @abstractmethod
    def device(self) -> torch.device:
        pass

    @abstractmethod
    def backend(self) -> str | None:
        pass

    @abstractmethod
    def finalize(self) -> None:
        pass

    @staticmethod
    @abstractmethod
    def create_from_context() -> ComputationModel | None:
        pass

    @staticmethod
    @abstractmethod
    def create_from_backend(backend: str, **kwargs: Any) -> ComputationModel:
        pass

    @staticmethod
    @abstractmethod
    def spawn(*args: Any, **kwargs: Any) -> None:
        pass

    @abstractmethod
    def _do_all_reduce(self, tensor: torch.Tensor, op: str = "SUM", group: Any | None = None) -> torch.Tensor:
        pass

    @abstractmethod
    def _do_all_gather(self, tensor: torch.Tensor, group: Any | None = None) -> torch.Tensor:
        pass

    @abstractmethod
    def _do_all_gather_object(self, tensor: Any, group: Any | None = None) -> list[Any]:
        pass

    @abstractmethod
    def _do_broadcast(self, tensor: torch.Tensor, src: int) -> torch.Tensor:
        pass

    @abstractmethod
    def barrier(self) -> None:
        pass

    @abstractmethod
    def _do_new_group(self, ranks: list[int], **kwargs: Any) -> Any:
        pass

    @abstractmethod
    def _rank_not_in_group(self, group: Any) -> bool:
        pass

    # ------------------------------------------------------------------ encoding helpers

    @staticmethod
    def _encode_str(x: str, device: torch.device, size: int) -> torch.Tensor:
        """UTF-8 bytes of ``x`` in a ``(1, size + 1)`` long tensor, zero padded, byte length in the last slot."""
        data = x.encode("utf-8")
        if len(data) > size:
            raise ValueError(f"Encoded string is longer ({len(data)} bytes) than the given size {size}")
        padded = list(data) + [0] * (size - len(data)) + [len(data)]
        return torch.tensor(padded, dtype=torch.long, device=device).unsqueeze(0)

    @staticmethod
    def _decode_str(xs: torch.Tensor) -> list[str]:
        rows = xs.cpu().tolist()
        return [bytes(row[: row[-1]]).decode("utf-8") for row in rows]

    def _get_max_length(self, x: str, device: torch.device) -> int:
        # byte length, so that non-ASCII strings fit in the encoded tensor
        size = torch.tensor([len(x.encode("utf-8"))], device=device)
        size = self._do_all_reduce(size, op="MAX")
        return int(size.item())

    @staticmethod
    def _encode_input_data(x: torch.Tensor | float | str | Path | None, is_src: bool) -> list[int]:
        """512 ints describing the type (and shape/dtype for tensors) of ``x``; all -1 unless ``is_src``."""
        encoded_msg = [-1] * 512
        if not is_src:
            return encoded_msg
        if isinstance(x, torch.Tensor):
            shape = list(x.shape)
            dtype = list(str(x.dtype).encode("utf-8"))
            msg = [0, len(shape), *shape, len(dtype), *dtype]
            if len(msg) > len(encoded_msg):
                raise ValueError(f"Tensor with {len(shape)} dimensions can not be described in 512 integers")
            encoded_msg[: len(msg)] = msg
        elif isinstance(x, numbers.Number):
            encoded_msg[0] = 1
        elif isinstance(x, str):
            encoded_msg[0] = 2
        elif isinstance(x, Path):
            encoded_msg[0] = 3
        return encoded_msg

    @staticmethod
    def _decode_as_placeholder(encoded_msg: list[int], device: torch.device) -> torch.Tensor | float | str | Path:
        code = encoded_msg[0]
        if code == 0:
            ndim = encoded_msg[1]
            end = 2 + ndim
            shape = encoded_msg[2:end]
            len_dtype = encoded_msg[end]
            dtype_str = bytes(encoded_msg[end + 1 : end + 1 + len_dtype]).decode("utf-8")
            dtype = _dtype_from_str(dtype_str)
            if dtype is None:
                raise RuntimeError(f"Internal error: unknown dtype '{dtype_str}', encoded_msg={encoded_msg}")
            return torch.empty(shape, device=device, dtype=dtype)
        if code == 1:
            return 0.0
        if code == 2:
            return ""
        if code == 3:
            return Path("")
        raise RuntimeError(f"Internal error: unhandled dtype {code}, encoded_msg={encoded_msg}")

    def _setup_placeholder(
        self, x: torch.Tensor | float | str | Path | None, device: torch.device, is_src: bool
    ) -> torch.Tensor | float | str | Path:
        encoded = torch.tensor(self._encode_input_data(x, is_src), device=device)
        encoded = self._do_all_reduce(encoded, op="MAX")
        if is_src:
            if x is None:
                raise RuntimeError("Internal error, x is None. Please, file an issue if you encounter this error.")
            return x
        return self._decode_as_placeholder(encoded.cpu().tolist(), device)

    # ------------------------------------------------------------------ generic collectives

    def _apply_op(self, tensor: torch.Tensor, device: torch.device, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        out_dtype = None
        tensor_device = None
        # cast to the dtype the backend needs (XLA), then back
        if self._collective_op_dtype is not None and tensor.dtype not in (torch.float32, torch.float64):
            out_dtype = tensor.dtype
            tensor = tensor.to(self._collective_op_dtype)
        if tensor.device != device:
            tensor_device = tensor.device
            tensor = tensor.to(device)

        tensor = fn(tensor, *args, **kwargs)

        if out_dtype is not None and tensor_device is not None:
            return tensor.to(dtype=out_dtype, device=tensor_device)
        if out_dtype is not None:
            return tensor.to(dtype=out_dtype)
        if tensor_device is not None:
            return tensor.to(device=tensor_device)
        return tensor

    def _collective_op(
        self, tensor: torch.Tensor | float | str, fn: Callable, *args: Any, **kwargs: Any
    ) -> torch.Tensor | float | list[float] | list[str]:
        device = self.device()
        if isinstance(tensor, torch.Tensor):
            return self._apply_op(tensor, device, fn, *args, **kwargs)
        if isinstance(tensor, numbers.Number):
            dtype = self._collective_op_dtype
            if dtype is None and isinstance(tensor, float):
                dtype = torch.double
            t = torch.tensor(tensor, device=device, dtype=dtype)
            return self._apply_op(t, device, fn, *args, **kwargs).tolist()
        if isinstance(tensor, str):
            max_length = self._get_max_length(tensor, device)
            t = self._encode_str(tensor, device, size=max_length)
            return self._decode_str(self._apply_op(t, device, fn, *args, **kwargs))
        return self._apply_op(tensor, device, fn, *args, **kwargs)

    def all_reduce(
        self, tensor: torch.Tensor | float, op: str = "SUM", group: Any | None = None
    ) -> torch.Tensor | float:
        if not isinstance(tensor, (torch.Tensor, numbers.Number)):
            raise TypeError(f"Unhandled input type {type(tensor)}")
        # op names are case-insensitive ("sum" and "SUM" both work)
        return self._collective_op(tensor, self._do_all_reduce, op.upper() if isinstance(op, str) else op, group=group)

    def all_gather(
        self, tensor: torch.Tensor | float | str | Any, group: Any | None = None
    ) -> torch.Tensor | list[float] | list[str] | list[Any]:
        if type(tensor) is float or type(tensor) is int:
            # fast path for the most common Python numbers: a 1-d tensor made on the device, no copies
            dtype = self._collective_op_dtype or (torch.double if type(tensor) is float else torch.long)
            t = torch.tensor([tensor], dtype=dtype, device=self.device())
            out = self._do_all_gather(t, group=group)
            return tensor if out is t else out.tolist()
        if not isinstance(tensor, (torch.Tensor, numbers.Number, str)):
            return self._do_all_gather_object(tensor, group=group)
        if isinstance(tensor, str) and group is not None and self._rank_not_in_group(group):
            # the string length is agreed on by every process; outside the group the input comes back
            self._get_max_length(tensor, self.device())
            return tensor
        return self._collective_op(tensor, self._do_all_gather, group=group)

    def new_group(self, ranks: list[int], **kwargs: Any) -> Any:
        if isinstance(ranks, list) and all(isinstance(item, int) for item in ranks):
            return self._do_new_group(ranks, **kwargs)
        raise ValueError("Argument ranks should be list of int")

    def broadcast(
        self, tensor: torch.Tensor | float | str | Path | None, src: int = 0, safe_mode: bool = False
    ) -> torch.Tensor | float | str | Path:
        rank = self.get_rank()
        is_src = rank == src
        if (is_src or not safe_mode) and not (
            isinstance(tensor, (torch.Tensor, numbers.Number, str, Path)) or tensor is None
        ):
            raise TypeError(f"Unhandled input type {type(tensor)}")
        if tensor is None:
            if is_src:
                raise ValueError("Source data can not be None")
            if not safe_mode:
                raise ValueError("Argument safe_mode should be True if None is passed for non src rank")

        device = self.device()
        if safe_mode:
            tensor = self._setup_placeholder(tensor, device, is_src)

        if isinstance(tensor, numbers.Number):
            # float64 keeps doubles exact; the second slot says whether the source sent an int
            is_int = isinstance(tensor, numbers.Integral) and not isinstance(tensor, bool)
            t = torch.tensor([float(tensor), 1.0 if is_int else 0.0], device=device, dtype=torch.float64)
            if self._collective_op_dtype is not None:
                t = t.to(self._collective_op_dtype)
            value, flag = self._apply_op(t, device, self._do_broadcast, src).tolist()
            return int(value) if flag == 1.0 else value

        if isinstance(tensor, (str, Path)):
            to_path = isinstance(tensor, Path)
            text = str(tensor)
            max_length = self._get_max_length(text, device)
            if is_src:
                t = self._encode_str(text, device, size=max_length)
            else:
                t = torch.empty(1, max_length + 1, device=device, dtype=torch.long)
            decoded = self._decode_str(self._apply_op(t, device, self._do_broadcast, src))[0]
            return Path(decoded) if to_path else decoded

        return self._apply_op(tensor, device, self._do_broadcast, src)


def _current_cuda_device(local_rank: int) -> torch.device:
    """The current CUDA device (CPU without CUDA); warns when its index is below ``local_rank``, the usual sign
    that ``torch.cuda.set_device(local_rank)`` was not called."""
    if not torch.cuda.is_available():
        return torch.device("cpu")
    index = torch.cuda.current_device()
    if index < local_rank:
        import warnings

        warnings.warn(
            "Current device index is less than current local rank. "
            "Please, make sure to call torch.cuda.set_device(local_rank).",
            stacklevel=3,
        )
    return torch.device(f"cuda:{index}")


class _SerialModel(ComputationModel):
    """One process, no communication: every collective returns its input."""

    name = "serial"
    available_backends = ()

    def __init__(self, _backend: str | None = None, **kwargs: Any) -> None:
        super().__init__()

    def get_local_rank(self) -> int:
        return 0

    def get_rank(self) -> int:
        return 0

    def get_world_size(self) -> int:
        return 1

    def get_nproc_per_node(self) -> int:
        return 1

    def get_nnodes(self) -> int:
        return 1

    def get_node_rank(self) -> int:
        return 0

    def device(self) -> torch.device:
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _torch_version_gt_112 and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")

    def backend(self) -> str | None:
        return None

    def finalize(self) -> None:
        pass

    def _compute_nproc_per_node(self) -> int:
        return 1

    @staticmethod
    def create_from_context() -> _SerialModel:
        return _SerialModel()

    @staticmethod
    def create_from_backend(backend: str | None = None, **kwargs: Any) -> _SerialModel:
        return _SerialModel()

    @staticmethod
    def spawn(*args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("Serial computation model does not implement spawn method")

    def all_reduce(
        self, tensor: torch.Tensor | float, op: str = "SUM", group: Any | None = None
    ) -> torch.Tensor | float:
        return tensor

    def all_gather(
        self, tensor: torch.Tensor | float | str | Any, group: Any | None = None
    ) -> torch.Tensor | list[float] | list[str] | list[Any]:
        if isinstance(tensor, torch.Tensor):
            return tensor
        return [tensor]

    def broadcast(
        self, tensor: torch.Tensor | float | str | Path | None, src: int = 0, safe_mode: bool = False
    ) -> torch.Tensor | float | str | Path:
        if tensor is None:
            raise ValueError("Argument tensor should not be None")
        return tensor

    def barrier(self) -> None:
        pass

    def _do_all_reduce(self, tensor: torch.Tensor, op: str = "SUM", group: Any | None = None) -> torch.Tensor:
        return tensor

    def _do_all_gather(self, tensor: torch.Tensor, group: Any | None = None) -> torch.Tensor:
        return tensor

    def _do_all_gather_object(self, tensor: Any, group: Any | None = None) -> list[Any]:
        return [tensor]

    def _do_broadcast(self, tensor: torch.Tensor, src: int) -> torch.Tensor:
        return tensor

    def _do_new_group(self, ranks: list[int], **kwargs: Any) -> Any:
        return ranks

    def _rank_not_in_group(self, group: Any) -> bool:
        return False
