#!/usr/bin/env python
"""Checkpoint/DiskSaver save and load time versus bare torch.save / torch.load.

Model: 3 x nn.Linear(2048, 2048) = 12.6 M float32 parameters (~50 MB), with an
Adam optimizer after one step (exp_avg + exp_avg_sq: ~100 MB of state), so each
checkpoint file is ~150 MB.

Save, ignite: Checkpoint({"model", "optimizer"}, DiskSaver(dir), n_saved=2) attached
to an Engine on ITERATION_COMPLETED; each call is timed by handlers registered
just before and just after it (so engine time is not counted).
Save, bare:   torch.save({"model": sd, "optimizer": sd}, file) and removal of the
file two saves back (the same n_saved=2 rotation).
Each engine iteration does one ignite save and one bare save, alternating which
goes first; the first round of saves is an untimed warm-up.
Load, ignite: Checkpoint.load_objects(to_load, checkpoint=<path>)   (path form)
              and torch.load + Checkpoint.load_objects(to_load, checkpoint=<dict>)
Load, bare:   torch.load(path) + model.load_state_dict + optimizer.load_state_dict.
All loads read the same file (in the OS page cache after the first read).
Before every timed save, outside the timed region, a scratch file of the checkpoint's
size is written, synced and deleted (see PageCacheWarmer; --no-prewarm to skip).

Async save (ignite-ng): Checkpoint(..., async_save=True) attached the same way; each call is timed
(the time the training loop is blocked: CPU snapshot of the tensors and hand-off to the writer
thread) after waiting, outside the timed region, for the previous background write to finish
(as if training took longer than a write). The first call (buffer allocation) is a warm-up.
Reported as a ratio to the median synchronous ignite save, and to one copy of the state's bytes measured just
before each call (see CopyYardstick): the target is blocked time <= 1.25x one memcpy at memory bandwidth.

Save times on a shared machine drift by 2-4x within one run (page cache and disk contention), so besides the
ratio of medians the script reports the median of per-iteration ratios (ignite save / bare save of the same
iteration) and of per-iteration differences.

Only the public ignite API is used. Prints ONE JSON line on stdout.
    python bench/checkpoint_io.py --quick
    python bench/checkpoint_io.py --dir /some/scratch/dir   # default: a temp dir
"""

import argparse
import gc
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time

import torch
from torch import nn


def _env_info():
    info = {"python": platform.python_version(), "torch": torch.__version__, "torch_threads": torch.get_num_threads()}
    try:
        import ignite

        info["ignite_version"] = getattr(ignite, "__version__", None)
    except Exception as e:
        info["ignite_version"] = f"import failed: {e!r}"
    return info


def make_objects(width=2048, depth=3):
    torch.manual_seed(0)
    model = nn.Sequential(*[nn.Linear(width, width) for _ in range(depth)])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.randn(4, width)).sum().backward()
    opt.step()
    opt.zero_grad()
    n_params = sum(p.numel() for p in model.parameters())
    return model, opt, n_params


class PageCacheWarmer:
    """On a VM, page-cache pages touched for the first time are slow (a host page fault per
    page), so a fresh 150 MB write can take 3x longer than one that reuses freed pages.
    Before every timed save (outside the timed region) we write and delete a scratch file
    of the checkpoint's size and os.sync(), so each timed save starts from the same clean,
    warm state instead of depending on which save came first (--no-prewarm to skip)."""

    def __init__(self, dirname, nbytes, enabled=True):
        self.path = os.path.join(dirname, ".scratch")
        self.buf = b"\0" * nbytes if enabled else b""
        self.enabled = enabled

    def __call__(self):
        if not self.enabled:
            return
        with open(self.path, "wb") as f:
            f.write(self.buf)
        if hasattr(os, "sync"):
            os.sync()
        os.remove(self.path)


class BareSaver:
    """torch.save of the same dict plus the n_saved=2 rotation, timed."""

    def __init__(self, model, opt, dirname):
        self.model, self.opt, self.dirname = model, opt, dirname
        self.paths, self.times, self.k = [], [], 0
        os.makedirs(dirname, exist_ok=True)

    def save(self):
        t0 = time.perf_counter()
        path = os.path.join(self.dirname, f"bare_{self.k}.pt")
        torch.save({"model": self.model.state_dict(), "optimizer": self.opt.state_dict()}, path)
        self.paths.append(path)
        if len(self.paths) > 2:
            os.remove(self.paths.pop(0))
        self.times.append(time.perf_counter() - t0)
        self.k += 1


def save_times(model, opt, root, n_saves, warmer):
    """One Engine run of n_saves iterations; each iteration does one ignite Checkpoint save
    and one bare save, alternating which goes first; returns per-save times for both."""
    from ignite.engine import Engine, Events
    from ignite.handlers import Checkpoint, DiskSaver

    idir = os.path.join(root, "ignite")
    ckpt = Checkpoint(
        {"model": model, "optimizer": opt},
        DiskSaver(idir, create_dir=True, require_empty=False),
        n_saved=2,
    )
    bare = BareSaver(model, opt, os.path.join(root, "bare"))
    engine = Engine(lambda e, b: None)
    marks = []

    def bare_first(e):
        if e.state.iteration % 2 == 1:
            warmer()
            bare.save()
        warmer()
        marks.append(time.perf_counter())

    def bare_second(e):
        marks.append(time.perf_counter())
        if e.state.iteration % 2 == 0:
            warmer()
            bare.save()

    engine.add_event_handler(Events.ITERATION_COMPLETED, bare_first)
    engine.add_event_handler(Events.ITERATION_COMPLETED, ckpt)
    engine.add_event_handler(Events.ITERATION_COMPLETED, bare_second)
    gc.collect()
    engine.run(list(range(n_saves)), max_epochs=1)
    ign = [marks[i + 1] - marks[i] for i in range(0, len(marks), 2)]
    files = sorted(f for f in os.listdir(idir) if not f.startswith("."))
    last = ckpt.last_checkpoint
    last = os.fspath(last) if last is not None else None
    if last is not None and not os.path.isabs(last):
        last = os.path.join(idir, last)
    return ign, bare.times, files, last


def _state_tensors(model, opt):
    found = {}
    for t in list(model.state_dict().values()) + [
        v for st in opt.state_dict()["state"].values() for v in st.values() if isinstance(v, torch.Tensor)
    ]:
        found[t.untyped_storage().data_ptr()] = t
    return list(found.values())


class CopyYardstick:
    """The cost of one copy of the checkpoint's tensors, measured next to each async save:
    memcpy: one ``memcpy`` (ctypes.memmove, one thread) of as many bytes, between two buffers allocated and
    touched once (the machine's memory bandwidth); empty_like: ``torch.empty_like(t).copy_(t)`` of every
    tensor (fresh memory each time: page faults included, what a naive snapshot costs)."""

    def __init__(self, tensors):
        self.tensors = tensors
        nbytes = sum(t.untyped_storage().nbytes() for t in tensors)
        self.src = torch.ones(nbytes, dtype=torch.uint8)
        self.dst = torch.ones(nbytes, dtype=torch.uint8)
        self.nbytes = nbytes
        self.memcpy, self.empty_like = [], []

    def __call__(self):
        import ctypes

        t0 = time.perf_counter()
        ctypes.memmove(self.dst.data_ptr(), self.src.data_ptr(), self.nbytes)
        self.memcpy.append(time.perf_counter() - t0)
        gc.collect()
        t0 = time.perf_counter()
        copies = [torch.empty_like(t).copy_(t) for t in self.tensors]
        self.empty_like.append(time.perf_counter() - t0)
        del copies


def async_block_times(model, opt, root, n_saves, warmer, yardstick=None):
    """Time each async Checkpoint call (the blocking part) after the previous write has finished."""
    from ignite.engine import Engine, Events
    from ignite.handlers import Checkpoint, DiskSaver

    adir = os.path.join(root, "async")
    ckpt = Checkpoint(
        {"model": model, "optimizer": opt},
        DiskSaver(adir, create_dir=True, require_empty=False),
        n_saved=2,
        async_save=True,
    )
    engine = Engine(lambda e, b: None)
    marks = []

    def before(e):
        ckpt.wait()
        warmer()
        if yardstick is not None and e.state.iteration > 1:
            yardstick()
        gc.collect()
        marks.append(time.perf_counter())

    engine.add_event_handler(Events.ITERATION_COMPLETED, before)
    engine.add_event_handler(Events.ITERATION_COMPLETED, ckpt)
    engine.add_event_handler(Events.ITERATION_COMPLETED, lambda e: marks.append(time.perf_counter()))
    gc.collect()
    engine.run(list(range(n_saves + 1)), max_epochs=1)
    ckpt.wait()
    times = [marks[i + 1] - marks[i] for i in range(0, len(marks), 2)]
    files = sorted(f for f in os.listdir(adir) if not f.startswith("."))
    return times[1:], files


def load_ignite_path(model, opt, path):
    from ignite.handlers import Checkpoint

    t0 = time.perf_counter()
    Checkpoint.load_objects(to_load={"model": model, "optimizer": opt}, checkpoint=path)
    return time.perf_counter() - t0


def load_ignite_dict(model, opt, path):
    from ignite.handlers import Checkpoint

    t0 = time.perf_counter()
    sd = torch.load(path)
    Checkpoint.load_objects(to_load={"model": model, "optimizer": opt}, checkpoint=sd)
    return time.perf_counter() - t0


def load_bare(model, opt, path):
    t0 = time.perf_counter()
    sd = torch.load(path)
    model.load_state_dict(sd["model"])
    opt.load_state_dict(sd["optimizer"])
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small model (~3 MB), 2 rounds of 3 saves")
    ap.add_argument("--rounds", type=int, default=None, help="rounds of saves, the first untimed (default 4; quick 2)")
    ap.add_argument(
        "--saves",
        type=int,
        default=None,
        help="saves per round, each an ignite save and a bare save (default 4; quick 3)",
    )
    ap.add_argument("--load-repeats", type=int, default=None, help="loads per method (default 9; quick 3)")
    ap.add_argument("--dir", default=None, help="scratch directory (default: a new temp dir, removed at the end)")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    ap.add_argument(
        "--no-prewarm", action="store_true", help="skip the scratch write + os.sync() before each timed save"
    )
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    rounds = args.rounds or (2 if args.quick else 4)
    saves = args.saves or (3 if args.quick else 4)
    load_reps = args.load_repeats or (3 if args.quick else 9)
    model, opt, n_params = make_objects(width=512 if args.quick else 2048)
    est_bytes = int(n_params * 4 * 3 * 1.01)

    root = tempfile.mkdtemp(prefix="bench_ckpt_", dir=args.dir)
    try:
        warmer = PageCacheWarmer(root, est_bytes, enabled=not args.no_prewarm)
        ign, bare = [], []
        files_ok = True
        last_ign = None
        for r in range(rounds):
            d = os.path.join(root, f"round_{r}")
            ti, tb, files, last_ign = save_times(model, opt, d, saves, warmer)
            files_ok &= len(files) == min(2, saves)
            if r > 0:  # round 0 is warm-up
                ign += ti
                bare += tb
            if r < rounds - 1:
                shutil.rmtree(d, ignore_errors=True)
        size_mb = os.path.getsize(last_ign) / 1e6
        yardstick = CopyYardstick(_state_tensors(model, opt))
        async_times, async_files = async_block_times(model, opt, root, saves * (rounds - 1), warmer, yardstick)
        files_ok &= len(async_files) == 2

        loads = {"ignite_path": [], "ignite_dict": [], "bare": []}
        fns = {"ignite_path": load_ignite_path, "ignite_dict": load_ignite_dict, "bare": load_bare}
        for fn in fns.values():
            fn(model, opt, last_ign)  # warm-up (also fills the page cache)
        for _ in range(load_reps):
            for name, fn in fns.items():
                gc.collect()
                loads[name].append(fn(model, opt, last_ign))
    finally:
        shutil.rmtree(root, ignore_errors=True)

    s_i, s_b = statistics.median(ign), statistics.median(bare)
    res = {
        "save_ignite_s": round(s_i, 4),
        "save_ignite_s_min": round(min(ign), 4),
        "save_ignite_s_max": round(max(ign), 4),
        "save_bare_s": round(s_b, 4),
        "save_bare_s_min": round(min(bare), 4),
        "save_bare_s_max": round(max(bare), 4),
        "save_ratio_ignite_to_bare": round(s_i / s_b, 3),
        # each ignite save against the bare save of the same iteration: robust to the machine's drift over a run
        "save_ratio_paired_median": round(statistics.median(i / b for i, b in zip(ign, bare)), 3),
        "save_extra_s_paired_median": round(statistics.median(i - b for i, b in zip(ign, bare)), 4),
        "save_ignite_MB_per_s": round(size_mb / s_i, 1),
        "n_saved_files_ok": bool(files_ok),
        "async_block_s": round(statistics.median(async_times), 4),
        "async_block_s_max": round(max(async_times), 4),
        "async_block_ratio_to_sync_save": round(statistics.median(async_times) / s_i, 3),
        # the target: blocked time <= 1.25x one copy of the state at memory bandwidth (measured alongside)
        "state_MB": round(yardstick.nbytes / 1e6, 1),
        "copy_memcpy_s": round(statistics.median(yardstick.memcpy), 4),
        "copy_empty_like_s": round(statistics.median(yardstick.empty_like), 4),
        "async_block_ratio_to_memcpy": round(statistics.median(async_times) / statistics.median(yardstick.memcpy), 3),
        # each async save against the memcpy just before it
        "async_block_ratio_to_memcpy_paired": round(
            statistics.median(a / m for a, m in zip(async_times, yardstick.memcpy)), 3
        ),
        "async_block_ratio_to_empty_like": round(
            statistics.median(async_times) / statistics.median(yardstick.empty_like), 3
        ),
        "async_block_target_ratio_to_memcpy": 1.25,
    }
    lb = statistics.median(loads["bare"])
    for name in ("ignite_path", "ignite_dict", "bare"):
        m = statistics.median(loads[name])
        res[f"load_{name}_s"] = round(m, 4)
        if name != "bare":
            res[f"load_{name}_ratio_to_bare"] = round(m / lb, 3)
    print(f"[checkpoint_io] {res}", file=sys.stderr)
    out = {
        "bench": "checkpoint_io",
        "quick": bool(args.quick),
        "n_params": n_params,
        "param_MB": round(n_params * 4 / 1e6, 1),
        "file_MB": round(size_mb, 1),
        "timed_saves_each": len(ign),
        "load_repeats": load_reps,
        "prewarm_before_saves": not args.no_prewarm,
        "stat": "median",
        "env": _env_info(),
        "results": res,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
