"""The engine examples of the user documents (../shared/seeds), run as written.

Numbers that come from torch's random generator were printed by an older torch; for those the tests check
the property the document shows (counters, event sequence, resumed batches equal the original tail).
"""

import re

import torch
from torch.utils.data import DataLoader

from ignite.engine import DeterministicEngine, Engine, EventEnum, Events, create_supervised_trainer
from ignite.engine.deterministic import keep_random_state
from ignite.utils import manual_seed

LINE = re.compile(r"^(\d+)/(\d+) : (\d+) - ([\d.]+)$")


def _parse(out):
    rows = [LINE.match(line) for line in out.strip().splitlines()]
    assert all(rows), out
    return [(int(m[1]), int(m[2]), int(m[3]), float(m[4])) for m in rows]


def _print_step(trainer, batch):
    s = trainer.state
    value = batch.norm() if isinstance(batch, torch.Tensor) else batch
    print(f"{s.epoch}/{s.max_epochs} : {s.iteration} - {value:.3f}")


def infinite_iterator(batch_size):
    while True:
        yield torch.rand(batch_size, 3, 32, 32)


def test_faq_infinite_iterator_with_epoch_length(capsys):
    torch.manual_seed(12)
    trainer = Engine(_print_step)
    trainer.run(infinite_iterator(4), epoch_length=5, max_epochs=3)
    rows = _parse(capsys.readouterr().out)
    assert [(e, m, i) for e, m, i, _ in rows] == [((i - 1) // 5 + 1, 3, i) for i in range(1, 16)]
    # norm of a 4x3x32x32 uniform tensor: about sqrt(12288 / 3) = 64
    assert all(62 < v < 66 for *_, v in rows)


def test_faq_infinite_iterator_terminate(capsys):
    torch.manual_seed(12)
    trainer = Engine(_print_step)

    @trainer.on(Events.ITERATION_COMPLETED(once=15))
    def stop_training():
        trainer.terminate()

    state = trainer.run(infinite_iterator(4))
    rows = _parse(capsys.readouterr().out)
    assert [(e, m, i) for e, m, i, _ in rows] == [(1, 1, i) for i in range(1, 16)]
    assert state.epoch == 1 and state.iteration == 15


def finite_unk_size_data_iter():
    yield from range(11)


def test_faq_finite_unknown_size_training(capsys):
    trainer = Engine(_print_step)

    @trainer.on(Events.DATALOADER_STOP_ITERATION)
    def restart_iter():
        trainer.state.dataloader = finite_unk_size_data_iter()

    state = trainer.run(finite_unk_size_data_iter(), max_epochs=5)
    rows = _parse(capsys.readouterr().out)
    assert [(e, m, i, v) for e, m, i, v in rows] == [
        ((i - 1) // 11 + 1, 5, i, float((i - 1) % 11)) for i in range(1, 56)
    ]
    assert state.epoch == 5 and state.iteration == 55 and state.epoch_length == 11


def test_faq_finite_unknown_size_validation(capsys):
    completed = []
    evaluator = Engine(_print_step)
    evaluator.add_event_handler(Events.COMPLETED, lambda: completed.append(1))
    state = evaluator.run(finite_unk_size_data_iter())
    rows = _parse(capsys.readouterr().out)
    assert rows == [(1, 1, i, float(i - 1)) for i in range(1, 12)]
    assert state.epoch == 1 and state.iteration == 11 and completed == [1]


def finite_size_data_iter(size):
    yield from range(size)


def test_faq_finite_known_size_restart_on_iteration(capsys):
    size = 11
    trainer = Engine(_print_step)

    @trainer.on(Events.ITERATION_COMPLETED(every=size))
    def restart_iter():
        trainer.state.dataloader = finite_size_data_iter(size)

    state = trainer.run(finite_size_data_iter(size), max_epochs=5)
    rows = _parse(capsys.readouterr().out)
    assert [v for *_, v in rows] == [float(i % 11) for i in range(55)]
    assert state.epoch == 5 and state.iteration == 55


def test_faq_finite_known_size_validation(capsys):
    evaluator = Engine(_print_step)
    state = evaluator.run(finite_size_data_iter(11))
    assert len(_parse(capsys.readouterr().out)) == 11
    assert state.iteration == 11


def test_faq_custom_backprop_events():
    class BackpropEvents(EventEnum):
        BACKWARD_STARTED = "backward_started"
        BACKWARD_COMPLETED = "backward_completed"
        OPTIM_STEP_COMPLETED = "optim_step_completed"

    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    seen = []

    def update(engine, batch):
        model.train()
        optimizer.zero_grad()
        x, y = batch
        loss = torch.nn.functional.mse_loss(model(x), y)
        engine.fire_event(BackpropEvents.BACKWARD_STARTED)
        loss.backward()
        engine.fire_event(BackpropEvents.BACKWARD_COMPLETED)
        optimizer.step()
        engine.fire_event(BackpropEvents.OPTIM_STEP_COMPLETED)
        return loss.item()

    trainer = Engine(update)
    # counting BACKWARD_COMPLETED with the iteration counter lets it take an `every` filter
    trainer.register_events(*BackpropEvents, event_to_attr={BackpropEvents.BACKWARD_COMPLETED: "iteration"})

    @trainer.on(BackpropEvents.BACKWARD_STARTED)
    def function_before_backprop(engine):
        seen.append(
            ("before", engine.state.iteration, model.weight.grad is None or bool((model.weight.grad == 0).all()))
        )

    @trainer.on(BackpropEvents.BACKWARD_COMPLETED(every=2))
    def after_backprop(engine):
        seen.append(("after", engine.state.iteration))

    data = [(torch.randn(4, 2), torch.randn(4, 1)) for _ in range(4)]
    trainer.run(data, max_epochs=1)
    assert seen == [
        ("before", 1, True),
        ("before", 2, True),
        ("after", 2),
        ("before", 3, True),
        ("before", 4, True),
        ("after", 4),
    ]


def test_faq_gradient_accumulation_matches_create_supervised_trainer():
    accumulation_steps = 4
    torch.manual_seed(0)
    data = [(torch.randn(8, 3), torch.randn(8, 1)) for _ in range(8)]

    def make():
        torch.manual_seed(1)
        model = torch.nn.Linear(3, 1)
        return model, torch.optim.SGD(model.parameters(), lr=0.1)

    model, optimizer = make()
    criterion = torch.nn.MSELoss()

    def update_fn(engine, batch):
        model.train()
        x, y = batch
        loss = criterion(model(x), y) / accumulation_steps
        loss.backward()
        if engine.state.iteration % accumulation_steps == 0:
            optimizer.step()
            optimizer.zero_grad()
        return loss.item()

    Engine(update_fn).run(data, max_epochs=2)

    model2, optimizer2 = make()
    create_supervised_trainer(model2, optimizer2, criterion, gradient_accumulation_steps=accumulation_steps).run(
        data, max_epochs=2
    )
    for p1, p2 in zip(model.parameters(), model2.parameters()):
        torch.testing.assert_close(p1, p2)


def test_faq_state_times(capsys):
    trainer = Engine(lambda e, b: None)

    @trainer.on(Events.EPOCH_COMPLETED)
    def log_epoch_time():
        print(f"{trainer.state.epoch}: {trainer.state.times['EPOCH_COMPLETED']}")

    @trainer.on(Events.COMPLETED)
    def log_total_time():
        print(f"Total: {trainer.state.times['COMPLETED']}")

    trainer.run(range(3), max_epochs=2)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["1", "2", "Total"]
    assert all(float(line.split(": ")[1]) >= 0.0 for line in lines)


def test_concepts_handlers_and_removable_handle(capsys):
    trainer = Engine(lambda e, b: b)
    trainer.add_event_handler(Events.STARTED, lambda engine: print("Start training"))

    @trainer.on(Events.STARTED)
    def on_training_started(engine):
        print("Another message of start training")

    mydata = [1, 2, 3, 4]

    def on_training_ended(engine, data):
        print(f"Training is ended. mydata={data}")

    trainer.add_event_handler(Events.COMPLETED, on_training_ended, mydata)

    evaluator = Engine(lambda e, b: b)

    def log_metrics(engine, title):
        print(f"Epoch: {trainer.state.epoch} - {title}")

    @trainer.on(Events.EPOCH_COMPLETED)
    def evaluate(trainer):
        with evaluator.add_event_handler(Events.COMPLETED, log_metrics, "train"):
            evaluator.run([1, 2])
        with evaluator.add_event_handler(Events.COMPLETED, log_metrics, "validation"):
            evaluator.run([1, 2])

    trainer.run([1, 2, 3], max_epochs=2)
    assert capsys.readouterr().out.splitlines() == [
        "Start training",
        "Another message of start training",
        "Epoch: 1 - train",
        "Epoch: 1 - validation",
        "Epoch: 2 - train",
        "Epoch: 2 - validation",
        "Training is ended. mydata=[1, 2, 3, 4]",
    ]
    assert not evaluator.has_event_handler(log_metrics)


def test_concepts_filters_and_custom_filter():
    trainer = Engine(lambda e, b: b)
    calls = {"every50": [], "once25": [], "special": []}
    trainer.add_event_handler(
        Events.ITERATION_COMPLETED(every=50), lambda e: calls["every50"].append(e.state.iteration)
    )
    trainer.add_event_handler(Events.EPOCH_STARTED(once=25), lambda e: calls["once25"].append(e.state.epoch))

    def custom_event_filter(engine, event):
        return event in [1, 2, 5, 10, 50, 100]

    trainer.add_event_handler(
        Events.ITERATION_STARTED(event_filter=custom_event_filter), lambda e: calls["special"].append(e.state.iteration)
    )
    trainer.run(range(4), max_epochs=30)
    assert calls == {"every50": [50, 100], "once25": [25], "special": [1, 2, 5, 10, 50, 100]}


def test_slides_handlers_without_engine_and_stacked_events(capsys):
    trainer = Engine(lambda e, b: b * 10)
    trainer.add_event_handler(Events.STARTED, lambda _: print("Start training"))
    mydata = [1, 2, 3, 4]

    def on_training_ended(data):
        print(f"Training is ended. mydata={data}")

    trainer.add_event_handler(Events.COMPLETED, on_training_ended, mydata)
    trainer.add_event_handler(Events.COMPLETED, lambda engine: print(sorted(engine.state.times)))

    fired = []

    @trainer.on(Events.COMPLETED | Events.EPOCH_COMPLETED(every=10))
    def run_another_validation():
        fired.append(trainer.state.epoch)

    trainer.run([1, 2], max_epochs=20)
    assert capsys.readouterr().out.splitlines() == [
        "Start training",
        "Training is ended. mydata=[1, 2, 3, 4]",
        "['COMPLETED', 'EPOCH_COMPLETED']",
    ]
    assert fired == [10, 20, 20]


def random_train_data_loader(size):
    data = torch.arange(0, size)
    return DataLoader(data, batch_size=4, shuffle=True)


def test_engine_doc_deterministic_resume(capsys):
    def print_train_data(engine, batch):
        print("train", engine.state.epoch, engine.state.iteration, batch.tolist())

    trainer = DeterministicEngine(print_train_data)
    print("Original Run")
    manual_seed(56)
    trainer.run(random_train_data_loader(40), max_epochs=2, epoch_length=5)
    print("Resumed Run")
    trainer.load_state_dict({"epoch": 1, "epoch_length": 5, "max_epochs": 2, "rng_states": None})
    manual_seed(56)
    trainer.run(random_train_data_loader(40))

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Original Run" and lines[11] == "Resumed Run"
    original, resumed = lines[1:11], lines[12:]
    assert [line.split(" [")[0] for line in original] == [f"train {(i - 1) // 5 + 1} {i}" for i in range(1, 11)]
    assert resumed == original[5:]
    batches = [eval(line.split(" ", 3)[3]) for line in original]
    assert all(len(b) == 4 for b in batches)
    assert len({x for b in batches for x in b}) == 40  # 10 batches of a 40-sample pass: each sample once


def _gen_run(handler_decorator):
    seen = []

    def print_train_data(engine, batch):
        seen.append(batch.item())

    def random_train_data_generator():
        while True:
            yield torch.randint(0, 100, size=(1,))

    trainer = DeterministicEngine(print_train_data)
    if handler_decorator is not None:

        @trainer.on(Events.ITERATION_COMPLETED(every=3))
        @handler_decorator
        def user_handler():
            torch.manual_seed(12)
            torch.rand(1)

    manual_seed(0)
    trainer.run(random_train_data_generator(), max_epochs=3, epoch_length=5)
    return seen


def test_engine_doc_random_state_warning_and_keep_random_state():
    plain = _gen_run(None)
    altered = _gen_run(lambda f: f)
    kept = _gen_run(keep_random_state)
    # the document's point: re-seeding inside a handler makes the data stream periodic (period 3 after it)
    assert altered[3:6] == altered[6:9] == altered[9:12] == altered[12:15]
    assert altered != plain
    # keep_random_state restores the RNG so the stream is unaffected by the handler
    assert kept == plain
