"""One-thread OpenMP regions skip libgomp's team (cpp/threading/serial_parallel_regions.cc).

ncnn opens a parallel region per layer call; libgomp ends each with a futex system call even
for one thread. With GCC the link wraps GOMP_parallel so a one-thread region that is not
nested runs its body directly. These checks hold the wrapper to what a team of one gives:
one thread, every loop iteration once, reductions and barriers intact; nested and
multi-thread regions still go to libgomp."""

from __future__ import annotations

import pytest

from ncasr import _core

ALL_ITERATIONS = sum(range(1000))


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("nested", [False, True])
def test_every_iteration_runs_once(threads, nested):
    r = _core.probe_parallel_region(threads, nested)
    assert r["iterations"] == 1000 and r["sum"] == ALL_ITERATIONS


def test_one_thread_region_runs_without_a_team():
    r = _core.probe_parallel_region(1)
    assert r["threads"] == 1
    if r["fast_path_built"]:
        assert r["level"] == 0  # the body ran directly, not inside a libgomp team
    else:
        assert r["level"] == 1


def test_nested_and_wider_regions_still_use_the_runtime():
    nested = _core.probe_parallel_region(1, nested=True)
    assert nested["level"] == 2 and nested["threads"] == 1
    wide = _core.probe_parallel_region(2)
    assert wide["level"] == 1 and wide["threads"] == 2
