"""The ``compile=`` opt-in of the supervised factories: check that torch can honour it, then compile.

Nothing here imports ``torch._dynamo`` or ``torch._inductor`` until a factory is asked to compile.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch

# built-in optimizers whose ``step`` torch.compile cannot trace (LBFGS needs a closure)
_EAGER_ONLY_OPTIMIZERS = ("LBFGS", "SparseAdam")


def compile_options(compile: bool | Mapping[str, Any]) -> dict[str, Any] | None:
    """``None`` when compiling is off, else the keyword arguments for ``torch.compile``."""
    if isinstance(compile, bool):
        return {} if compile else None
    if isinstance(compile, Mapping):
        if not all(isinstance(k, str) for k in compile):
            raise TypeError(f"Argument compile should have string keys (torch.compile options), got {dict(compile)}")
        return dict(compile)
    raise TypeError(f"Argument compile should be a bool or a dict of torch.compile options, got {type(compile)}")


def _check_inductor(device: str | torch.device | None) -> None:
    device_type = torch.device(device).type if device is not None else "cpu"
    if device_type == "cuda":
        from torch.utils._triton import has_triton

        if not has_triton():
            raise RuntimeError(
                "compile with the 'inductor' backend on CUDA needs triton, which is not installed: install triton "
                "or pass compile={'backend': 'aot_eager'}"
            )
        return
    if device_type == "cpu":
        from torch._inductor import cpp_builder

        try:
            cpp_builder.get_cpp_compiler()
        except Exception as e:
            raise RuntimeError(
                "compile with the 'inductor' backend on CPU needs a C++ compiler (g++ or clang++), none was found "
                f"({e}); install one or pass compile={{'backend': 'aot_eager'}}"
            ) from None


def check_compile_support(options: Mapping[str, Any], device: str | torch.device | None) -> None:
    """Raise at construction when the installed torch cannot compile with ``options`` on ``device``.

    Names the missing piece: ``torch.compile`` itself, TorchDynamo on this Python, the backend, or what the
    inductor backend needs (a C++ compiler on CPU, triton on CUDA).
    """
    if not hasattr(torch, "compile"):
        raise RuntimeError(f"compile needs torch.compile (torch>=2.0), the installed torch is {torch.__version__}")
    import torch._dynamo as dynamo

    if not dynamo.is_dynamo_supported():
        raise RuntimeError(f"compile needs TorchDynamo, which torch {torch.__version__} does not support here")
    backend = options.get("backend", "inductor")
    if isinstance(backend, str):
        known = dynamo.list_backends(exclude_tags=())
        if backend not in known:
            raise RuntimeError(f"compile backend {backend!r} is not available; torch knows {sorted(known)}")
        if backend == "inductor":
            _check_inductor(device)
    elif not callable(backend):
        raise TypeError(f"compile option 'backend' should be a backend name or a callable, got {type(backend)}")


def compile_fn(fn: Callable, options: Mapping[str, Any]) -> Callable:
    """``torch.compile(fn, **options)``."""
    return torch.compile(fn, **options)


def compilable_optimizer(optimizer: Any) -> bool:
    """Whether to compile ``optimizer.step``: a built-in ``torch.optim`` optimizer whose learning rates are all
    tensors. With a float ``lr`` torch recompiles the step when a scheduler changes it, so the step stays eager
    (torch's own advice is to pass ``lr=torch.tensor(...)`` to a compiled optimizer)."""
    cls = type(optimizer)
    if not cls.__module__.startswith("torch.optim") or cls.__name__ in _EAGER_ONLY_OPTIMIZERS:
        return False
    groups: list[dict[str, Any]] = getattr(optimizer, "param_groups", None) or []
    return bool(groups) and all(isinstance(g.get("lr"), torch.Tensor) for g in groups)


def resolve(
    compile: bool | Mapping[str, Any], device: str | torch.device | None, model: Any = None
) -> dict[str, Any] | None:
    """Validate the ``compile`` argument of a factory (raises at construction); its ``torch.compile`` options.
    Without a ``device`` the backend is checked for the device of ``model``'s first parameter."""
    options = compile_options(compile)
    if options is not None:
        if device is None and isinstance(model, torch.nn.Module):
            device = next((p.device for p in model.parameters()), None)
        check_compile_support(options, device)
    return options


def optimizer_step(optimizer: Any, options: Mapping[str, Any] | None) -> Callable[[], Any]:
    """``optimizer.step``, compiled with ``options`` when torch can compile it without recompiling per lr."""
    if options is not None and compilable_optimizer(optimizer):
        # torch's optimizer step breaks the graph on purpose (``_use_grad``): ``fullgraph`` is for the model
        return compile_fn(optimizer.step, {k: v for k, v in options.items() if k != "fullgraph"})
    return optimizer.step
