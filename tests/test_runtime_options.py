"""RuntimeOptions: one definition in C++, mirrored by the Python dataclass, two presets."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest

import ncasr
from conftest import REPO, SMALL_MODELS, fixture_dir
from ncasr import _core
from ncasr.config import RecognizerConfig, RuntimeOptions
from ncasr.errors import ConfigError

NAMES = [f.name for f in fields(RuntimeOptions)]


def core_fields(core) -> dict:
    return {n: getattr(core, n) for n in NAMES}


def test_dataclass_mirrors_the_struct():
    core = _core.RuntimeOptions()
    bound = {n for n in dir(core) if not n.startswith("_")} - {"fastest", "sherpa_ncnn"}
    assert bound == set(NAMES)
    assert core_fields(core) == {f.name: f.default for f in fields(RuntimeOptions)}
    assert RuntimeOptions() == RuntimeOptions.fastest()


@pytest.mark.parametrize("preset", ["fastest", "sherpa_ncnn"])
def test_presets_come_from_cpp(preset):
    ours = getattr(RuntimeOptions, preset)()
    theirs = getattr(_core.RuntimeOptions, preset)()
    assert {n: getattr(ours, n) for n in NAMES} == core_fields(theirs)


def test_sherpa_ncnn_turns_off_every_replacement():
    s = RuntimeOptions.sherpa_ncnn()
    assert s.zipformer_encoder_fp16_weights is False
    on = [n for n in NAMES if getattr(s, n) is True]
    # Only ncnn's default storage and the switches that change no result stay on.
    assert sorted(on) == ["blob_pool", "unstack_states", "use_fp16_storage"]


def test_to_core_round_trips_every_field():
    for f in fields(RuntimeOptions):
        value = 3 if f.type in ("int", int) else not f.default
        core = replace(RuntimeOptions(), **{f.name: value}).to_core()
        assert getattr(core, f.name) == value, f.name
        others = {n: v for n, v in core_fields(core).items() if n != f.name}
        assert others == {n: getattr(RuntimeOptions(), n) for n in others}, f.name


def test_core_config_carries_it():
    c = _core.RecognizerConfig()
    c.runtime.glu_simd = False  # the attribute is the config's own struct, not a copy
    assert c.runtime.glu_simd is False
    c.runtime = RuntimeOptions(num_threads=2).to_core()
    assert c.runtime.num_threads == 2 and c.runtime.glu_simd is True


def test_flat_overrides_route_into_runtime():
    c = RecognizerConfig.from_dir(
        "m", num_threads=2, use_fp16_storage=False, glu_simd=False, method="modified_beam_search"
    )
    assert c.runtime == RuntimeOptions(num_threads=2, use_fp16_storage=False, glu_simd=False)
    assert c.decoding.method == "modified_beam_search"
    # Named fields apply on top of a given preset.
    c = RecognizerConfig.from_dir("m", runtime=RuntimeOptions.sherpa_ncnn(), use_fp16_storage=False)
    assert c.runtime == replace(RuntimeOptions.sherpa_ncnn(), use_fp16_storage=False)
    assert RecognizerConfig("m", runtime=RuntimeOptions(blob_pool=False)).runtime.blob_pool is False


def test_bad_options_are_config_errors():
    with pytest.raises(ConfigError, match="unknown recognizer option 'no_such_switch'"):
        RecognizerConfig.from_dir("m", no_such_switch=True)
    with pytest.raises(ConfigError, match="num_threads"):
        RuntimeOptions(num_threads=0)
    with pytest.raises(ConfigError, match="glu_simd"):
        RuntimeOptions(glu_simd=1)
    with pytest.raises(ConfigError, match="runtime"):
        RecognizerConfig("m", runtime={"glu_simd": False})


def test_exported():
    assert ncasr.RuntimeOptions is RuntimeOptions


def test_every_option_has_its_doc_row():
    doc = (REPO / "docs" / "runtime-options.md").read_text()
    rows = [line.split("|")[1].strip().strip("`") for line in doc.splitlines() if line.startswith("| `")]
    assert rows == NAMES
    for line in doc.splitlines():
        if line.startswith("| `"):
            cells = [c.strip().strip("`") for c in line.split("|")[1:-1]]
            name, default, sherpa = cells[0], cells[1], cells[-1]
            assert default == str(getattr(RuntimeOptions(), name)), name
            assert sherpa == str(getattr(RuntimeOptions.sherpa_ncnn(), name)), name


@pytest.mark.parametrize("name", SMALL_MODELS)
def test_sherpa_preset_decodes_as_the_oracle(name, test_wavs):
    from helpers.oracle import ncasr_decode

    model = fixture_dir(name)
    rec = ncasr.Recognizer.from_dir(model, runtime=RuntimeOptions.sherpa_ncnn())
    for wav in test_wavs[:3]:
        samples, rate = ncasr.load_audio(wav)
        ids, _, _ = ncasr_decode(Path(model), samples, rate, "greedy_search")
        got = rec.transcribe(np.asarray(samples, np.float32), rate).token_ids
        assert list(got) == list(ids), f"{name}: {Path(wav).name}"


def test_cli_takes_the_sherpa_preset(test_wavs):
    import json
    import subprocess
    import sys

    model = fixture_dir("zipformer-small")
    r = subprocess.run(
        [sys.executable, "-m", "ncasr", "transcribe", "--sherpa-ncnn", "--json", str(model), str(test_wavs[0])],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    text = json.loads(r.stdout.splitlines()[0])["text"]
    rec = ncasr.Recognizer.from_dir(model, runtime=RuntimeOptions.sherpa_ncnn())
    assert text == rec.transcribe(test_wavs[0]).text
