"""ignite.utils and ignite._utils (spec engine.md §3)."""

import logging
import random
import sys
import warnings
from collections import OrderedDict, namedtuple
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
import torch

import ignite
import ignite.utils as iu
from ignite.utils import (
    _CollectionItem,
    _to_str_list,
    _tree_apply2,
    _tree_map,
    apply_to_tensor,
    apply_to_type,
    convert_tensor,
    deprecated,
    hash_checkpoint,
    manual_seed,
    setup_logger,
    to_onehot,
)


def test_all_and_shim():
    assert iu.__all__ == [
        "convert_tensor",
        "apply_to_tensor",
        "apply_to_type",
        "_to_str_list",
        "to_onehot",
        "setup_logger",
        "manual_seed",
        "hash_checkpoint",
    ]
    from ignite import _utils

    assert sorted(_utils.__all__) == sorted(["apply_to_tensor", "apply_to_type", "convert_tensor", "to_onehot"])
    assert _utils.convert_tensor is convert_tensor
    assert _utils.apply_to_tensor is apply_to_tensor
    assert _utils.apply_to_type is apply_to_type
    assert _utils.to_onehot is to_onehot
    assert ignite.__version__ == "0.6.0"


def test_convert_tensor():
    x = torch.tensor([0.0])
    assert convert_tensor(x) is x
    y = convert_tensor(x, device="cpu", non_blocking=True)
    assert torch.is_tensor(y) and y.device.type == "cpu"
    out = convert_tensor((x, x))
    assert isinstance(out, tuple) and len(out) == 2
    out = convert_tensor([x, x])
    assert isinstance(out, list)
    out = convert_tensor({"a": x, "b": [x, "s"]}, device="cpu")
    assert torch.equal(out["a"], x) and out["b"][1] == "s"
    od = convert_tensor(OrderedDict([("b", x), ("a", x)]))
    assert isinstance(od, OrderedDict) and list(od) == ["b", "a"]
    NT = namedtuple("NT", ["a", "b"])
    nt = convert_tensor(NT(x, x))
    assert isinstance(nt, NT)
    assert convert_tensor("a") == "a"
    assert convert_tensor(b"a") == b"a"
    with pytest.raises(TypeError, match=r"x must contain .+, dicts or lists; found <class 'int'>"):
        convert_tensor(12345)
    with pytest.raises(TypeError):
        convert_tensor(None)


def test_convert_tensor_dtype_kept():
    x = torch.tensor([1, 2], dtype=torch.int64)
    assert convert_tensor(x, device="cpu").dtype == torch.int64


def test_apply_to_type_and_tensor():
    assert apply_to_type(1, int, lambda v: v + 1) == 2
    assert apply_to_type([1, (2, {"a": 3})], int, lambda v: v * 10) == [10, (20, {"a": 30})]
    assert apply_to_type({"k": 1.5, "s": "x"}, (int, float), lambda v: -v) == {"k": -1.5, "s": "x"}
    with pytest.raises(TypeError, match=r"x must contain <class 'int'>, dicts or lists; found <class 'float'>"):
        apply_to_type([1.0], int, lambda v: v)
    t = apply_to_tensor([torch.ones(2), {"z": torch.zeros(1)}], lambda v: v + 1)
    assert torch.equal(t[0], torch.full((2,), 2.0)) and torch.equal(t[1]["z"], torch.ones(1))


def test_to_onehot():
    indices = torch.tensor([0, 1, 2, 3])
    out = to_onehot(indices, 4)
    assert out.dtype == torch.uint8 and out.shape == (4, 4)
    assert torch.equal(out, torch.eye(4, dtype=torch.uint8))
    indices = torch.randint(0, 5, size=(10, 3, 2))
    out = to_onehot(indices, 5)
    assert out.shape == (10, 5, 3, 2)
    assert torch.equal(out.argmax(dim=1), indices)
    assert int(out.sum()) == indices.numel()
    assert out.device == indices.device


def test_to_onehot_torchscript():
    scripted = torch.jit.script(to_onehot)
    x = torch.tensor([1, 0, 2])
    assert torch.equal(scripted(x, 3), to_onehot(x, 3))

    class M(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return to_onehot(x, 4)

    m = torch.jit.script(M())
    assert torch.equal(m(x), to_onehot(x, 4))


def _unique_name(tag):
    return f"test_utils_logger_{tag}_{random.randint(0, 10**9)}"


def test_setup_logger_stream_and_file(tmp_path):
    name = _unique_name("a")
    stream = StringIO()
    fp = tmp_path / "log.txt"
    logger = setup_logger(name, stream=stream, filepath=str(fp), distributed_rank=0)
    assert logger.level == logging.INFO
    assert len(logger.handlers) == 2
    assert logger.propagate is False
    logger.info("hello world")
    for h in logger.handlers:
        h.flush()
    line = stream.getvalue().strip()
    assert line.endswith(f"{name} INFO: hello world")
    assert fp.read_text().strip().endswith(f"{name} INFO: hello world")
    for h in list(logger.handlers):
        h.close()
        logger.removeHandler(h)


def test_setup_logger_existing_kept_and_reset(tmp_path):
    name = _unique_name("b")
    stream = StringIO()
    logger = setup_logger(name, stream=stream, distributed_rank=0)
    assert len(logger.handlers) == 1
    logger2 = setup_logger(name, level=logging.DEBUG, distributed_rank=0)
    assert logger2 is logger and logger.level == logging.INFO and len(logger.handlers) == 1
    logger3 = setup_logger(
        name, level=logging.DEBUG, stream=stream, filepath=str(tmp_path / "x.log"), reset=True, distributed_rank=0
    )
    assert logger3 is logger and logger.level == logging.DEBUG and len(logger.handlers) == 2
    for h in list(logger.handlers):
        h.close()
        logger.removeHandler(h)


def test_setup_logger_other_rank():
    name = _unique_name("c")
    logger = setup_logger(name, level=logging.DEBUG, distributed_rank=1)
    assert logger.level == logging.NOTSET  # level not set on rank > 0
    assert len(logger.handlers) == 1 and isinstance(logger.handlers[0], logging.NullHandler)


def test_setup_logger_default_rank_and_format():
    name = _unique_name("d")
    stream = StringIO()
    logger = setup_logger(name, stream=stream, format="%(levelname)s|%(message)s")
    logger.warning("w")
    assert stream.getvalue() == "WARNING|w\n"
    logger.handlers.clear()


def test_setup_logger_engine_line():
    from ignite.engine import Engine

    stream = StringIO()
    engine = Engine(lambda e, b: None)
    engine.logger = setup_logger("trainer", stream=stream, reset=True, distributed_rank=0)
    engine.run([1, 2], max_epochs=5)
    assert "trainer INFO: Engine run starting with max_epochs=5." in stream.getvalue()
    engine.logger.handlers.clear()


def test_manual_seed():
    manual_seed(42)
    a = (random.random(), torch.rand(1).item(), np.random.rand())
    manual_seed(42)
    b = (random.random(), torch.rand(1).item(), np.random.rand())
    assert a == b


def test_manual_seed_without_numpy(monkeypatch):
    monkeypatch.setitem(sys.modules, "numpy", None)
    manual_seed(3)
    x = torch.rand(1)
    manual_seed(3)
    assert torch.equal(torch.rand(1), x)


def test_hash_checkpoint(tmp_path):
    src = tmp_path / "model.pth"
    torch.save({"a": torch.ones(3)}, src)
    import hashlib

    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    out_dir = tmp_path / "out" / "sub"
    new_path, full = hash_checkpoint(str(src), str(out_dir))
    assert full == digest and len(full) == 64
    assert new_path == out_dir / f"model-{digest[:8]}.pt"
    assert new_path.exists() and not src.exists()  # moved

    src2 = tmp_path / "other.bin"
    src2.write_bytes(b"x" * 10000)
    out2 = tmp_path / "given"
    out2.mkdir()
    new2, _ = hash_checkpoint(src2, out2)
    assert isinstance(new2, Path) and new2.suffix == ".pt" and new2.parent == out2

    with pytest.raises(FileNotFoundError, match=r"^missing.pt does not exist in "):
        hash_checkpoint(tmp_path / "missing.pt", str(tmp_path))


def test_deprecated_docs():
    @deprecated("0.4.2", "0.6.0")
    def no_doc():
        return 1

    assert no_doc.__doc__ == "**Deprecated function**.\n\n    .. deprecated:: 0.4.2"

    @deprecated("0.4.2")
    def with_doc():
        """Docs are cool"""

    assert with_doc.__doc__ == "**Deprecated function**.\n\n    Docs are cool.. deprecated:: 0.4.2"

    @deprecated("0.4.2", reasons=("r1", "r2"))
    def with_reasons():
        """Docs are very cool"""

    assert with_reasons.__doc__ == (
        "**Deprecated function**.\n\n    Docs are very cool.. deprecated:: 0.4.2\n\n\t\n\t- r1\n\t- r2"
    )
    assert with_reasons.__name__ == "with_reasons"


def test_deprecated_warn_and_raise():
    @deprecated("0.4.2", "0.6.0")
    def f(x):
        return x + 1

    with pytest.warns(DeprecationWarning) as record:
        assert f(1) == 2
    assert str(record[0].message) == (
        "This function has been deprecated since version 0.4.2 and will be removed in version 0.6.0.\n"
        " Please refer to the documentation for more details."
    )

    @deprecated("0.4.2", raise_exception=True)
    def g():
        return 1

    with pytest.raises(DeprecationWarning, match=r"^This function has been deprecated since version 0.4.2.\n"):
        g()

    @deprecated("1.0")
    def h():
        return "r"

    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        assert h() == "r"
    assert "since version 1.0.\n Please refer" in str(rec[0].message)


@pytest.mark.parametrize(
    "data, expected",
    [
        (42, ["42.0000"]),
        ([{"a": 15, "b": torch.tensor([2.0])}], ["a: 15.0000", "b: [2.0000]"]),
        ({"a": 10, "b": 2.33333}, ["a: 10.0000", "b: 2.3333"]),
        ({"x": torch.tensor(0.1234), "y": [1, 2.3567]}, ["x: 0.1234", "y: 1.0000, 2.3567"]),
        (({"nested": [3.1415, torch.tensor(0.0001)]},), ["nested: 3.1415, 0.0001"]),
        (
            {"large_vector": torch.tensor(range(20))},
            [
                "large_vector: [0.0000, 1.0000, 2.0000, 3.0000, 4.0000, 5.0000, 6.0000, 7.0000, 8.0000, 9.0000, ...]",
            ],
        ),
        ({"large_matrix": torch.randn(5, 5)}, ["large_matrix: Shape[5, 5]"]),
        ({"empty": []}, ["empty: "]),
        ([], []),
        ({"none": None}, ["none: "]),
        ({1: 100, 2: 200}, ["1: 100.0000", "2: 200.0000"]),
        ({"l": [1, {"k": 2}]}, ["k: 2.0000", "l: 1.0000"]),
        (torch.tensor(1.0), []),
        ("abc", []),
        (True, ["1.0000"]),
    ],
)
def test_to_str_list(data, expected):
    assert _to_str_list(data) == expected


def test_tree_map():
    NT = namedtuple("NT", ["a", "b"])
    seen = []

    def f(x, key=None):
        seen.append(key)
        return x * 2

    out = _tree_map(f, {"a": 1, "b": [2, 3], "c": NT(4, 5)})
    assert out == {"a": 2, "b": [4, 6], "c": NT(8, 10)}
    assert seen == ["a", 0, 1, None, None]
    # strings are leaves (no infinite recursion)
    assert _tree_map(lambda x, key=None: x, {"s": "abc"}) == {"s": "abc"}


def test_collection_item():
    d = {"a": 1}
    item = _CollectionItem(d, "a")
    assert item.value() == 1
    item.load_value(5)
    assert d["a"] == 5
    lst = [1, 2]
    _CollectionItem(lst, 1).load_value(7)
    assert lst == [1, 7]
    assert _CollectionItem.types_as_collection_item == (int, float, torch.Tensor)
    with pytest.raises(
        TypeError, match=r"^Input type is expected to be a mapping or list, but got <class 'tuple'> for input key '0'.$"
    ):
        _CollectionItem((1,), 0)
    with pytest.raises(ValueError, match=r"^Key should be int for collection of type list$"):
        _CollectionItem([1], "a")
    assert isinstance(_CollectionItem.wrap(d, "a", 1), _CollectionItem)
    assert isinstance(_CollectionItem.wrap(d, "a", None), _CollectionItem)
    assert isinstance(_CollectionItem.wrap(d, "a", torch.ones(1)), _CollectionItem)
    assert _CollectionItem.wrap(d, "a", "s") == "s"
    inner = {"z": 1}
    assert _CollectionItem.wrap(d, "a", inner) is inner


def test_tree_apply2():
    x = {"a": 1, "b": [2.0, None], "c": {"d": torch.zeros(1)}}
    y = {"a": 10, "b": [20.0, 30], "c": {"d": torch.ones(1)}, "extra": 0}

    def load(item, value):
        item.load_value(value)

    _tree_apply2(load, x, y)
    assert x["a"] == 10 and x["b"] == [20.0, 30] and torch.equal(x["c"]["d"], torch.ones(1))
    with pytest.raises(ValueError, match=r"^Key 'q' from x is not found in y: "):
        _tree_apply2(load, {"q": 1}, {"a": 1})
    with pytest.raises(ValueError, match=r"^Size of y: 1 does not match the size of x: '2'$"):
        _tree_apply2(load, [1, 2], [1])
    calls = []
    _tree_apply2(lambda a, b: calls.append((a, b)), "leaf", 3)
    assert calls == [("leaf", 3)]
