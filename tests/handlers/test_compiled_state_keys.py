"""Checkpoints of compiled models hold the plain model's keys and load either way round (real files).

``torch.compile`` only wraps the module here: nothing is traced until the model is called, and these tests
never call it, so they cost no compilation.
"""

import torch
from torch import nn

from ignite.engine import Engine
from ignite.handlers import Checkpoint, DiskSaver, EMAHandler
from ignite.handlers._state_keys import load_module_state, module_state_dict, plain_key


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.body(x))


def _net(seed):
    torch.manual_seed(seed)
    return _Net()


PLAIN_KEYS = list(_net(0).state_dict())


def _save(to_save, dirname):
    checkpoint = Checkpoint(to_save, DiskSaver(dirname, require_empty=False), n_saved=1)
    engine = Engine(lambda e, b: None)
    engine.state.iteration = 1
    checkpoint(engine)
    return dirname / checkpoint.last_checkpoint


def _assert_same(a, b):
    sa, sb = module_state_dict(a), module_state_dict(b)
    assert list(sa) == list(sb)
    for k in sa:
        torch.testing.assert_close(sa[k], sb[k])


def test_checkpoint_saves_a_compiled_model_under_plain_keys(tmp_path):
    compiled = torch.compile(_net(1), backend="eager")
    assert all(k.startswith("_orig_mod.") for k in compiled.state_dict())
    path = _save({"model": compiled}, tmp_path)
    saved = torch.load(path, weights_only=True)
    assert list(saved) == PLAIN_KEYS


def test_checkpoint_loads_plain_into_compiled_and_compiled_into_plain(tmp_path):
    source = _net(1)
    path = _save({"model": source, "other": nn.Linear(1, 1)}, tmp_path / "a")
    compiled = torch.compile(_net(2), backend="eager")
    Checkpoint.load_objects({"model": compiled, "other": nn.Linear(1, 1)}, path)
    _assert_same(compiled, source)

    # the other way round, from a compiled model saved by Checkpoint and from a raw torch.save of one
    compiled_source = torch.compile(_net(3), backend="eager")
    path = _save({"model": compiled_source, "other": nn.Linear(1, 1)}, tmp_path / "b")
    plain = _net(4)
    Checkpoint.load_objects({"model": plain, "other": nn.Linear(1, 1)}, path)
    _assert_same(plain, compiled_source)

    raw = tmp_path / "raw.pt"
    torch.save(compiled_source.state_dict(), raw)  # keys with ``_orig_mod.``
    plain = _net(5)
    Checkpoint.load_objects({"model": plain}, raw)
    _assert_same(plain, compiled_source)


def test_compiled_submodule_keys(tmp_path):
    """A model whose submodule alone is compiled saves plain keys and loads plain ones."""
    model = _net(1)
    model.body = torch.compile(model.body, backend="eager")
    assert any("_orig_mod" in k for k in model.state_dict())
    path = _save({"model": model}, tmp_path)
    assert list(torch.load(path, weights_only=True)) == PLAIN_KEYS
    target = _net(2)
    target.body = torch.compile(target.body, backend="eager")
    Checkpoint.load_objects({"model": target}, path)
    _assert_same(target, model)
    assert plain_key("body._orig_mod.0.weight") == "body.0.weight"


def test_strict_loading_still_names_wrong_keys():
    model = torch.compile(_net(0), backend="eager")
    state = module_state_dict(_net(1))
    state["extra.weight"] = torch.zeros(1)
    try:
        load_module_state(model, state)
    except RuntimeError as e:
        assert "extra.weight" in str(e)
    else:
        raise AssertionError("an unexpected key must raise")


def test_ema_handler_with_a_compiled_model(tmp_path):
    plain = _net(1)
    compiled = torch.compile(plain, backend="eager")
    ema = EMAHandler(compiled, momentum=0.5)
    assert ema.model is plain  # averages the parameters the compiled module trains
    assert list(ema.state_dict()["ema_model"]) == PLAIN_KEYS
    with torch.no_grad():
        for p in plain.parameters():
            p.add_(1.0)
    engine = Engine(lambda e, b: None)
    ema.attach(engine)
    engine.run([0], max_epochs=1)

    path = _save({"ema": ema}, tmp_path)
    saved = torch.load(path, weights_only=True)
    assert list(saved["ema_model"]) == PLAIN_KEYS
    other = EMAHandler(_net(9), momentum=0.5)  # a plain model loads the compiled one's EMA state
    Checkpoint.load_objects({"ema": other}, path)
    _assert_same(other.ema_model, ema.ema_model)
    expected = 0.5 * _net(1).head.weight + 0.5 * (_net(1).head.weight + 1.0)
    torch.testing.assert_close(other.ema_model.head.weight, expected)
