"""Endpoint rules and hotword scoring on constructed cases, then inside decoding."""

from __future__ import annotations

import numpy as np
import pytest

import ncasr
from conftest import fixture_dir
from ncasr import _core


@pytest.mark.parametrize(
    "length, trailing, fires, why",
    [
        (3.0, 2.5, True, "rule1: 2.4 s silence even with nothing said"),
        (2.5, 2.5, True, "rule1 needs no speech"),
        (2.0, 1.3, True, "rule2: 1.2 s silence after speech"),
        (1.3, 1.3, False, "rule2 needs speech before the silence"),
        (10.0, 1.1, False, "short silence"),
        (20.0, 0.0, True, "rule3: 20 s utterance"),
        (19.9, 0.0, False, "just under rule3"),
    ],
)
def test_endpoint_rules(length, trailing, fires, why):
    assert _core.endpoint_detected(length, trailing) == fires, why


def test_endpoint_rules_use_the_configured_values():
    assert not _core.endpoint_detected(5.0, 1.3, rule2=2.0)
    assert _core.endpoint_detected(5.0, 0.0, rule3=4.0)
    with pytest.raises(ncasr.ConfigError, match="rule1"):
        _core.endpoint_detected(1.0, 1.0, rule1=-1.0)


def test_rule3_endpoint_and_reset_in_a_stream():
    rec = ncasr.Recognizer.from_dir(fixture_dir("lstm-small"), rule3_min_utterance_length=3.0)
    rng = np.random.default_rng(0)
    s = rec.create_stream()
    s.accept_waveform(16000, (rng.normal(0, 0.1, 16000 * 2)).astype(np.float32))
    rec.decode(s)
    assert not rec.is_endpoint(s)
    s.accept_waveform(16000, (rng.normal(0, 0.1, 16000 * 2)).astype(np.float32))
    rec.decode(s)
    assert rec.is_endpoint(s)
    before = rec.result(s)
    assert before.segment == 0 and len(before.token_ids) > 0
    rec.reset(s)
    after = rec.result(s)
    assert after.segment == 1 and after.token_ids == [] and after.text == ""
    assert not rec.is_endpoint(s)
    s.accept_waveform(16000, (rng.normal(0, 0.1, 16000)).astype(np.float32))
    rec.decode(s)
    later = rec.result(s)
    # Timestamps keep counting from the stream start, past the first segment.
    assert later.timestamps and min(later.timestamps) >= 3.0 - 0.5


def test_hotword_graph_scores():
    g = _core.ContextGraph([([5, 6, 7], 2.0), ([9], 4.0)])
    d1, st, pend = g.forward(0, 0.0, 5)
    d2, st, pend = g.forward(st, pend, 6)
    assert (d1, d2, pend) == (2.0, 2.0, 4.0)
    # The match breaks off: both bonuses are given back.
    d3, st, pend = g.forward(st, pend, 8)
    assert d3 == -4.0 and st == 0 and pend == 0.0
    # A complete match keeps its bonus; per-hotword scores are honoured.
    total, st, pend = 0.0, 0, 0.0
    for tok in (5, 6, 7):
        d, st, pend = g.forward(st, pend, tok)
        total += d
    assert total == 6.0 and pend == 0.0
    d, st, pend = g.forward(st, pend, 9)
    assert d == 4.0 and pend == 0.0
    # Ending inside a partial match gives its bonus back.
    d, st, pend = g.forward(0, 0.0, 5)
    assert g.finalize(pend) == -2.0


def test_hotword_file_parsing(tmp_path):
    tokens = fixture_dir("lstm-small") / "tokens.txt"
    table = dict(line.split() for line in tokens.read_text(encoding="utf-8").splitlines())
    word_start = next(t for t in table if t.startswith("\u2581") and len(t) > 1)
    plain = next(t for t in table if not t.startswith(("\u2581", "<")))
    parsed = _core.ContextGraph.parse(f"{word_start} {plain} :3.5\n{plain}\n", str(tokens), 1.5)
    assert parsed == [([int(table[word_start]), int(table[plain])], 3.5), ([int(table[plain])], 1.5)]
    with pytest.raises(ncasr.ConfigError, match=r"line 1: token 'NOPE' is not in tokens.txt"):
        _core.ContextGraph.parse("NOPE\n", str(tokens), 1.5)
    with pytest.raises(ncasr.ConfigError, match=r"line 1: bad score 'x'"):
        _core.ContextGraph.parse(f"{plain} :x\n", str(tokens), 1.5)


def test_hotwords_change_beam_search_output(tmp_path, test_wavs):
    import soundfile as sf

    model = fixture_dir("lstm-small")
    samples, rate = sf.read(test_wavs[1], dtype="float32")
    plain = ncasr.Recognizer.from_dir(model, method="modified_beam_search").transcribe(samples, rate)
    # Boost a token the plain result uses now and then: hypotheses that take it whenever
    # the joiner offers it among the active candidates now win, so it appears more often.
    table = [line.split()[0] for line in (model / "tokens.txt").read_text(encoding="utf-8").splitlines()]
    counts = {t: plain.token_ids.count(t) for t in set(plain.token_ids)}
    rare = sorted(counts, key=lambda t: (-counts[t], t))[4]  # the 5th most frequent
    hot = tmp_path / "hotwords.txt"
    hot.write_text(f"{table[rare]} :8\n", encoding="utf-8")
    boosted = ncasr.Recognizer.from_dir(model, method="modified_beam_search", hotwords_file=str(hot)).transcribe(
        samples, rate
    )
    assert boosted.token_ids.count(rare) >= 2 * counts[rare]
    weak = tmp_path / "weak.txt"
    weak.write_text(f"{table[rare]} :0\n", encoding="utf-8")
    zero = ncasr.Recognizer.from_dir(model, method="modified_beam_search", hotwords_file=str(weak)).transcribe(
        samples, rate
    )
    assert zero.token_ids == plain.token_ids  # a per-hotword score of 0 changes nothing
