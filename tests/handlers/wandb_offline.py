"""Read the history rows of an offline W&B run from its ``.wandb`` file.

The file is a LevelDB-style log (W&B's own format): a 7-byte header (``:W&B``, magic, version), then 32 KiB
blocks of chunks ``crc32 (4) | length (2) | type (1) | data``, type 1 = whole record, 2/3/4 = first/middle/last
piece. Each record is a ``wandb.proto`` ``Record`` message, parsed with wandb's own protobuf classes.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

_BLOCK = 32 * 1024
_HEADER = 7


def _records(data: bytes) -> list[bytes]:
    assert data[:4] == b":W&B", data[:7]
    records, pending, pos = [], b"", _HEADER
    while pos + _HEADER <= len(data):
        left = _BLOCK - pos % _BLOCK
        if left < _HEADER:  # block trailer
            pos += left
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + _HEADER])
        if kind == 0 and length == 0:  # zero padding up to the block's end
            pos += left
            continue
        chunk = data[pos + _HEADER : pos + _HEADER + length]
        pos += _HEADER + length
        if kind == 1:
            records.append(chunk)
        elif kind == 2:
            pending = chunk
        elif kind == 3:
            pending += chunk
        elif kind == 4:
            records.append(pending + chunk)
    return records


def history_rows(run_dir: Path) -> list[dict[str, Any]]:
    """The history rows (``_step`` included, values decoded from JSON) of the offline run in ``run_dir``."""
    from wandb.proto import wandb_internal_pb2

    (path,) = Path(run_dir).glob("run-*.wandb")
    rows = []
    for raw in _records(path.read_bytes()):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(raw)
        if record.WhichOneof("record_type") == "history":
            rows.append(
                {item.key or "/".join(item.nested_key): json.loads(item.value_json) for item in record.history.item}
            )
    return rows


def metric_definitions(run_dir: Path) -> dict[str, str]:
    """``define_metric`` records: metric glob or name -> its step metric ("" when none)."""
    from wandb.proto import wandb_internal_pb2

    (path,) = Path(run_dir).glob("run-*.wandb")
    out = {}
    for raw in _records(path.read_bytes()):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(raw)
        if record.WhichOneof("record_type") == "metric":
            metric = record.metric
            out[metric.glob_name or metric.name] = metric.step_metric
    return out
