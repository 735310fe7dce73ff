"""SLURM parsing (``comp_models/_slurm.py``): hand-worked host lists and job environments.

The spec's own host-list examples and the torch-variable consistency rules are in ``test_idist_serial.py``; a
real two-process run from SLURM variables is in ``test_idist_launchers.py``.
"""

from __future__ import annotations

import os
import stat

import pytest

from ignite.distributed.comp_models import native
from ignite.distributed.comp_models._slurm import (
    _SLURM_REQUIRED_VARS,
    _check_slurm_env,
    _expand_hostlist,
    _setup_ddp_vars_from_slurm_env,
)


def test_native_paths_are_the_slurm_functions():
    assert native._expand_hostlist is _expand_hostlist
    assert native._setup_ddp_vars_from_slurm_env is _setup_ddp_vars_from_slurm_env


@pytest.mark.parametrize(
    "nodelist, expected",
    [
        ("node[1-3,5]", ["node1", "node2", "node3", "node5"]),
        ("a[01-02],b", ["a01", "a02", "b"]),
        ("b,a[01-02]", ["b", "a01", "a02"]),  # entries keep their order, only numbers in a bracket are sorted
        ("gpu[0-3]", ["gpu0", "gpu1", "gpu2", "gpu3"]),  # a start of "0" is not zero padding
        ("n[00-02]", ["n00", "n01", "n02"]),
        ("n[8-10]", ["n8", "n9", "n10"]),  # no padding: widths grow
        ("node[1,02-3]", ["node01", "node02", "node03"]),  # the widest zero-padded start pads the bracket
        ("node[3,1-2,2]", ["node1", "node2", "node3"]),  # sorted, duplicates in one bracket dropped
        ("r[1-2]n[1-2]", ["r1n1", "r1n2", "r2n1", "r2n2"]),  # brackets multiply, first bracket outermost
        ("rack[1-2]-gpu,login", ["rack1-gpu", "rack2-gpu", "login"]),
        (" a[1-2] , b[7] ", ["a1", "a2", "b7"]),  # spaces ignored
        ("a,,b,", ["a", "b"]),  # empty entries skipped
        ("", []),
        ("10.0.0.[4-5]", ["10.0.0.4", "10.0.0.5"]),
    ],
)
def test_expand_hostlist_hand_worked(nodelist, expected):
    assert _expand_hostlist(nodelist) == expected


@pytest.mark.parametrize(
    "nodelist",
    ["node[]", "node[1-]", "node[-3]", "node[3-1]", "node[1,]", "node[a-b]", "node[1-2", "node1-2]", "n[[1]]",
     "n[1]]", "n[1-2-3]", "n[²]", "a[1],b[2"],
)  # fmt: skip
def test_expand_hostlist_invalid(nodelist):
    with pytest.raises(ValueError) as info:
        _expand_hostlist(nodelist)
    assert str(info.value) == f"hostlist invalid : {nodelist}"


def _job(**kw):
    env = {
        "SLURM_JOB_ID": "987654321",
        "SLURM_PROCID": "3",
        "SLURM_LOCALID": "1",
        "SLURM_NTASKS": "4",
        "SLURM_JOB_NODELIST": "gpu[0-1]",
        "SLURM_JOB_NUM_NODES": "2",
    }
    env.update(kw)
    return env


def test_check_slurm_env_names_the_first_missing_variable():
    _check_slurm_env(_job())
    for i, name in enumerate(_SLURM_REQUIRED_VARS):
        env = {k: v for k, v in _job().items() if k not in _SLURM_REQUIRED_VARS[i:]}
        with pytest.raises(RuntimeError) as info:
            _check_slurm_env(env)
        assert str(info.value) == f"SLURM distributed configuration is missing '{name}' in env variables"


@pytest.fixture
def no_scontrol(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))


@pytest.fixture
def scontrol(monkeypatch, tmp_path):
    """A ``scontrol`` on PATH printing the lines written to ``<tmp>/hosts``; returns that file."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    hosts = tmp_path / "hosts"
    hosts.write_text("")
    script = bindir / "scontrol"
    script.write_text(f'#!/bin/sh\n[ "$1 $2" = "show hostnames" ] || exit 2\ncat "{hosts}"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(bindir) + os.pathsep + os.environ.get("PATH", ""))
    return hosts


def test_job_variables_without_scontrol(no_scontrol):
    # rank, local rank and size are SLURM's; the master is the first host; the port 15000 + last 4 job-id digits
    assert _setup_ddp_vars_from_slurm_env(_job()) == {
        "RANK": 3,
        "LOCAL_RANK": 1,
        "WORLD_SIZE": 4,
        "MASTER_ADDR": "gpu0",
        "MASTER_PORT": 19321,
    }
    assert _setup_ddp_vars_from_slurm_env(_job(SLURM_JOB_ID="42"))["MASTER_PORT"] == 15042


def test_job_variables_from_scontrol(scontrol):
    scontrol.write_text("hostB\nhostC\n")
    out = _setup_ddp_vars_from_slurm_env(_job(SLURM_JOB_NODELIST="ignored[1-2]"))
    assert out["MASTER_ADDR"] == "hostB"


def test_no_hostname_names_the_method(scontrol, monkeypatch):
    with pytest.raises(RuntimeError) as info:
        _setup_ddp_vars_from_slurm_env(_job(SLURM_JOB_NODELIST="x"))
    assert str(info.value) == "No hostname detected in SLURM_JOB_NODELIST by scontrol (nodelist=x)"
    monkeypatch.setenv("PATH", "")
    with pytest.raises(RuntimeError) as info:
        _setup_ddp_vars_from_slurm_env(_job(SLURM_JOB_NODELIST=" , "))
    assert str(info.value) == "No hostname detected in SLURM_JOB_NODELIST by ignite (nodelist= , )"


def test_torch_variables_skip_the_host_lookup(scontrol):
    # all five torch variables: the master comes from them (the scontrol stub, printing nothing, is not asked)
    pth = {"RANK": "3", "LOCAL_RANK": "1", "WORLD_SIZE": "4", "MASTER_ADDR": "10.1.1.1", "MASTER_PORT": "2345"}
    out = _setup_ddp_vars_from_slurm_env(_job(**pth))
    assert (out["MASTER_ADDR"], out["MASTER_PORT"]) == ("10.1.1.1", 2345)
    with pytest.raises(RuntimeError, match=r"inconsistent with equivalent SLURM env variable. LOCAL_RANK: 0 vs 1"):
        _setup_ddp_vars_from_slurm_env(_job(**dict(pth, LOCAL_RANK="0")))


def test_partial_torch_variables_are_ignored_with_a_warning(no_scontrol):
    with pytest.warns(UserWarning, match=r"We detected the following env variables: \[\('MASTER_ADDR', 'h'\)\]"):
        out = _setup_ddp_vars_from_slurm_env(_job(MASTER_ADDR="h"))
    assert (out["MASTER_ADDR"], out["MASTER_PORT"]) == ("gpu0", 19321)
