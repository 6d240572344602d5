"""A seeded 300-case run of the fuzz harness in benchmarks/fuzz (benchmarks/fuzz_inputs.py
runs it): damaged model folders and odd audio give a clean error or an explained success,
never a traceback, crash or hang."""

from __future__ import annotations

import importlib.util
import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from conftest import SMALL_MODELS, fixture_dir

HARNESS = Path(__file__).resolve().parents[1] / "benchmarks" / "fuzz"
CASES = 300


def load_harness():
    # By path, so that benchmarks/ need not go on sys.path for every other test.
    spec = importlib.util.spec_from_file_location(
        "fuzz", HARNESS / "__init__.py", submodule_search_locations=[str(HARNESS)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its modules import each other through the package
    spec.loader.exec_module(module)
    return module


def run_harness(options: dict):
    """The harness run, in a fresh interpreter (see ``report``)."""
    fuzz = load_harness()
    rep = fuzz.run(fuzz.Options(**options))
    rep.text = fuzz.format_report(rep)  # printed by pytest when an assertion fails
    return rep


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    load_harness()  # so that the report's classes unpickle here
    options = dict(
        cases=CASES,
        seed=20261204,
        jobs=2,
        time_limit=300,
        per_case_timeout=120,  # a hang, not a slow case on a loaded machine (600 s of silence is ~3 s idle)
        long_silence_seconds=600,
        check_subprocess=4,
        memory_limit_mb=2048,
        progress=False,
        small_models=[fixture_dir(n) for n in SMALL_MODELS],
        keep_failures=tmp_path_factory.mktemp("fuzz-failures"),
    )
    # The cases fork from a fresh interpreter, not from this one: what earlier tests loaded here
    # (Ray, torch) would count against each child's address-space limit.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(run_harness, options).result(timeout=900)


@pytest.mark.parametrize("verdict", ["traceback", "crash", "hang", "unexplained_success"])
def test_no_failures_of_kind(report, verdict):
    bad = [r for r in report.results if r.verdict == verdict]
    assert not bad, f"{len(bad)} {verdict} case(s):\n{report.text}"


def test_every_case_ran(report):
    assert report.completed and report.total == CASES, report.text


def test_both_model_and_audio_mutations_ran(report):
    model, audio = report.kinds("model"), report.kinds("audio")
    assert len(model) >= 10 and len(audio) >= 10, (model, audio)
    assert {"bit_flip", "truncate", "huge_dim", "non_utf8", "delete_file"} <= set(model)
    assert {"nan_samples", "empty_wav", "channels", "garbage_bytes", "long_silence"} <= set(audio)


def test_fork_server_matches_the_real_command(report):
    assert len(report.checks) == 4
    assert not report.check_mismatches(), report.text


def test_cases_do_not_touch_the_pristine_models(report):
    assert not report.damaged_pristine
