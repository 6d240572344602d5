"""ncasr.calibrate: the streaming pipeline's layer inputs into histograms, into a scale table."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import ncasr
from conftest import SMALL_MODELS, fixture_dir
from ncasr import _core
from ncasr.quantization.statistics import table_for_net


def rows(table):
    return {k: table[k] for k in table.keys()}


@pytest.mark.parametrize("name", SMALL_MODELS)
def test_every_target_gets_a_finite_positive_scale(name, test_wavs):
    model = fixture_dir(name)
    result = ncasr.calibrate(model, test_wavs[:2], num_workers=1, progress=False)
    runner = _core.ActivationRunner(str(model))
    expected = {f"{t['net']}/{t['layer']}" for t in runner.targets}
    got = set(result.table.keys())
    assert got | set(result.zero_inputs) | set(result.never_ran) == expected
    assert len(got) >= 0.9 * len(expected)
    for key, scales in rows(result.table).items():
        assert isinstance(scales, float) and math.isfinite(scales) and scales > 0, key
    assert result.utterances == 2 and result.audio_seconds > 0


def test_minmax_scale_is_127_over_the_observed_absmax(test_wavs):
    model = fixture_dir("lstm-small")
    runner = _core.ActivationRunner(str(model))
    absmax = np.zeros(len(runner.targets))
    for path in test_wavs[:2]:
        x, rate = ncasr.load_audio(path)
        a, _ = runner.absmax(x, rate)
        absmax = np.maximum(absmax, a)
    table = ncasr.calibrate(model, test_wavs[:2], method="minmax", num_workers=1, progress=False).table
    for t, m in zip(runner.targets, absmax):
        key = f"{t['net']}/{t['layer']}"
        if m > 0:
            assert table[key] == pytest.approx(127.0 / m, rel=1e-6), key


@pytest.mark.parametrize("collect", ["two_pass", "online"])
def test_table_does_not_depend_on_the_worker_count(collect, test_wavs):
    model = fixture_dir("zipformer-small")
    one = ncasr.calibrate(model, test_wavs[:3], collect=collect, num_workers=1, progress=False)
    two = ncasr.calibrate(model, test_wavs[:3], collect=collect, num_workers=2, progress=False)
    assert rows(one.table) == rows(two.table)


@pytest.mark.parametrize("method, passes", [("kl", 2), ("percentile", 2), ("aciq", 1), ("minmax", 1)])
def test_progress_counts_every_pass(method, passes, test_wavs):
    calls = []
    ncasr.calibrate(
        fixture_dir("lstm-small"),
        test_wavs[:2],
        method=method,
        num_workers=2,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert sorted(calls) == [(i, 2 * passes) for i in range(1, 2 * passes + 1)]


def test_methods_give_different_scales(test_wavs):
    model = fixture_dir("lstm-small")
    kl = rows(ncasr.calibrate(model, test_wavs[:2], method="kl", progress=False).table)
    mm = rows(ncasr.calibrate(model, test_wavs[:2], method="minmax", progress=False).table)
    assert kl.keys() == mm.keys()
    # KL clips outliers, so its scale is never below min-max's and above it somewhere.
    assert all(kl[k] >= mm[k] * (1 - 1e-6) for k in kl)
    assert any(kl[k] > mm[k] * 1.01 for k in kl)


def test_table_for_net_strips_the_prefix_and_round_trips(tmp_path, test_wavs):
    table = ncasr.calibrate(fixture_dir("lstm-small"), test_wavs[:1], progress=False).table
    joiner = table_for_net(table, "joiner")
    assert joiner.keys() and all("/" not in k for k in joiner.keys())
    assert all(joiner[k] == table[f"joiner/{k}"] for k in joiner.keys())
    path = tmp_path / "t.table"
    table.save(str(path))
    assert rows(ncasr.ScaleTable.load(str(path))) == pytest.approx(rows(table))


def test_audio_sources_folder_manifest_and_arrays(tmp_path, test_wavs):
    model = fixture_dir("lstm-small")
    x, rate = ncasr.load_audio(test_wavs[0])
    manifest = tmp_path / "m.tsv"
    manifest.write_text(f"path\ttext\n{test_wavs[0]}\thello\n")
    from_array = rows(ncasr.calibrate(model, x, sample_rate=rate, progress=False).table)
    from_pair = rows(ncasr.calibrate(model, [(x, rate)], progress=False).table)
    from_manifest = rows(ncasr.calibrate(model, manifest, progress=False).table)
    assert from_array == from_pair == from_manifest
    folder = rows(ncasr.calibrate(model, test_wavs[0].parent, method="minmax", progress=False).table)
    assert folder  # every wav of the folder


def test_bad_input_is_a_clear_error(tmp_path):
    model = fixture_dir("lstm-small")
    with pytest.raises(ncasr.AudioError, match="no audio"):
        ncasr.calibrate(model, [], progress=False)
    with pytest.raises(ncasr.AudioError, match="silent"):
        ncasr.calibrate(model, [(np.zeros(16000, np.float32), 16000)], progress=False)
    with pytest.raises(ncasr.AudioError, match="NaN"):
        ncasr.calibrate(model, [(np.full(16000, np.nan, np.float32), 16000)], progress=False)
    with pytest.raises(ncasr.AudioError, match="empty"):
        ncasr.calibrate(model, [(np.zeros(0, np.float32), 16000)], progress=False)
    with pytest.raises(ncasr.AudioError, match="sample_rate"):
        ncasr.calibrate(model, np.ones(100, np.float32), progress=False)
    with pytest.raises(ncasr.ConfigError, match="method"):
        ncasr.calibrate(model, [(np.ones(100, np.float32), 16000)], method="entropy")
    with pytest.raises(ncasr.ModelFileNotFoundError):
        ncasr.calibrate(tmp_path / "none", [(np.ones(100, np.float32), 16000)], progress=False)
    with pytest.raises(FileNotFoundError, match="missing.wav"):
        ncasr.calibrate(model, tmp_path / "missing.wav", progress=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ncasr.AudioError, match="no audio files"):
        ncasr.calibrate(model, tmp_path / "empty", progress=False)


def test_cli_calibrate_writes_a_loadable_table(tmp_path, test_wavs, capsys):
    from ncasr.cli import main

    out = tmp_path / "scales.table"
    assert (
        main(["calibrate", str(fixture_dir("conv-emformer-small")), str(test_wavs[0]), "-o", str(out), "--quiet"]) == 0
    )
    table = ncasr.ScaleTable.load(str(out))
    assert any(k.startswith("encoder/") for k in table.keys())
    assert "activation scales" in capsys.readouterr().out
    assert (
        main(["calibrate", str(fixture_dir("conv-emformer-small")), str(test_wavs[0]), "-o", str(out), "--json"]) == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["table"] == str(out) and summary["scales"] == len(table) and summary["method"] == "kl"


def test_calibration_keeps_probe_utterances_and_a_summary(test_wavs):
    cal = ncasr.calibrate(fixture_dir("lstm-small"), test_wavs[:3], progress=False, probe_utterances=2)
    assert [name for _, _, name in cal.probe] == [str(w) for w in test_wavs[:2]]
    s = cal.summary()
    assert (s.method, s.utterances, s.scales) == ("kl", 3, len(cal.table))
    assert json.loads(json.dumps(cal.to_dict()))["scales"] == len(cal.table)
    with pytest.raises(ncasr.ConfigError, match="collect"):
        ncasr.calibrate(fixture_dir("lstm-small"), test_wavs[:1], collect="three_pass")
