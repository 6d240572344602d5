"""Several encoder chunks per call (RuntimeOptions.max_chunks_per_call).

Where a stream has several chunks of features ready, an LSTM encoder runs them in one call.
Each chunk's output equals a call of its own: int8 bit for bit (ncasr's per-frame int8
kernels), float within rounding; so a recognizer's tokens do not depend on how many chunks
shared a call or on how the audio was fed. Other architectures run one chunk per call."""

from __future__ import annotations

from pathlib import Path
from typing import List

import numpy as np
import pytest

import ncasr
from conftest import REPO, fixture_dir
from helpers.knf import knf_fbank
from helpers.streams import feed_in_pieces
from ncasr.errors import ConfigError

BUNDLED = REPO / "python" / "ncasr" / "models" / "reference-lstm-en"
CLIPS = sorted((REPO / "tests" / "data" / "reference-lstm-en" / "wav").glob("*.wav"))[:4]


def fbank(path: Path) -> np.ndarray:
    return knf_fbank(*ncasr.load_audio(path))


def encode(rec: ncasr.Recognizer, feats: np.ndarray, chunks: int) -> List[np.ndarray]:
    return rec._r.encode(feats, chunks_per_call=chunks)


@pytest.mark.parametrize("chunks", [2, 5, 16])
def test_int8_calls_equal_one_chunk_per_call_bit_for_bit(chunks):
    rec = ncasr.Recognizer.from_dir(BUNDLED, variant="int8")
    assert rec._r.encoder_overrides.get("NcasrInt8Gemm", 0) > 0  # per-frame int8 Gemm
    for clip in CLIPS:
        feats = fbank(clip)
        one, many = encode(rec, feats, 1), encode(rec, feats, chunks)
        assert max(len(m) for m in many) == chunks  # the calls did take several chunks
        assert len(many) < len(one)
        np.testing.assert_array_equal(np.concatenate(many), np.concatenate(one), err_msg=clip.name)


@pytest.mark.parametrize("model", [BUNDLED, fixture_dir("lstm-small")], ids=["bundled", "lstm-small"])
def test_float_calls_equal_one_chunk_per_call_within_rounding(model):
    rec = ncasr.Recognizer.from_dir(model, variant="float")
    for clip in CLIPS[:2]:
        feats = fbank(clip)
        one, many = np.concatenate(encode(rec, feats, 1)), np.concatenate(encode(rec, feats, 16))
        assert one.shape == many.shape
        worst = float(np.abs(one - many).max() / np.abs(one).max())
        assert worst < 1e-4, (clip.name, worst)


@pytest.mark.parametrize("method", ["greedy_search", "modified_beam_search"])
def test_int8_tokens_do_not_depend_on_how_audio_arrives(method):
    many = ncasr.Recognizer.from_dir(BUNDLED, variant="int8", method=method)
    # one chunk per call on the same int8 kernels (alone, max_chunks_per_call=1 runs ncnn's Gemm)
    one = ncasr.Recognizer.from_dir(BUNDLED, variant="int8", method=method, max_chunks_per_call=1, int8_gemm_ncasr=True)
    assert one._r.encoder_overrides == many._r.encoder_overrides
    for clip in CLIPS:
        x, rate = ncasr.load_audio(clip)
        chunked = one.result(feed_in_pieces(one, x, rate, x.size))
        whole = feed_in_pieces(many, x, rate, x.size)  # a whole file: every chunk ready at once
        live = feed_in_pieces(many, x, rate, rate // 10)  # 0.1 s pieces: two or three chunks at a time
        assert whole.encoder_calls < live.encoder_calls
        for s in (whole, live):
            r = many.result(s)
            assert (r.token_ids, r.timestamps) == (chunked.token_ids, chunked.timestamps), clip.name


@pytest.mark.parametrize("name", ["zipformer-small", "conv-emformer-small"])
def test_other_architectures_run_one_chunk_per_call(name, test_wavs):
    rec = ncasr.Recognizer.from_dir(fixture_dir(name), max_chunks_per_call=16)
    x, rate = ncasr.load_audio(test_wavs[1])
    s = feed_in_pieces(rec, x, rate, x.size)
    one = ncasr.Recognizer.from_dir(fixture_dir(name), max_chunks_per_call=1)
    t = feed_in_pieces(one, x, rate, x.size)
    assert s.encoder_calls == t.encoder_calls > 1
    assert rec.result(s).token_ids == one.result(t).token_ids
    with pytest.raises(ConfigError, match="one chunk per call"):
        rec._r.encode(fbank(test_wavs[1]), chunks_per_call=2)


def test_bad_values_are_config_errors():
    with pytest.raises(ConfigError, match="max_chunks_per_call"):
        ncasr.RuntimeOptions(max_chunks_per_call=0)
    rec = ncasr.Recognizer.from_dir(BUNDLED, variant="int8")
    with pytest.raises(ConfigError, match="chunks_per_call"):
        rec._r.encode(fbank(CLIPS[0]), chunks_per_call=0)
    assert ncasr.RuntimeOptions.sherpa_ncnn().max_chunks_per_call == 1
