"""The Python recognition API: configs, streaming invariance, many streams, bad input."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import ncasr
from conftest import fixture_dir
from helpers.streams import feed_in_pieces


@pytest.fixture(scope="module")
def lstm():
    return ncasr.Recognizer.from_dir(fixture_dir("lstm-small"))


@pytest.fixture(scope="module")
def speech(test_wavs):
    samples, rate = sf.read(test_wavs[0], dtype="float32")
    return samples, rate


def test_configs_validate_and_print():
    with pytest.raises(ncasr.ConfigError, match="decoding method must be one of"):
        ncasr.DecodingConfig(method="beam")
    with pytest.raises(ncasr.ConfigError, match="num_active_paths must be an int >= 1"):
        ncasr.DecodingConfig(num_active_paths=0)
    with pytest.raises(ncasr.ConfigError, match="rule2_min_trailing_silence must be"):
        ncasr.EndpointConfig(rule2_min_trailing_silence=-1)
    with pytest.raises(ncasr.ConfigError, match="unknown recognizer option 'beam_size'"):
        ncasr.RecognizerConfig.from_dir("x", beam_size=3)
    cfg = ncasr.RecognizerConfig.from_dir("m", method="modified_beam_search", num_threads=2)
    assert cfg.decoding.method == "modified_beam_search" and cfg.runtime.num_threads == 2
    assert "rule1_min_trailing_silence=2.4" in str(cfg)


@pytest.mark.parametrize("piece", [1, 160, 1600, None])
@pytest.mark.parametrize("name", ["lstm-small", "conv-emformer-small", "zipformer-small"])
def test_chunk_size_invariance(name, speech, piece):
    rec = ncasr.Recognizer.from_dir(fixture_dir(name))
    samples, rate = speech
    ref = rec.transcribe(samples, rate)
    assert len(ref.token_ids) > 0
    got = rec.result(feed_in_pieces(rec, samples, rate, piece or samples.size))
    assert got.token_ids == ref.token_ids
    assert got.timestamps == ref.timestamps


def test_many_streams_threads_and_batch_equal_sequential(lstm, test_wavs):
    audio = [sf.read(p, dtype="float32") for p in test_wavs[:8]]
    expected = [lstm.transcribe(x, r).token_ids for x, r in audio]

    def make(x, r):
        s = lstm.create_stream()
        s.accept_waveform(r, x)
        s.accept_waveform(r, np.zeros(r // 2, np.float32))
        s.input_finished()
        return s

    streams = [make(x, r) for x, r in audio]
    lstm.decode(streams)
    assert [lstm.result(s).token_ids for s in streams] == expected

    results = [None] * len(audio)

    def work(i):
        s = make(*audio[i])
        lstm.decode(s)
        results[i] = lstm.result(s).token_ids

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(audio))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == expected


def test_resampled_input_decodes(lstm, speech):
    samples, rate = speech
    up = np.interp(np.arange(0, samples.size, 16000 / 48000), np.arange(samples.size), samples)
    res = lstm.transcribe(up.astype(np.float32), 48000)
    assert len(res.token_ids) > 0


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros((2, 100, 3), np.float32), "must be 1-D"),
        (np.array(["a", "b"]), "dtype <U1"),
        (np.array([0.1, np.nan, 0.2], np.float32), "NaN"),
        (np.array([0.1, np.inf], np.float32), "infinite"),
        (np.zeros((1000, 2), np.float32), "multi-channel"),
    ],
)
def test_bad_arrays(lstm, bad, message):
    s = lstm.create_stream()
    with pytest.raises(ncasr.AudioError, match=message):
        s.accept_waveform(16000, bad)


def test_empty_audio_in_transcribe(lstm):
    with pytest.raises(ncasr.AudioError, match="audio is empty"):
        lstm.transcribe(np.zeros(0, np.float32), 16000)


def test_sample_rate_errors(lstm):
    s = lstm.create_stream()
    with pytest.raises(ncasr.AudioError, match="unsupported sample rate 100 Hz"):
        s.accept_waveform(100, np.zeros(10, np.float32))
    s.accept_waveform(16000, np.zeros(10, np.float32))
    with pytest.raises(ncasr.AudioError, match="sample rate changed mid-stream from 16000 to 8000"):
        s.accept_waveform(8000, np.zeros(10, np.float32))
    with pytest.raises(ncasr.AudioError, match="sample_rate is required"):
        lstm.transcribe(np.zeros(10, np.float32))


def test_audio_after_input_finished(lstm):
    s = lstm.create_stream()
    s.accept_waveform(16000, np.zeros(10, np.float32))
    s.input_finished()
    with pytest.raises(ncasr.AudioError, match="after input_finished"):
        s.accept_waveform(16000, np.zeros(10, np.float32))


def test_unreadable_and_stereo_files(lstm, tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all")
    with pytest.raises(ncasr.AudioError, match="bad.wav: cannot read audio"):
        lstm.transcribe(bad)
    with pytest.raises(FileNotFoundError, match="missing.wav: audio file not found"):
        lstm.transcribe(tmp_path / "missing.wav")
    stereo = tmp_path / "stereo.wav"
    sf.write(stereo, np.zeros((1600, 2), np.float32), 16000)
    with pytest.raises(ncasr.AudioError, match="2 channels"):
        ncasr.load_audio(stereo)
    x, r = ncasr.load_audio(stereo, mix_to_mono=True)
    assert x.shape == (1600,) and r == 16000


def test_float64_and_int16_are_converted(lstm, speech):
    samples, rate = speech
    ref = lstm.transcribe(samples, rate).token_ids
    assert lstm.transcribe(samples.astype(np.float64), rate).token_ids == ref
    pcm = np.round(samples * 32768).clip(-32768, 32767).astype(np.int16)
    assert lstm.transcribe(pcm, rate).token_ids == lstm.transcribe(pcm / 32768.0, rate).token_ids


def test_with_settings_shares_the_model_and_decodes_as_a_fresh_recognizer():
    wav = str(Path(__file__).parent / "data" / "reference-lstm-en" / "wav" / "test-000003.wav")
    base = ncasr.Recognizer.from_dir(ncasr.default_model_dir())
    beam = base.with_settings(
        ncasr.DecodingConfig("modified_beam_search", num_active_paths=8), ncasr.EndpointConfig(enabled=False)
    )
    fresh = ncasr.Recognizer.from_dir(ncasr.default_model_dir(), method="modified_beam_search", num_active_paths=8)
    assert beam.config.decoding.num_active_paths == 8 and not beam.config.endpoint.enabled
    assert beam.transcribe(wav).token_ids == fresh.transcribe(wav).token_ids
    assert base.config.decoding.method == "greedy_search"  # the original is unchanged
    assert (
        base.transcribe(wav).token_ids == ncasr.Recognizer.from_dir(ncasr.default_model_dir()).transcribe(wav).token_ids
    )
    with pytest.raises(ncasr.ConfigError, match="modified_beam_search"):
        base.with_settings(hotwords="▁THE :2.0")
    with pytest.raises(ncasr.ConfigError, match="not in tokens.txt"):
        base.with_settings(ncasr.DecodingConfig("modified_beam_search"), hotwords="NOT_A_TOKEN")
