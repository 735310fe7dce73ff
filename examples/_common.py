"""What the examples share: argument checks that fail with one line, the digits data, a small CNN, plots.

Not part of ignite; each example imports it as ``_common`` (it sits next to them).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

# ----------------------------------------------------------------------------------------------- arguments


class ArgumentParser(argparse.ArgumentParser):
    """``argparse`` that reports a bad argument in one line on stderr (no usage block) and exits with 2."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def parser(doc: str | None, name: str) -> ArgumentParser:
    """A parser with the options every example has: ``--fast``, ``--output-dir`` and ``--seed``."""
    p = ArgumentParser(prog=f"{name}.py", description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--fast", action="store_true", help="a short run on little data (what CI runs)")
    p.add_argument(
        "--output-dir", type=output_dir, default=Path("build", "examples", name), help="where results are written"
    )
    p.add_argument("--seed", type=non_negative_int, default=0)
    p.add_argument(
        "--threads", type=positive_int, default=1, help="torch CPU threads (the models are small: 1 is fastest)"
    )
    return p


def parse(p: argparse.ArgumentParser, argv: Sequence[str] | None, fast_epochs: int | None = None) -> argparse.Namespace:
    """Parse the arguments and apply ``--threads``; with ``--fast``, ``--epochs`` is capped at ``fast_epochs``."""
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.fast and fast_epochs is not None:
        args.epochs = min(args.epochs, fast_epochs)
    return args


def positive_int(text: str) -> int:
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"should be a positive integer, got {text}")
    return value


def non_negative_int(text: str) -> int:
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"should be a non-negative integer, got {text}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"should be a positive number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"should be a positive number, got {text}")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"should be an integer, got {text!r}") from None


def existing_dir(text: str) -> Path:
    path = Path(text)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"directory {text} does not exist")
    return path


def digits_dir(text: str) -> Path:
    """A directory holding ``digits.npz`` (see :func:`digits`)."""
    path = existing_dir(text)
    if not (path / "digits.npz").is_file():
        raise argparse.ArgumentTypeError(f"directory {text} has no digits.npz (arrays 'images' and 'labels')")
    return path


def existing_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"file {text} does not exist")
    return path


def output_dir(text: str) -> Path:
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} exists and is not a directory")
    return path


def report(results: dict[str, Any]) -> None:
    """Print the run's results as the last line, ``RESULT {...}`` (the tests read it)."""
    print("RESULT " + json.dumps(results, sort_keys=True), flush=True)


# ----------------------------------------------------------------------------------------------------- data


def sklearn_csv(name: str) -> torch.Tensor:
    """A table that ships with scikit-learn (``digits.csv.gz``, ``diabetes_data_raw.csv.gz``, ...), read
    without importing scikit-learn (which takes longer than the examples' fast modes)."""
    import importlib.util

    import numpy as np

    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("error: these examples read data shipped with scikit-learn: pip install scikit-learn")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / name
    return torch.tensor(np.loadtxt(path, delimiter=None if "diabetes" in name else ","), dtype=torch.float32)


def stratified_split(labels: torch.Tensor, fractions: Sequence[float], seed: int) -> list[torch.Tensor]:
    """Index tensors splitting every class in the given fractions (the last part takes the rest)."""
    generator = torch.Generator().manual_seed(seed)
    parts: list[list[torch.Tensor]] = [[] for _ in fractions]
    for label in labels.unique():
        index = (labels == label).nonzero().flatten()
        index = index[torch.randperm(len(index), generator=generator)]
        start = 0
        for i, fraction in enumerate(fractions):
            stop = len(index) if i == len(fractions) - 1 else start + round(fraction * len(index))
            parts[i].append(index[start:stop])
            start = stop
    return [torch.cat(p)[torch.randperm(sum(len(x) for x in p), generator=generator)] for p in parts]


def digits(data_dir: Path | None = None, seed: int = 0) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """The 8x8 digits as ``(N, 1, 8, 8)`` floats in [0, 1] and labels, split 70/10/20 (train/val/test),
    stratified. By default scikit-learn's copy (1797 images); with ``data_dir``, ``data_dir/digits.npz``
    holding ``images`` ``(N, 8, 8)`` with values 0-16 and ``labels`` ``(N,)``."""
    if data_dir is None:
        table = sklearn_csv("digits.csv.gz")
        images, labels = table[:, :64], table[:, 64].long()
    else:
        import numpy as np

        with np.load(data_dir / "digits.npz") as archive:
            images, labels = torch.tensor(archive["images"]), torch.tensor(archive["labels"]).long()
    x = images.float().reshape(-1, 1, 8, 8) / 16.0
    train, val, test = stratified_split(labels, (0.7, 0.1, 0.2), seed)
    return {"train": (x[train], labels[train]), "val": (x[val], labels[val]), "test": (x[test], labels[test])}


def digits_cnn() -> nn.Module:
    """A small CNN for 8x8 digits (about 60k parameters)."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 4x4
        nn.Conv2d(64, 64, 3, padding=1),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(2),  # 2x2
        nn.Flatten(),
        nn.Dropout(0.3),
        nn.Linear(256, 10),
    )


# ---------------------------------------------------------------------------------------------------- plots


def pyplot() -> Any:
    """matplotlib's pyplot on the file-only Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    pyplot().close(fig)
    return path


def handlers_profile_chart(rows: list[list[Any]], path: Path, title: str) -> Path:
    """A horizontal bar chart of ``HandlersTimeProfiler.get_results()``: total seconds per handler."""
    plt = pyplot()
    bars = [(f"{name} ({event})" if event not in ("", "None") else name, total) for name, event, total, *_ in rows]
    bars = [(label, float(total)) for label, total in bars if isinstance(total, (int, float)) and label != "Total"]
    bars.sort(key=lambda bar: bar[1])
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(bars) + 1.2))
    container = ax.barh([label for label, _ in bars], [total for _, total in bars], color="tab:blue")
    ax.bar_label(container, fmt="%.3f s", padding=3, fontsize="small")
    ax.margins(x=0.15)
    ax.set_xlabel("total time (s)")
    ax.set_title(title)
    return save(fig, path)


def image_grid(images: torch.Tensor, path: Path, title: str, columns: int = 10) -> Path:
    """Save ``(N, 1, H, W)`` images with values in [0, 1] as a grid."""
    plt = pyplot()
    rows = (len(images) + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 0.8, rows * 0.8 + 0.4), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image in zip(axes.flat, images):
        ax.imshow(image[0].detach().cpu().numpy(), cmap="gray_r", vmin=0, vmax=1)
    fig.suptitle(title)
    return save(fig, path)


# ------------------------------------------------------------------------------------------ child processes


def run_until(command: Sequence[str], line_prefix: str, stop_signal: int | None) -> tuple[int, list[str]]:
    """Run ``command`` (a Python child); when it prints a line starting with ``line_prefix``, send it
    ``stop_signal`` (``None``: let it finish). Returns its exit code and its output lines."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    assert child.stdout is not None
    lines = []
    for line in child.stdout:
        lines.append(line.rstrip("\n"))
        if stop_signal is not None and line.startswith(line_prefix):
            child.send_signal(stop_signal)
            stop_signal = None  # once
    return child.wait(), lines


def python_command(script: str, *args: str) -> list[str]:
    return [sys.executable, script, *args]


SIGKILL = getattr(signal, "SIGKILL", signal.SIGTERM)


def digits_mlp_trainer(seed: int) -> tuple[Any, DataLoader, nn.Module, torch.optim.Optimizer]:
    """``(trainer, loader, model, optimizer)`` of the kill/resume examples: a dropout MLP on the digits, shuffled
    batches of 45 (28 a pass), SGD with momentum."""
    from ignite.engine import create_supervised_trainer

    x, y = digits(seed=seed)["train"]
    loader = DataLoader(TensorDataset(x.flatten(1), y), batch_size=45, shuffle=True)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))  # dropout: random
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return create_supervised_trainer(model, optimizer, nn.CrossEntropyLoss()), loader, model, optimizer


def print_iterations(trainer: Any) -> None:
    """Print ``iteration N`` after each iteration: the parent of a kill/resume example watches these lines."""
    from ignite.engine import Events

    trainer.add_event_handler(
        Events.ITERATION_COMPLETED, lambda engine: print(f"iteration {engine.state.iteration}", flush=True)
    )
