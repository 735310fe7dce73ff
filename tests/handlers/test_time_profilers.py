"""BasicTimeProfiler and HandlersTimeProfiler (spec handlers.md §8) on real engine runs, timed by a fake clock.

The profilers' clock (``perf_counter`` of ``timing`` and ``time_profilers``) is replaced by one that moves only
when the test "sleeps" (``clock.sleep``) plus one microsecond per reading, so every interval is positive and the
figures are known in advance; no duration depends on the machine. The printed tables are compared line by line
with hand-written text.
"""

import csv
import re
import sys
from collections import OrderedDict

import pytest
import torch

from ignite.engine import Engine, EventEnum, Events
from ignite.handlers import BasicTimeProfiler, HandlersTimeProfiler
from ignite.handlers import time_profilers as time_profilers_module
from ignite.handlers import timing as timing_module

TIMED = [
    "EPOCH_STARTED",
    "EPOCH_COMPLETED",
    "STARTED",
    "COMPLETED",
    "ITERATION_STARTED",
    "ITERATION_COMPLETED",
    "GET_BATCH_STARTED",
    "GET_BATCH_COMPLETED",
]


class FakeClock:
    """A ``perf_counter`` stand-in: ``sleep`` moves it; every reading adds one microsecond."""

    TICK = 1e-6

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        self.now += self.TICK
        return self.now

    def sleep(self, seconds):
        self.now += seconds


clock = FakeClock()


@pytest.fixture(autouse=True)
def fake_clock(monkeypatch):
    monkeypatch.setattr(timing_module, "perf_counter", clock)
    monkeypatch.setattr(time_profilers_module, "perf_counter", clock)
    return clock


class SlowData:
    """Batches ``0..n-1``; fetching batch ``slow_index`` sleeps ``delay`` seconds."""

    def __init__(self, n, slow_index=None, delay=0.0):
        self.n, self.slow_index, self.delay = n, slow_index, delay

    def __len__(self):
        return self.n

    def __iter__(self):
        for i in range(self.n):
            if i == self.slow_index:
                clock.sleep(self.delay)
            yield i


# =============================================================== BasicTimeProfiler


def _basic_run(max_epochs=2, n_iters=3, proc=0.01, epoch_handler=0.02, started=0.01):
    def step(engine, batch):
        clock.sleep(proc)
        return batch

    trainer = Engine(step)
    profiler = BasicTimeProfiler()
    profiler.attach(trainer)

    @trainer.on(Events.STARTED)
    def on_started(engine):
        clock.sleep(started)

    @trainer.on(Events.EPOCH_COMPLETED)
    def log_elapsed_time(engine):
        clock.sleep(epoch_handler)

    class Checker:
        def __call__(self, engine):
            pass

    trainer.add_event_handler(Events.ITERATION_COMPLETED, Checker())
    trainer.run(SlowData(n_iters), max_epochs=max_epochs)
    return trainer, profiler


def test_basic_attach_checks():
    with pytest.raises(TypeError, match="Argument engine should be ignite.engine.Engine, but given <class 'str'>"):
        BasicTimeProfiler().attach("engine")
    engine = Engine(lambda e, b: None)
    engine.add_event_handler(Events.STARTED, lambda: None)
    profiler = BasicTimeProfiler()
    profiler.attach(engine)
    profiler.attach(engine)
    started = [h for h, _, _ in engine._event_handlers[Events.STARTED]]
    assert started[0] == profiler._as_first_started  # first among STARTED's handlers
    assert started.count(profiler._as_first_started) == 1


def test_basic_results_structure_and_lower_bounds():
    proc, epoch_handler, started, n_iters, max_epochs = 0.01, 0.02, 0.01, 3, 2
    trainer, profiler = _basic_run(max_epochs, n_iters, proc, epoch_handler, started)
    results = profiler.get_results()

    assert list(results) == ["processing_stats", "dataflow_stats", "event_handlers_stats", "event_handlers_names"]
    assert list(results["event_handlers_stats"]) == TIMED + ["total_time"]
    assert list(results["event_handlers_names"]) == [e + "_names" for e in TIMED]

    processing = results["processing_stats"]
    assert list(processing) == ["total", "min/index", "max/index", "mean", "std"]
    assert processing["total"] >= n_iters * max_epochs * proc
    assert processing["min/index"][0] >= proc and processing["mean"] >= proc
    assert 0 <= processing["max/index"][1] < n_iters * max_epochs

    stats = results["event_handlers_stats"]
    assert stats["EPOCH_COMPLETED"]["total"] >= max_epochs * epoch_handler
    assert stats["EPOCH_COMPLETED"]["min/index"][0] >= epoch_handler
    assert list(stats["STARTED"]) == ["total"]  # one value: no min/max/mean/std
    assert stats["STARTED"]["total"] >= started
    assert isinstance(stats["total_time"], torch.Tensor)
    assert float(stats["total_time"]) >= max_epochs * epoch_handler + started
    for name in TIMED:
        total = stats[name]["total"]
        assert total == "not yet triggered" or total > 0

    names = results["event_handlers_names"]
    assert names["STARTED_names"] == ["_basic_run.<locals>.on_started"]
    assert names["EPOCH_COMPLETED_names"] == ["_basic_run.<locals>.log_elapsed_time"]
    assert names["ITERATION_COMPLETED_names"] == ["Checker"]
    assert names["GET_BATCH_STARTED_names"] == []

    # the profiler's hooks are gone after the run, except its start hook
    for handlers in trainer._event_handlers.values():
        for h, _, _ in handlers:
            owner = getattr(h, "__self__", None)
            assert owner is not profiler or h == profiler._as_first_started


def test_basic_dataflow_slot_is_the_batch_iteration():
    """Fetching batch 2 (iteration 3) is slow: slot 2 holds it (upstream puts it in slot 1)."""
    delay = 0.05
    trainer = Engine(lambda e, b: b)
    profiler = BasicTimeProfiler()
    profiler.attach(trainer)
    trainer.run(SlowData(5, slow_index=2, delay=delay), max_epochs=1)
    assert profiler.dataflow_times.numel() == 5
    assert int(torch.argmax(profiler.dataflow_times)) == 2
    assert float(profiler.dataflow_times[2]) >= delay
    assert (profiler.dataflow_times > 0).all()
    dataflow = profiler.get_results()["dataflow_stats"]
    assert dataflow["max/index"][1] == 2 and dataflow["total"] >= delay


def test_basic_epoch_length_longer_than_data_and_max_iters():
    trainer = Engine(lambda e, b: b)
    profiler = BasicTimeProfiler()
    profiler.attach(trainer)
    trainer.run(SlowData(3), max_epochs=2, epoch_length=5)  # restarts the data within an epoch
    assert profiler.total_num_iters == 10
    assert (profiler.processing_times > 0).sum() == 10

    trainer = Engine(lambda e, b: b)
    profiler = BasicTimeProfiler()
    profiler.attach(trainer)
    trainer.run(SlowData(4), max_iters=6)
    assert (profiler.max_epochs, profiler.total_num_iters) == (2, 6)
    assert (profiler.processing_times > 0).sum() == 6


def test_basic_unknown_epoch_length():
    trainer = Engine(lambda e, b: b)
    BasicTimeProfiler().attach(trainer)
    with pytest.raises(ValueError, match="As epoch_length is not set, we can not use BasicTimeProfiler in this case."):
        trainer.run(iter(range(3)))


def test_basic_intermediate_results_and_second_run(capsys):
    trainer = Engine(lambda e, b: clock.sleep(0.001))
    profiler = BasicTimeProfiler()
    profiler.attach(trainer)
    printed = []

    @trainer.on(Events.EPOCH_COMPLETED(every=2))
    def log_intermediate_results():
        printed.append(profiler.print_results(profiler.get_results()))

    trainer.run(range(3), max_epochs=4)
    assert len(printed) == 2
    assert "- Events.COMPLETED: []\nnot yet triggered\n" in printed[0]
    out = capsys.readouterr().out
    assert out == "".join(p + "\n" for p in printed)
    # a second run profiles again, with fresh buffers
    trainer.state.max_epochs = None
    trainer.run(range(2), max_epochs=1)
    assert profiler.total_num_iters == 2
    assert (profiler.processing_times > 0).sum() == 2


def test_basic_print_results_layout():
    stats = OrderedDict(
        [("total", 10.0), ("min/index", (0.5, 3)), ("max/index", (2.0, 0)), ("mean", 1.25), ("std", 0.125)]
    )
    results = OrderedDict(
        processing_stats=stats,
        dataflow_stats=OrderedDict(total="not yet triggered"),
        event_handlers_stats=OrderedDict(
            EPOCH_STARTED=OrderedDict(total=0.000004),
            EPOCH_COMPLETED=stats,
            STARTED=OrderedDict(total=0.25),
            COMPLETED=OrderedDict(total="not yet triggered"),
            ITERATION_STARTED=OrderedDict(total="not yet triggered"),
            ITERATION_COMPLETED=OrderedDict(total=1.0),
            GET_BATCH_STARTED=OrderedDict(total=9.0),
            GET_BATCH_COMPLETED=OrderedDict(total=9.0),
            total_time=torch.tensor(12.345678),
        ),
        event_handlers_names={
            "EPOCH_STARTED_names": [],
            "EPOCH_COMPLETED_names": ["run.<locals>.log", "Checkpoint"],
            "STARTED_names": [],
            "COMPLETED_names": [],
            "ITERATION_STARTED_names": ["PiecewiseLinear"],
            "ITERATION_COMPLETED_names": ["TerminateOnNan"],
            "GET_BATCH_STARTED_names": [],
            "GET_BATCH_COMPLETED_names": [],
        },
    )
    expected = """
 ----------------------------------------------------
| Time profiling stats (in seconds):                 |
 ----------------------------------------------------
total  |  min/index  |  max/index  |  mean  |  std

Processing function:
10.00000 | 0.50000/3 | 2.00000/0 | 1.25000 | 0.12500

Dataflow:
not yet triggered

Event handlers:
12.34568

- Events.STARTED: []
0.25000

- Events.EPOCH_STARTED: []
0.00000

- Events.ITERATION_STARTED: ['PiecewiseLinear']
not yet triggered

- Events.ITERATION_COMPLETED: ['TerminateOnNan']
1.00000

- Events.EPOCH_COMPLETED: ['run.<locals>.log', 'Checkpoint']
10.00000 | 0.50000/3 | 2.00000/0 | 1.25000 | 0.12500

- Events.COMPLETED: []
not yet triggered
"""
    assert BasicTimeProfiler.print_results(results) == expected
    lines = expected.split("\n")
    assert lines[1] == " " + "-" * 52 and len(lines[2]) == 54 and lines[2][0] == lines[2][-1] == "|"


def test_basic_print_results_of_a_real_run(capsys):
    _, profiler = _basic_run()
    text = BasicTimeProfiler.print_results(profiler.get_results())
    assert capsys.readouterr().out == text + "\n"
    assert "BasicTimeProfiler." not in text and "nan" not in text
    assert "- Events.EPOCH_COMPLETED: ['_basic_run.<locals>.log_elapsed_time']\n" in text
    assert "GET_BATCH" not in text


def test_basic_write_results(tmp_path):
    pytest.importorskip("pandas")
    _, profiler = _basic_run(max_epochs=2, n_iters=3)
    path = tmp_path / "basic.csv"
    profiler.write_results(str(path))
    with open(path) as f:
        rows = list(csv.reader(f))
    assert rows[0] == [
        "epoch",
        "iteration",
        "processing_stats",
        "dataflow_stats",
        "Event_STARTED",
        "Event_COMPLETED",
        "Event_EPOCH_STARTED",
        "Event_EPOCH_COMPLETED",
        "Event_ITERATION_STARTED",
        "Event_ITERATION_COMPLETED",
        "Event_GET_BATCH_STARTED",
        "Event_GET_BATCH_COMPLETED",
    ]
    body = [[float(v) for v in r] for r in rows[1:]]
    assert [(r[0], r[1]) for r in body] == [(1, 1), (1, 2), (1, 3), (2, 4), (2, 5), (2, 6)]
    assert all(r[2] >= 0.01 for r in body)  # processing
    assert len({r[4] for r in body}) == 1 and body[0][4] >= 0.01  # STARTED repeated on every row
    ec = profiler.event_handlers_times[Events.EPOCH_COMPLETED]
    assert [r[7] for r in body] == pytest.approx([float(ec[0])] * 3 + [float(ec[1])] * 3)


def test_write_results_needs_pandas(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pandas", None)
    for profiler in (BasicTimeProfiler(), HandlersTimeProfiler()):
        with pytest.raises(ModuleNotFoundError, match="Need pandas to write results as files"):
            profiler.write_results(str(tmp_path / "x.csv"))


# =============================================================== HandlersTimeProfiler


class CustomEvents(EventEnum):
    CUSTOM_STARTED = "custom_started"


def _handlers_run(proc=0.005, data_delay=0.02):
    def step(engine, batch):
        clock.sleep(proc)
        engine.fire_event(CustomEvents.CUSTOM_STARTED)
        return batch

    trainer = Engine(step)
    trainer.register_events(*CustomEvents)
    profiler = HandlersTimeProfiler()
    profiler.attach(trainer)
    calls = {"fast": 0, "slow": 0}

    @trainer.on(Events.EPOCH_COMPLETED)
    def log_training_results(engine):
        clock.sleep(0.02)

    @trainer.on(Events.ITERATION_COMPLETED(every=3))
    def slow_filtered(engine):
        calls["slow"] += 1
        clock.sleep(0.002)

    @trainer.on(Events.ITERATION_COMPLETED(every=2))
    def fast_filtered(engine):
        calls["fast"] += 1

    @trainer.on(CustomEvents.CUSTOM_STARTED)
    def on_custom(engine):
        clock.sleep(0.001)

    @trainer.on(Events.COMPLETED)
    def log_time(engine):
        pass

    trainer.run(SlowData(5, slow_index=1, delay=data_delay), max_epochs=2)
    return trainer, profiler, calls


def test_handlers_attach_checks():
    with pytest.raises(TypeError, match="Argument engine should be ignite.engine.Engine, but given <class 'int'>"):
        HandlersTimeProfiler().attach(1)
    engine = Engine(lambda e, b: None)
    profiler = HandlersTimeProfiler()
    profiler.attach(engine)
    profiler.attach(engine)
    assert [h for h, _, _ in engine._event_handlers[Events.STARTED]] == [profiler._as_first_started]
    assert HandlersTimeProfiler.EVENT_FILTER_THESHOLD_TIME == 0.0001


def test_handlers_results_on_a_real_run():
    proc, data_delay = 0.005, 0.02
    trainer, profiler, calls = _handlers_run(proc, data_delay)
    results = profiler.get_results()
    rows = {(r[0], r[1]): r for r in results[:-3]}
    prefix = "_handlers_run.<locals>."
    assert list(rows) == [
        (prefix + "log_training_results", "EPOCH_COMPLETED"),
        (prefix + "log_time", "COMPLETED"),
        (prefix + "slow_filtered", "ITERATION_COMPLETED"),
        (prefix + "fast_filtered", "ITERATION_COMPLETED"),
        (prefix + "on_custom", "CUSTOM_STARTED"),
    ]
    times = profiler.event_handlers_times
    # calls let through by a filter are all counted, however fast; filtered-out calls are not
    assert len(times[Events.ITERATION_COMPLETED][prefix + "slow_filtered"]) == calls["slow"] == 3
    assert len(times[Events.ITERATION_COMPLETED][prefix + "fast_filtered"]) == calls["fast"] == 5
    assert len(times[CustomEvents.CUSTOM_STARTED][prefix + "on_custom"]) == 10

    epoch_row = rows[(prefix + "log_training_results", "EPOCH_COMPLETED")]
    total, (mn, mn_i), (mx, mx_i), mean, std = epoch_row[2:]
    assert total >= 0.04 and mn >= 0.02 and mean >= 0.02 and {mn_i, mx_i} <= {0, 1}
    assert isinstance(std, float)
    assert rows[(prefix + "on_custom", "CUSTOM_STARTED")][2] >= 10 * 0.001
    assert rows[(prefix + "log_time", "COMPLETED")][2:] == [
        pytest.approx(rows[(prefix + "log_time", "COMPLETED")][2]),
        (rows[(prefix + "log_time", "COMPLETED")][3][0], 0),
        (rows[(prefix + "log_time", "COMPLETED")][4][0], 0),
        rows[(prefix + "log_time", "COMPLETED")][5],
        "None",  # a single value has no std
    ]

    total_row, processing, dataflow = results[-3:]
    all_times = [t for handlers in times.values() for ts in handlers.values() for t in ts]
    assert total_row == ["Total", "", round(sum(all_times), 5), "", "", "", ""]
    assert processing[:2] == ["Processing", "None"] and dataflow[:2] == ["Dataflow", "None"]
    assert len(profiler.processing_times) == 10 and min(profiler.processing_times) >= proc
    assert processing[2] >= 10 * proc
    assert len(profiler.dataflow_times) == 10
    assert dataflow[4][0] >= data_delay and dataflow[4][1] in (1, 6)  # slow fetch of batch 1, each epoch
    assert dataflow[2] >= 2 * data_delay


def test_handlers_are_restored_and_second_run_is_not_double_counted():
    trainer, profiler, _ = _handlers_run(proc=0.0, data_delay=0.0)
    for handlers in trainer._event_handlers.values():
        for h, _, _ in handlers:
            assert not hasattr(h, "_profiler_original")
    n_handlers = {e: len(h) for e, h in trainer._event_handlers.items()}
    trainer.state.max_epochs = None
    trainer.run(SlowData(4), max_epochs=1)
    assert len(profiler.processing_times) == 4
    assert len(profiler.dataflow_times) == 4
    assert {e: len(h) for e, h in trainer._event_handlers.items()} == n_handlers


def test_handlers_filtered_handler_still_removable_during_run():
    trainer = Engine(lambda e, b: b)
    profiler = HandlersTimeProfiler()
    profiler.attach(trainer)
    calls = []

    def every2(engine):
        calls.append(engine.state.iteration)

    trainer.add_event_handler(Events.ITERATION_COMPLETED(every=2), every2)

    @trainer.on(Events.ITERATION_COMPLETED(once=4))
    def remove(engine):
        assert engine.has_event_handler(every2, Events.ITERATION_COMPLETED)
        engine.remove_event_handler(every2, Events.ITERATION_COMPLETED)

    trainer.run(range(8))
    assert calls == [2, 4]


def test_handlers_time_started_handlers():
    trainer = Engine(lambda e, b: b)
    profiler = HandlersTimeProfiler()
    profiler.attach(trainer)

    @trainer.on(Events.STARTED)
    def delay_start(engine):
        clock.sleep(0.02)

    trainer.run(range(2))
    row = next(r for r in profiler.get_results() if r[1] == "STARTED")
    assert "delay_start" in row[0]
    assert row[2] >= 0.02


def test_handlers_print_results_layout(capsys):
    results = [
        ["run.<locals>.log_training_results", "EPOCH_COMPLETED", 19.43245, (0.12, 1), (0.2, 0), 0.15, 0.01],
        ["run.<locals>.log_time", "COMPLETED", "not triggered", ("None", "None"), ("None", "None"), "None", "None"],
        ["Total", "", 22.04571, "", "", "", ""],
        ["Processing", "None", 11.29543, (0.00393, 1875), (0.00784, 0), 0.00602, 0.00034],
        ["Dataflow", "None", "not triggered", ("None", "None"), ("None", "None"), "None", "None"],
    ]
    snapshot = [list(r) for r in results]
    assert HandlersTimeProfiler.print_results(results) is None
    assert results == snapshot  # not modified: can be printed again
    # handler column: len("run.<locals>.log_training_results") + 4 = 37; event column: len("EPOCH_COMPLETED") + 4 = 19
    sep = "-" * 37 + "  " + "-" * 19 + "  " + ("-" * 14 + "  ") * 5
    expected = [
        "",
        sep,
        "Handler"
        + " " * 32
        + "Event Name"
        + " " * 11
        + "      Total(s)  "
        + "    Min(s)/IDX  "
        + "    Max(s)/IDX  "
        + "       Mean(s)  "
        + "        Std(s)  ",
        sep,
        "run.<locals>.log_training_results"
        + " " * 6
        + "EPOCH_COMPLETED"
        + " " * 6
        + "      19.43245  "
        + "        0.12/1  "
        + "         0.2/0  "
        + "          0.15  "
        + "          0.01  ",
        "run.<locals>.log_time"
        + " " * 18
        + "COMPLETED"
        + " " * 12
        + " not triggered  "
        + "     None/None  "
        + "     None/None  "
        + "          None  "
        + "          None  ",
        sep,
        "Total" + " " * 34 + " " * 21 + "      22.04571  " + " " * 16 * 4,
        sep,
        "Processing took total 11.29543s [min/index: 0.00393s/1875, max/index: 0.00784s/0, "
        "mean: 0.00602s, std: 0.00034s]",
        "Dataflow took total not triggereds [min/index: Nones/None, max/index: Nones/None, mean: Nones, std: Nones]",
        "",
        "",
    ]
    assert capsys.readouterr().out.split("\n") == expected
    HandlersTimeProfiler.print_results(results)
    assert capsys.readouterr().out.split("\n") == expected


def test_handlers_print_results_of_a_real_run(capsys):
    _, profiler, _ = _handlers_run(proc=0.0, data_delay=0.0)
    HandlersTimeProfiler.print_results(profiler.get_results())
    out = capsys.readouterr().out
    assert "HandlersTimeProfiler." not in out and "Timer." not in out
    lines = out.split("\n")
    header = lines[2]
    assert header.startswith("Handler") and "Event Name" in header and header.rstrip().endswith("Std(s)")
    width = len("_handlers_run.<locals>.log_training_results") + 4
    assert lines[1].startswith("-" * width + "  " + "-" * (len("ITERATION_COMPLETED") + 4) + "  ")
    assert any(line.startswith("Processing took total ") for line in lines)


def test_handlers_write_results(tmp_path):
    pytest.importorskip("pandas")
    _, profiler, calls = _handlers_run(proc=0.0, data_delay=0.0)
    path = tmp_path / "handlers.csv"
    profiler.write_results(str(path))
    with open(path) as f:
        rows = list(csv.reader(f))
    prefix = "_handlers_run.<locals>."
    assert rows[0] == [
        "#",
        "processing_stats",
        "dataflow_stats",
        prefix + "log_training_results (EPOCH_COMPLETED)",
        prefix + "log_time (COMPLETED)",
        prefix + "slow_filtered (ITERATION_COMPLETED)",
        prefix + "fast_filtered (ITERATION_COMPLETED)",
        prefix + "on_custom (CUSTOM_STARTED)",
    ]
    body = [[float(v) for v in r] for r in rows[1:]]
    assert [r[0] for r in body] == list(range(1, 11))
    slow = [r[5] for r in body]
    assert all(v > 0 for v in slow[:3]) and slow[3:] == [0.0] * 7  # shorter columns padded with zeros


# =============================================================== the FAQ's snippets (seeds/000)


def test_faq_basic_time_profiling_snippet(capsys):
    from ignite.contrib.handlers import BasicTimeProfiler as FromContrib

    assert FromContrib is BasicTimeProfiler
    trainer = Engine(lambda e, b: clock.sleep(0.001))
    profiler = FromContrib()
    profiler.attach(trainer)

    @trainer.on(Events.EPOCH_COMPLETED(every=1))
    def log_intermediate_results():
        profiler.print_results(profiler.get_results())

    trainer.run(range(4), max_epochs=3)
    out = capsys.readouterr().out
    first = out.split("\n")[:14]
    assert first == [
        "",
        " ----------------------------------------------------",
        "| Time profiling stats (in seconds):                 |",
        " ----------------------------------------------------",
        "total  |  min/index  |  max/index  |  mean  |  std",
        "",
        "Processing function:",
        first[7],
        "",
        "Dataflow:",
        first[10],
        "",
        "Event handlers:",
        first[13],
    ]
    assert re.fullmatch(r"\d+\.\d{5} \| \d+\.\d{5}/\d+ \| \d+\.\d{5}/\d+ \| \d+\.\d{5} \| \d+\.\d{5}", first[7])
    assert (
        "- Events.EPOCH_COMPLETED: ['test_faq_basic_time_profiling_snippet.<locals>.log_intermediate_results']" in out
    )
    assert out.count("- Events.COMPLETED: []\nnot yet triggered\n") == 3


def test_faq_handlers_time_profiling_snippet(capsys):
    from ignite.contrib.handlers import HandlersTimeProfiler as FromContrib

    assert FromContrib is HandlersTimeProfiler
    trainer = Engine(lambda e, b: clock.sleep(0.001))
    profiler = FromContrib()
    profiler.attach(trainer)

    @trainer.on(Events.EPOCH_COMPLETED(every=2))
    def log_intermediate_results():
        profiler.print_results(profiler.get_results())

    trainer.run(range(4), max_epochs=3)
    lines = capsys.readouterr().out.split("\n")
    name = "test_faq_handlers_time_profiling_snippet.<locals>.log_intermediate_results"
    assert lines[2].split() == ["Handler", "Event", "Name", "Total(s)", "Min(s)/IDX", "Max(s)/IDX", "Mean(s)", "Std(s)"]
    row = lines[4]
    assert row.startswith(name + " " * (4 + 2) + "EPOCH_COMPLETED")  # width name + 4, then 2 spaces
    # printed during the handler's first call: it has not been timed yet
    assert row.split()[2:] == ["not", "triggered", "None/None", "None/None", "None", "None"]
    assert lines[6].startswith("Total ")
    assert lines[8].startswith("Processing took total ") and lines[9].startswith("Dataflow took total ")


# =============================================================== tools made of several hooks (issue 12 §1.5)


@pytest.mark.parametrize(
    "event, progress_calls",
    [(Events.ITERATION_COMPLETED, 10), (Events.ITERATION_COMPLETED(every=2), 5)],
    ids=["every-iteration", "every-2"],
)
def test_progress_bar_is_one_row_in_results_table_and_csv(tmp_path, capsys, event, progress_calls):
    """The bar draws on ``event`` and closes on EPOCH_COMPLETED/COMPLETED/TERMINATE: one "ProgressBar" row
    holding all of its calls, and the user's own handlers beside it."""
    import io

    from ignite.handlers import ProgressBar

    trainer = Engine(lambda e, b: b)
    profiler = HandlersTimeProfiler()
    profiler.attach(trainer)

    @trainer.on(Events.EPOCH_COMPLETED)
    def log_epoch(_):
        pass

    ProgressBar(file=io.StringIO()).attach(trainer, output_transform=lambda x: {"x": x}, event_name=event)
    trainer.run(range(5), max_epochs=2)

    results = profiler.get_results()
    rows = [(r[0], r[1]) for r in results[:-3]]
    assert rows == [
        ("test_progress_bar_is_one_row_in_results_table_and_csv.<locals>.log_epoch", "EPOCH_COMPLETED"),
        ("ProgressBar", "ITERATION_COMPLETED"),
    ]
    # drawing calls that passed the filter, 2 closes at EPOCH_COMPLETED, 1 run-end hook at COMPLETED
    assert len(profiler.event_handlers_times[Events.ITERATION_COMPLETED]["ProgressBar"]) == progress_calls + 3

    HandlersTimeProfiler.print_results(results)
    table = capsys.readouterr().out
    assert table.count("ProgressBar") == 1 and "_close" not in table and "_OutputHandler" not in table

    path = tmp_path / "profile.csv"
    profiler.write_results(str(path))
    with open(path) as f:
        header = next(csv.reader(f))
    assert header[3:] == [
        "test_progress_bar_is_one_row_in_results_table_and_csv.<locals>.log_epoch (EPOCH_COMPLETED)",
        "ProgressBar (ITERATION_COMPLETED)",
    ]


def test_progress_bar_row_counts_the_run_end_hook_on_terminate():
    import io

    from ignite.handlers import ProgressBar

    trainer = Engine(lambda e, b: b)
    profiler = HandlersTimeProfiler()
    profiler.attach(trainer)
    ProgressBar(file=io.StringIO()).attach(trainer)
    trainer.add_event_handler(Events.ITERATION_COMPLETED(once=3), lambda e: e.terminate())
    trainer.run(range(5), max_epochs=2)
    assert [r[0] for r in profiler.get_results()[:-3]] == [
        "ProgressBar",
        "test_progress_bar_row_counts_the_run_end_hook_on_terminate.<locals>.<lambda>",
    ]
    # 3 drawing calls, then the run-end hook at TERMINATE and at COMPLETED
    assert len(profiler.event_handlers_times[Events.ITERATION_COMPLETED]["ProgressBar"]) == 5
