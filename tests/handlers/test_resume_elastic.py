"""Elastic exact resume: a pass over a DistributedSampler interrupted on W ranks continues on W' ranks.

The reference is torch's documented DistributedSampler order: ``randperm(N)`` seeded with ``seed + epoch``, of
which rank ``r`` of ``W`` takes positions ``r, r + W, ...`` (N is a multiple of every W used here, so no
padding); the ranks' batches of one step, interleaved, are that order.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

import ignite.distributed as idist
from ignite.engine import Engine, Events
from ignite.handlers.resume import ExactResume

sys.path.insert(0, str(Path(__file__).parent))
from elastic_resume_worker import BATCH, SEED, N  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[1] / "distributed"))
from idist_workers import free_port  # noqa: E402


def order(epoch: int) -> list[int]:
    return torch.randperm(N, generator=torch.Generator().manual_seed(SEED + epoch)).tolist()


def interleave(per_rank: list[list[list[int]]]) -> list[int]:
    """The global order of the ranks' batches: step by step, position by position, rank by rank."""
    steps = {len(batches) for batches in per_rank}
    assert len(steps) == 1, "the ranks took different numbers of steps"
    out = []
    for step in range(steps.pop()):
        batches = [batches[step] for batches in per_rank]
        for j in range(max(len(b) for b in batches)):
            out.extend(b[j] for b in batches if j < len(b))
    return out


def epoch_length(world: int) -> int:
    return -(-(N // world) // BATCH)  # the last batch of a rank may be partial


class Rank:
    """One rank of a simulated world, run in this process (a DistributedSampler with explicit rank/replicas)."""

    def __init__(self, world: int, rank: int) -> None:
        dataset = TensorDataset(torch.arange(N))
        self.sampler = DistributedSampler(dataset, num_replicas=world, rank=rank, shuffle=True, seed=SEED)
        self.loader = DataLoader(dataset, batch_size=BATCH, sampler=self.sampler)
        self.seen: list[tuple[int, list[int]]] = []
        self.trainer = Engine(lambda e, b: self.seen.append((e.state.epoch, b[0].tolist())))
        self.trainer.add_event_handler(Events.EPOCH_STARTED, lambda e: self.sampler.set_epoch(e.state.epoch - 1))
        self.resume = ExactResume(self.trainer)

    def run(self, max_epochs: int, stop_at: int | None = None) -> Rank:
        if stop_at is not None:
            self.trainer.add_event_handler(Events.ITERATION_COMPLETED(once=stop_at), lambda e: e.terminate())
        self.trainer.run(self.loader, max_epochs=max_epochs)
        return self

    def save(self) -> dict:
        return {"trainer": self.trainer.state_dict(), "resume": self.resume.state_dict()}

    def load(self, sd: dict) -> Rank:
        self.trainer.load_state_dict(sd["trainer"])
        self.resume.load_state_dict(sd["resume"])
        return self

    def batches(self, epoch: int) -> list[list[int]]:
        return [b for e, b in self.seen if e == epoch]


def through_a_file(sd: dict, tmp_path: Path) -> dict:
    torch.save(sd, tmp_path / "ckpt.pt")
    return torch.load(tmp_path / "ckpt.pt", weights_only=True)


@pytest.mark.parametrize(
    "before, after, stop_at",
    [(2, 1, 2), (1, 2, 13), (2, 2, 7), (2, 4, 3), (4, 2, 1), (1, 4, 2), (2, 1, 5)],
)
def test_rest_of_the_pass_is_dealt_to_the_new_ranks_in_order(tmp_path, before, after, stop_at):
    ranks = [Rank(before, r).run(max_epochs=3, stop_at=stop_at) for r in range(before)]
    saved = through_a_file(ranks[0].save(), tmp_path)  # rank 0 writes the checkpoint
    epoch = saved["trainer"]["iteration"] // epoch_length(before) + 1  # the interrupted epoch
    resumed = [Rank(after, r).load(saved).run(max_epochs=3) for r in range(after)]

    done = interleave([r.batches(epoch) for r in ranks]) if stop_at % epoch_length(before) else []
    rest = interleave([r.batches(epoch) for r in resumed])
    assert done + rest == order(epoch - 1)
    for later in range(epoch + 1, 4):  # the following epochs are the new world's own
        assert interleave([r.batches(later) for r in resumed]) == order(later - 1)
    new_length = epoch_length(after)
    assert [(r.trainer.state.epoch, r.trainer.state.iteration) for r in resumed] == [(3, 3 * new_length)] * after


def test_a_rest_that_the_new_ranks_cannot_share_raises(tmp_path):
    saved = through_a_file(Rank(1, 0).run(max_epochs=2, stop_at=2).save(), tmp_path)
    rank = Rank(3, 0).load(saved)
    with pytest.raises(ValueError, match=r"32 samples are left in the interrupted pass .* 3 ranks cannot share"):
        rank.run(max_epochs=2)


def test_a_world_size_change_without_a_distributed_sampler_raises(tmp_path):
    trainer = Engine(lambda e, b: None)
    resume = ExactResume(trainer)
    trainer.add_event_handler(Events.ITERATION_COMPLETED(once=3), lambda e: e.terminate())
    data = DataLoader(list(range(20)), batch_size=2, shuffle=True)
    trainer.run(data, max_epochs=2)
    sd = {"trainer": trainer.state_dict(), "resume": dict(resume.state_dict())}
    sd["resume"]["world_size"] = 2  # as written by rank 0 of 2 ranks that each shuffled the whole data
    fresh = Engine(lambda e, b: None)
    fresh.load_state_dict(sd["trainer"])
    resume = ExactResume(fresh)
    resume.load_state_dict(sd["resume"])
    with pytest.raises(ValueError, match=r"inside a pass on 2 ranks, and this run has 1; only a DistributedSampler"):
        fresh.run(data, max_epochs=2)


def _read(out: Path, tag: str, world: int) -> list[dict]:
    return [json.loads((out / f"{tag}_rank{r}.json").read_text()) for r in range(world)]


def _epoch_batches(result: dict, epoch: int) -> list[list[int]]:
    return [idx for e, _, idx in result["seen"] if e == epoch]


@pytest.mark.distributed
def test_two_gloo_ranks_resumed_on_one_and_one_resumed_on_two(tmp_path):
    from elastic_resume_worker import train, train_jobs

    out = str(tmp_path)
    # 1 rank, stopped at iteration 13 (3 of 10 in epoch 2), to be resumed on 2 ranks
    train(0, out, "c", 3, 13, None)
    (ckpt_c,) = (tmp_path / "ckpt_c").glob("*.pt")
    # one world of 2 gloo ranks: run "a" stops at iteration 2 (of 5 per epoch); run "d" resumes "c"
    jobs = [(out, "a", 2, 2, None), (out, "d", 3, None, str(ckpt_c))]
    timeout = timedelta(seconds=120)
    idist.spawn("gloo", train_jobs, args=(jobs,), nproc_per_node=2, master_port=free_port(), timeout=timeout)
    (ckpt_a,) = (tmp_path / "ckpt_a").glob("*.pt")
    train(0, out, "b", 2, None, str(ckpt_a))  # "a" resumed on 1 rank

    before, (after,) = _read(tmp_path, "a", 2), _read(tmp_path, "b", 1)
    assert interleave([_epoch_batches(r, 1) for r in before]) + interleave([_epoch_batches(after, 1)]) == order(0)
    assert interleave([_epoch_batches(after, 2)]) == order(1)
    assert (after["epoch"], after["iteration"]) == (2, 20)

    (before,), after = _read(tmp_path, "c", 1), _read(tmp_path, "d", 2)
    done = interleave([_epoch_batches(before, 2)])
    assert done + interleave([_epoch_batches(r, 2) for r in after]) == order(1)
    assert interleave([_epoch_batches(r, 3) for r in after]) == order(2)
    assert [(r["epoch"], r["iteration"]) for r in after] == [(3, 15), (3, 15)]


@pytest.mark.parametrize("last", [1, 2, 4])
def test_a_checkpoint_taken_in_the_rest_of_a_pass_resumes_exactly(tmp_path, last):
    """2 ranks stop after 2 of 5 batches; 1 rank goes on for 2 batches (iterations 5 and 6 of its 10) and stops;
    ``last`` ranks finish the epoch: the three parts are the epoch's order."""
    first = [Rank(2, r).run(max_epochs=1, stop_at=2) for r in range(2)]
    saved = through_a_file(first[0].save(), tmp_path)
    middle = Rank(1, 0).load(saved).run(max_epochs=1, stop_at=6)
    saved = through_a_file(middle.save(), tmp_path)
    assert saved["resume"]["position"]["sampler"]["offset"] == 16
    final = [Rank(last, r).load(saved).run(max_epochs=1) for r in range(last)]
    parts = [first, [middle], final]
    assert sum((interleave([r.batches(1) for r in part]) for part in parts), []) == order(0)
