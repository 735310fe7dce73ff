"""RunningAverage (spec metrics.md §2.9, wart 18)."""

import pytest
import torch
from metric_checks import check_state_dict_roundtrip

from ignite.engine import Engine, Events
from ignite.metrics import MeanAbsoluteError, RunningAverage
from ignite.metrics.metric import RunningBatchWise, RunningEpochWise, SingleEpochRunningBatchWise


def ema(values, alpha):
    out, v = [], None
    for x in values:
        v = x if v is None else v * alpha + (1 - alpha) * x
        out.append(v)
    return out


def test_validation():
    with pytest.raises(TypeError, match="Argument src should be a Metric or None."):
        RunningAverage(src=1)
    for alpha in (0.0, 1.5, -1):
        with pytest.raises(ValueError, match="Argument alpha should be a float between 0.0 and 1.0."):
            RunningAverage(output_transform=lambda x: x, alpha=alpha)
    with pytest.raises(ValueError, match="Argument output_transform should be None if src is a Metric."):
        RunningAverage(MeanAbsoluteError(), output_transform=lambda x: x)
    with pytest.raises(ValueError, match="Argument device should be None if src is a Metric."):
        RunningAverage(MeanAbsoluteError(), device="cpu")
    with pytest.raises(ValueError, match="Argument output_transform should not be None if src corresponds"):
        RunningAverage()
    with pytest.warns(UserWarning, match="`epoch_bound` is deprecated and will be removed in the future."):
        RunningAverage(output_transform=lambda x: x, epoch_bound=True)


def test_attributes():
    src = MeanAbsoluteError(device="cpu")
    ra = RunningAverage(src, alpha=0.5)
    assert ra.src is src and ra.alpha == 0.5 and ra.epoch_bound is None and ra._device == src._device
    assert ra.required_output_keys is None and ra._state_dict_all_req_keys == ("_value", "src")
    assert RunningAverage(output_transform=lambda x: x)._device == torch.device("cpu")


def test_worked_example_and_compute_before_update():
    ra = RunningAverage(output_transform=lambda x: x, alpha=0.5)
    assert ra.compute() is None
    values = []
    for x in (1, 2, 3):
        ra.update(x)
        values.append(ra.compute())
    assert values == [1.0, 1.5, 2.25]


def test_tensor_output_is_copied():
    ra = RunningAverage(output_transform=lambda x: x, alpha=0.5)
    t = torch.tensor([1.0, 2.0])
    ra.update(t)
    t.fill_(10.0)
    assert ra.compute().tolist() == [1.0, 2.0]


def _run(ra, outputs, epochs=2, usage=None, **kwargs):
    engine = Engine(lambda e, b: b)
    if usage is None:
        ra.attach(engine, "ra", **kwargs)
    else:
        ra.attach(engine, "ra", usage=usage)
    seen = []
    event = Events.EPOCH_COMPLETED if isinstance(usage, RunningEpochWise) else Events.ITERATION_COMPLETED
    engine.add_event_handler(event, lambda e: seen.append(e.state.metrics["ra"]))
    engine.run(outputs, max_epochs=epochs)
    return seen


def test_output_running_batch_wise_is_not_reset_between_epochs():
    outputs = [1.0, 5.0, 2.0]
    seen = _run(RunningAverage(output_transform=lambda x: x, alpha=0.9), outputs)
    assert seen == pytest.approx(ema(outputs * 2, 0.9))


def test_output_single_epoch_restarts():
    outputs = [1.0, 5.0, 2.0]
    seen = _run(RunningAverage(output_transform=lambda x: x, alpha=0.9), outputs, usage=SingleEpochRunningBatchWise())
    assert seen == pytest.approx(ema(outputs, 0.9) * 2)
    with pytest.warns(UserWarning):
        bound = RunningAverage(output_transform=lambda x: x, alpha=0.9, epoch_bound=True)
    assert _run(bound, outputs) == pytest.approx(ema(outputs, 0.9) * 2)


def _mae_batches():
    g = torch.Generator().manual_seed(0)
    return [(torch.randn(4, generator=g), torch.randn(4, generator=g)) for _ in range(3)]


def _batch_mae(b):
    return (b[0] - b[1]).abs().mean().item()


def test_src_metric_running_batch_wise():
    batches = _mae_batches()
    seen = _run(RunningAverage(MeanAbsoluteError(), alpha=0.7), batches)
    assert seen == pytest.approx(ema([_batch_mae(b) for b in batches] * 2, 0.7))


def test_src_metric_running_epoch_wise():
    batches = _mae_batches()
    seen = _run(RunningAverage(MeanAbsoluteError(), alpha=0.7), batches, usage=RunningEpochWise())
    epoch_mae = (torch.cat([b[0] for b in batches]) - torch.cat([b[1] for b in batches])).abs().mean().item()
    assert seen == pytest.approx(ema([epoch_mae, epoch_mae], 0.7))


def test_src_metric_with_dict_output():
    # upstream raised TypeError ("should be a tuple/list") for dict outputs although src does not read them
    batches = _mae_batches()
    engine = Engine(lambda e, b: {"y_pred": b[0], "y": b[1]})
    RunningAverage(MeanAbsoluteError(), alpha=0.7).attach(engine, "ra")
    state = engine.run(batches)
    assert state.metrics["ra"] == pytest.approx(ema([_batch_mae(b) for b in batches], 0.7)[-1])


def test_attach_detach_src_handlers():
    src = MeanAbsoluteError()
    ra = RunningAverage(src)
    engine = Engine(lambda e, b: b)
    ra.attach(engine, "ra")
    assert engine.has_event_handler(src.iteration_completed, Events.ITERATION_COMPLETED)
    assert ra.is_attached(engine, RunningBatchWise())
    ra.detach(engine)
    assert not engine.has_event_handler(src.iteration_completed)
    assert not ra.is_attached(engine, RunningBatchWise())


def test_state_dict_roundtrip():
    check_state_dict_roundtrip(lambda: RunningAverage(output_transform=lambda x: x, alpha=0.5), [1.0, 4.0, 2.0])
    # with src, the manual API updates src and then the running average
    ra = RunningAverage(MeanAbsoluteError(), alpha=0.5)
    for b in _mae_batches():
        ra.src.update(b)
        ra.update(None)
    ra.src.update(_mae_batches()[0])  # src state in the middle of an accumulation
    state = ra.state_dict()
    fresh = RunningAverage(MeanAbsoluteError(), alpha=0.5)
    fresh.load_state_dict(state)
    assert fresh.compute() == ra.compute() and fresh.src.compute() == ra.src.compute()
