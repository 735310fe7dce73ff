"""ProgressBar (spec handlers.md §10): bars are written to an in-memory stream and read back.

``_screen`` replays what was written as a terminal would (carriage return, new line, cursor up), so tests
check what a user finally sees; ``_frames`` lists every frame drawn, in order.
"""

import io
import re
import sys

import pytest
import torch

from ignite.engine import Engine, Events
from ignite.handlers import ProgressBar
from ignite.handlers.tqdm_logger import ProgressBar as FromModule

TIME = r"\[\d\d:\d\d<(\d\d:\d\d|\?)\]"  # the elapsed/remaining field, whose values depend on the machine


def _screen(text):
    """Final content of a terminal that received ``text`` (rows, trailing spaces stripped)."""
    rows, r, c, i = [""], 0, 0, 0
    while i < len(text):
        if text.startswith("\x1b[A", i):
            r, i = max(r - 1, 0), i + 3
            continue
        ch = text[i]
        if ch == "\r":
            c = 0
        elif ch == "\n":
            r, c = r + 1, 0
            while len(rows) <= r:
                rows.append("")
        else:
            line = rows[r].ljust(c)
            rows[r] = line[:c] + ch + line[c + 1 :]
            c += 1
        i += 1
    rows = [row.rstrip() for row in rows]
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _frames(text):
    """Every non-blank frame drawn, in order."""
    return [f.strip() for f in re.split(r"[\r\n]|\x1b\[A", text) if f.strip()]


def _engine(process=lambda e, b: b):
    return Engine(process)


@pytest.fixture(autouse=True)
def _no_leaked_bars():
    from tqdm import tqdm

    before = set(getattr(tqdm, "_instances", ()))
    yield
    assert set(getattr(tqdm, "_instances", ())) <= before, "a progress bar was left open"


def test_defaults_and_module():
    assert FromModule is ProgressBar
    pbar = ProgressBar()
    assert pbar.pbar is None and pbar.persist is False and pbar.tqdm_kwargs == {}
    assert pbar.bar_format == "{desc}[{n_fmt}/{total_fmt}] {percentage:3.0f}%|{bar}{postfix} [{elapsed}<{remaining}]"
    from tqdm.autonotebook import tqdm

    assert pbar.pbar_cls is tqdm
    assert ProgressBar._events_order == [
        Events.STARTED,
        Events.EPOCH_STARTED,
        Events.ITERATION_STARTED,
        Events.ITERATION_COMPLETED,
        Events.EPOCH_COMPLETED,
        Events.COMPLETED,
    ]


def test_missing_tqdm(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.autonotebook", None)
    with pytest.raises(ModuleNotFoundError, match="This submodule requires tqdm to be installed"):
        ProgressBar()


def test_spec_example_last_frame_with_metric():
    """Two epochs of two iterations: the spec's frame of the first step of epoch 2 is drawn, and (issue 12
    §1.4) the bar's final frame after it, although the last step's redraw was throttled."""
    buf = io.StringIO()
    engine = _engine()

    @engine.on(Events.ITERATION_COMPLETED)
    def set_metric(e):
        e.state.metrics["a"] = 1

    ProgressBar(file=buf).attach(engine, ["a"])
    engine.run([1, 2], max_epochs=2)
    frames = _frames(buf.getvalue())
    assert frames[-2] == "Epoch [2/2]: [1/2]  50%|#####     , a=1 [00:00<?]"
    assert re.fullmatch(rf"Epoch \[2/2\]: \[2/2\] 100%\|##########, a=1 {TIME}", frames[-1]), frames[-1]
    assert _screen(buf.getvalue()) == []  # persist=False: nothing left on screen


class _Clock:
    """tqdm's clock, advanced by the process function: elapsed times in frames are exact."""

    def __init__(self, monkeypatch):
        import tqdm.std

        self.now = 0.0
        monkeypatch.setattr(tqdm.std, "time", lambda: self.now)


def _final_frames(text):
    """The last frame drawn before each bar was cleared (a blank frame) or left (a new line)."""
    finals, last = [], None
    for token in re.split(r"(\r|\n|\x1b\[A)", text):
        if token.strip():
            last = token.strip()
        elif last is not None and (token == "\n" or (token and token.isspace() and token != "\r")):
            finals.append(last)
            last = None
    if last is not None:
        finals.append(last)
    return finals


def _engine_with_values(clock, seconds_per_iteration=7):
    def process(engine, batch):
        clock.now += seconds_per_iteration
        return batch * 10

    engine = _engine(process)

    @engine.on(Events.ITERATION_COMPLETED)
    def values(e):
        e.state.metrics["acc"] = e.state.iteration / 100
        e.state.alpha = e.state.iteration

    return engine


@pytest.mark.parametrize("persist", [False, True])
def test_closing_frame_shows_final_position_values_and_elapsed_time(monkeypatch, persist):
    """Issue 12 §1.4: redraws are throttled (``mininterval`` never reached), yet each epoch's bar ends on a
    frame with its last position, the last values of metric_names/output_transform/state_attributes and the
    elapsed time of the whole epoch."""
    clock = _Clock(monkeypatch)
    buf = io.StringIO()
    engine = _engine_with_values(clock)
    fmt = "{desc}[{n_fmt}/{total_fmt}]{postfix} [{elapsed}]"
    ProgressBar(file=buf, persist=persist, mininterval=1e9, bar_format=fmt).attach(
        engine, metric_names=["acc"], output_transform=lambda x: {"loss": x}, state_attributes=["alpha"]
    )
    engine.run(range(1, 5), max_epochs=2)
    # each bar starts at its first step (clock 7 s, 35 s) and closes after its fourth (28 s, 56 s)
    expected = [
        "Epoch [1/2]: [4/4], acc=0.04, loss=40, alpha=4 [00:21]",
        "Epoch [2/2]: [4/4], acc=0.08, loss=40, alpha=8 [00:21]",
    ]
    assert _final_frames(buf.getvalue()) == expected
    assert _screen(buf.getvalue()) == (expected if persist else [])


def test_closing_frame_of_epoch_bar_closed_at_completed(monkeypatch):
    clock = _Clock(monkeypatch)
    buf = io.StringIO()
    engine = _engine_with_values(clock)
    fmt = "{desc}[{n_fmt}/{total_fmt}]{postfix} [{elapsed}]"
    ProgressBar(file=buf, mininterval=1e9, bar_format=fmt).attach(
        engine,
        metric_names="all",
        event_name=Events.EPOCH_COMPLETED,
        closing_event_name=Events.COMPLETED,
    )
    engine.run(range(3), max_epochs=3)
    # the bar opens at the end of epoch 1 (21 s) and closes at the end of the run (63 s)
    assert _final_frames(buf.getvalue()) == ["Epoch: [3/3], acc=0.09 [00:42]"]


def test_closing_frame_of_a_validation_run_inside_training(monkeypatch):
    clock = _Clock(monkeypatch)
    buf = io.StringIO()
    fmt = "{desc}[{n_fmt}/{total_fmt}]{postfix} [{elapsed}]"
    trainer = _engine(lambda e, b: None)
    evaluator = _engine_with_values(clock, seconds_per_iteration=2)
    ProgressBar(file=buf, desc="Validation", mininterval=1e9, bar_format=fmt).attach(evaluator, metric_names="all")
    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda _: evaluator.run(range(5)))
    trainer.run(range(2), max_epochs=2)
    assert _final_frames(buf.getvalue()) == ["Validation: [5/5], acc=0.05 [00:08]"] * 2


def test_closing_frame_when_the_run_is_terminated(monkeypatch):
    clock = _Clock(monkeypatch)
    buf = io.StringIO()
    engine = _engine_with_values(clock)
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=3), lambda e: e.terminate())
    fmt = "{desc}[{n_fmt}/{total_fmt}]{postfix} [{elapsed}]"
    ProgressBar(file=buf, mininterval=1e9, bar_format=fmt).attach(engine, output_transform=lambda x: {"loss": x})
    engine.run(range(1, 11), max_epochs=2)
    assert _final_frames(buf.getvalue()) == ["Epoch [1/2]: [3/10], loss=30 [00:14]"]


def test_persist_leaves_one_final_line_per_epoch_with_last_values():
    buf = io.StringIO()
    engine = _engine(lambda e, b: b * 0.5)
    ProgressBar(file=buf, persist=True, mininterval=1e9).attach(engine, output_transform=lambda x: {"batchloss": x})
    engine.run(range(1, 11), max_epochs=3)
    screen = _screen(buf.getvalue())
    assert len(screen) == 3
    for epoch, line in enumerate(screen, start=1):
        assert re.fullmatch(rf"Epoch \[{epoch}/3\]: \[10/10\] 100%\|##########, batchloss=5 {TIME}", line), line


def test_iteration_description_and_tensor_outputs():
    buf = io.StringIO()
    engine = _engine(lambda e, b: torch.tensor([5, 0]))
    ProgressBar(file=buf, persist=True, bar_format="{desc}[{n_fmt}/{total_fmt}]{postfix}").attach(
        engine, output_transform=lambda x: x
    )
    engine.run(range(2), max_epochs=1)
    assert _screen(buf.getvalue()) == ["Iteration: [2/2], output_0=5, output_1=0"]

    buf = io.StringIO()
    engine = _engine(lambda e, b: torch.tensor(1.23))
    ProgressBar(file=buf, persist=True, bar_format="{desc}[{n_fmt}/{total_fmt}]{postfix}").attach(
        engine, output_transform=lambda x: x
    )
    engine.run(range(4), max_epochs=1)
    assert _screen(buf.getvalue()) == ["Iteration: [4/4], output=1.23"]


def test_bar_format_desc_and_state_attributes():
    buf = io.StringIO()
    engine = _engine()
    engine.state.alpha = 0.25
    pbar = ProgressBar(file=buf, persist=True, desc="Validation", bar_format="{desc}|{n_fmt}/{total_fmt}|{postfix}")
    pbar.attach(engine, metric_names="all", state_attributes=["alpha"])

    @engine.on(Events.ITERATION_COMPLETED)
    def metrics(e):
        e.state.metrics["acc"] = 0.125

    engine.run(range(5), max_epochs=2)
    # the metric handler is registered after the bar's: the first frame of each bar has no 'acc' yet
    assert _screen(buf.getvalue()) == [
        "Validation [1/2]: |5/5|, acc=0.125, alpha=0.25",
        "Validation [2/2]: |5/5|, acc=0.125, alpha=0.25",
    ]


def test_redraws_are_throttled_not_per_iteration():
    buf = io.StringIO()
    engine = _engine()
    ProgressBar(file=buf, persist=True, mininterval=1e9).attach(engine, output_transform=lambda x: {"x": x})
    engine.run(range(1000), max_epochs=2)
    frames = _frames(buf.getvalue())
    # per bar: the first frame, the same with its values, the final frame; nothing in between
    assert len(frames) == 6, frames
    assert frames[0].startswith("Epoch [1/2]: [1/1000]")
    assert frames[2].startswith("Epoch [1/2]: [1000/1000] 100%") and ", x=999 " in frames[2]


def test_every_drawn_frame_shows_the_values_of_its_iteration():
    buf = io.StringIO()
    engine = _engine()
    ProgressBar(file=buf, mininterval=0, bar_format="{n_fmt}{postfix}").attach(
        engine, output_transform=lambda x: {"x": x}
    )
    engine.run(range(1, 301), max_epochs=1)
    frames = _frames(buf.getvalue())
    assert frames[0] == "1"  # the bar as created, before its values are set
    assert len(frames) > 10  # mininterval=0 draws (nearly) every step
    for frame in frames[1:]:
        n, x = re.fullmatch(r"(\d+), x=(\d+)", frame).groups()
        assert n == x


def test_filtered_event_advances_by_filter():
    buf = io.StringIO()
    engine = _engine()
    pbar = ProgressBar(file=buf, persist=True, bar_format="{desc}[{n_fmt}/{total_fmt}]{postfix}")
    pbar.attach(engine, output_transform=lambda x: {"b": x}, event_name=Events.ITERATION_COMPLETED(every=3))
    engine.run(range(1, 11), max_epochs=1)
    # last call at iteration 9; the bar is completed at the closing event
    assert _screen(buf.getvalue()) == ["Iteration: [10/10], b=9"]


def test_epoch_bar_closed_at_completed():
    buf = io.StringIO()
    engine = _engine()
    ProgressBar(file=buf, persist=True, bar_format="").attach(
        engine, event_name=Events.EPOCH_STARTED, closing_event_name=Events.COMPLETED
    )
    engine.run(range(3), max_epochs=4)
    (line,) = _screen(buf.getvalue())
    assert line.startswith("Epoch: 100%|##########| 4/4 [")


def test_unknown_length_data():
    buf = io.StringIO()
    engine = _engine()
    ProgressBar(file=buf, persist=True).attach(engine, output_transform=lambda x: {"x": x})
    engine.run(iter(range(5)), max_epochs=1)
    (line,) = _screen(buf.getvalue())
    assert line.startswith("Iteration: [5/?]") and ", x=4 " in line


def test_log_message_to_stream_above_the_bar():
    buf = io.StringIO()
    engine = _engine()
    pbar = ProgressBar(file=buf, persist=True, bar_format="{desc}[{n_fmt}/{total_fmt}]")
    pbar.attach(engine)

    @engine.on(Events.ITERATION_COMPLETED(once=2))
    def log(e):
        pbar.log_message("checkpoint saved")

    engine.run(range(3), max_epochs=1)
    assert _screen(buf.getvalue()) == ["checkpoint saved", "Iteration: [3/3]"]


def test_log_message_without_bar_goes_to_stdout(capsys):
    ProgressBar().log_message("plain message")
    assert capsys.readouterr().out == "plain message\n"


@pytest.mark.parametrize("trainer_persist", [False, True])
@pytest.mark.parametrize("evaluator_persist", [False, True])
def test_nested_trainer_and_evaluator_bars(trainer_persist, evaluator_persist):
    """Evaluation inside the trainer's epoch: the evaluator's bar goes below the trainer's and leaves no debris."""
    buf = io.StringIO()
    fmt = "{desc}[{n_fmt}/{total_fmt}]{postfix}"
    trainer = _engine(lambda e, b: b)
    evaluator = _engine(lambda e, b: None)
    trainer.add_event_handler(Events.ITERATION_COMPLETED(every=2), lambda _: evaluator.run(range(3)))
    ProgressBar(file=buf, persist=trainer_persist, bar_format=fmt).attach(trainer, output_transform=lambda x: {"l": x})
    ProgressBar(file=buf, persist=evaluator_persist, desc="Validation", bar_format=fmt).attach(evaluator)

    seen_positions = []

    @evaluator.on(Events.ITERATION_COMPLETED)
    def record(_):
        from tqdm import tqdm

        seen_positions.append(sorted(abs(b.pos) for b in tqdm._instances))

    trainer.run(range(4), max_epochs=2)
    assert all(p == [0, 1] for p in seen_positions)  # trainer bar on row 0, evaluator bar under it

    val = "Validation: [3/3]"
    epoch_lines = {e: f"Epoch [{e}/2]: [4/4], l=3" for e in (1, 2)}
    expected = []
    for epoch in (1, 2):
        expected += [val, val] if evaluator_persist else []
        expected += [epoch_lines[epoch]] if trainer_persist else []
    assert _screen(buf.getvalue()) == expected


def test_evaluator_after_closed_trainer_bar():
    buf = io.StringIO()
    fmt = "{desc}[{n_fmt}/{total_fmt}]"
    trainer = _engine()
    evaluator = _engine(lambda e, b: None)
    ProgressBar(file=buf, persist=True, bar_format=fmt).attach(trainer)
    ProgressBar(file=buf, persist=True, desc="Validation", bar_format=fmt).attach(evaluator)
    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda _: evaluator.run(range(2)))
    trainer.run(range(3), max_epochs=2)
    assert _screen(buf.getvalue()) == [
        "Epoch [1/2]: [3/3]",
        "Validation: [2/2]",
        "Epoch [2/2]: [3/3]",
        "Validation: [2/2]",
    ]


def test_terminate_mid_epoch_closes_the_bar_where_it_stopped():
    buf = io.StringIO()
    engine = _engine()
    pbar = ProgressBar(file=buf, persist=True, bar_format="{desc}[{n_fmt}/{total_fmt}]{postfix}")
    pbar.attach(engine, output_transform=lambda x: {"x": x})
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=4), lambda e: e.terminate())
    engine.run(range(10), max_epochs=3)
    assert pbar.pbar is None
    assert _screen(buf.getvalue()) == ["Epoch [1/3]: [4/10], x=3"]


def test_bar_left_open_by_an_exception_does_not_push_the_next_one_down():
    buf = io.StringIO()

    def process(e, b):
        if b == 2 and e.state.epoch == 1 and not getattr(e, "failed", False):
            e.failed = True
            raise RuntimeError("boom")
        return b

    engine = _engine(process)
    pbar = ProgressBar(file=buf, bar_format="{desc}[{n_fmt}/{total_fmt}]")
    pbar.attach(engine)
    with pytest.raises(RuntimeError, match="boom"):
        engine.run(range(5), max_epochs=1)
    assert pbar.pbar is not None  # no event closes it: the engine raised
    stale = pbar.pbar

    positions = []
    engine.add_event_handler(Events.ITERATION_COMPLETED, lambda e: positions.append(abs(pbar.pbar.pos)))
    engine.run(range(5), max_epochs=1)
    assert stale.disable  # closed when the new bar was created
    assert set(positions) == {0}


def test_disabled_bar_writes_nothing():
    buf = io.StringIO()
    engine = _engine()
    ProgressBar(file=buf, disable=True).attach(engine, output_transform=lambda x: {"x": x})
    engine.run(range(5), max_epochs=2)
    assert buf.getvalue() == ""


def test_attach_output_handler_has_the_logger_signature():
    buf = io.StringIO()
    engine = _engine()
    pbar = ProgressBar(file=buf, persist=True, bar_format="{desc}[{n_fmt}/{total_fmt}]{postfix}")
    pbar.attach_output_handler(engine, Events.ITERATION_COMPLETED, output_transform=lambda x: {"y": x})
    assert pbar.attach_opt_params_handler(engine, Events.ITERATION_STARTED, object()) is None
    assert pbar._create_opt_params_handler() is None
    engine.run(range(3), max_epochs=1)
    assert _screen(buf.getvalue()) == ["Iteration: [3/3], y=2"]


def test_attach_errors():
    engine = _engine()
    pbar = ProgressBar()
    with pytest.raises(ValueError, match="Logging event abc is not in allowed events for this engine"):
        from ignite.engine import EventEnum

        class Custom(EventEnum):
            abc = "abc"

        pbar.attach(engine, event_name=Custom.abc)
    with pytest.raises(ValueError, match="Closing Event should not be a filtered event"):
        pbar.attach(engine, closing_event_name=Events.EPOCH_COMPLETED(every=2))
    with pytest.raises(ValueError, match="should be called before closing event"):
        pbar.attach(engine, event_name=Events.EPOCH_COMPLETED, closing_event_name=Events.EPOCH_STARTED)
    with pytest.raises(ValueError, match="should be called before closing event"):
        pbar.attach(engine, event_name=Events.COMPLETED, closing_event_name=Events.COMPLETED)
    with pytest.raises(TypeError, match="metric_names should be either a list or equal 'all'"):
        pbar.attach(engine, metric_names="a")


def test_missing_metric_warns():
    engine = _engine()
    with pytest.warns(UserWarning, match="Provided metric name 'nope' is missing"):
        ProgressBar(file=io.StringIO()).attach(engine, metric_names=["nope"])
        engine.run(range(2))


def test_one_bar_over_all_epochs_wraps_per_epoch():
    buf = io.StringIO()
    engine = _engine()
    pbar = ProgressBar(file=buf, persist=True, mininterval=0, bar_format="{desc}[{n_fmt}/{total_fmt}]{postfix}")
    pbar.attach(engine, output_transform=lambda x: {"x": x}, closing_event_name=Events.COMPLETED)
    engine.run(range(4), max_epochs=3)
    steps = []
    for frame in _frames(buf.getvalue())[1:]:
        n, x = re.fullmatch(r"Epoch: \[(\d)/4\], x=(\d)", frame).groups()
        assert int(x) == int(n) - 1
        steps.append(int(n))
    assert steps.count(4) == 3 + 1  # each epoch reaches the end; the closing frame too
    assert steps.index(4) < len(steps) - 1 - steps[::-1].index(2)  # then starts over
    assert _screen(buf.getvalue()) == ["Epoch: [4/4], x=3"]


def test_max_iters_run():
    buf = io.StringIO()
    engine = _engine()
    ProgressBar(file=buf, persist=True, bar_format="{desc}[{n_fmt}/{total_fmt}]{postfix}").attach(
        engine, output_transform=lambda x: {"x": x}
    )
    engine.run(range(4), max_iters=6)
    assert _screen(buf.getvalue()) == ["Epoch [1/2]: [4/4], x=3", "Epoch [2/2]: [2/4], x=1"]


def test_close_sets_bar_to_total():
    engine = _engine()
    pbar = ProgressBar(file=io.StringIO())
    pbar.attach(engine)
    closed = []

    def spy(e):
        closed.append((pbar.pbar.n, pbar.pbar.total))

    engine.add_event_handler(Events.ITERATION_COMPLETED(once=7), spy)
    engine.run(range(7), max_epochs=1)
    assert closed == [(7, 7)]
    assert pbar.pbar is None
