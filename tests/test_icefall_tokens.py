"""tokens.txt as icefall writes it. The files of data/lang_bpe_500 and lang_char end with
disambiguation symbols ("#0 500", "#1 501", ...) whose ids are at or past the joiner's output
size: a model folder with such a file loads, reports them, never emits them and decodes as
sherpa-ncnn 2.1.15 does. Every other mismatch with the joiner stays a ModelError."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import ncasr
from conftest import SMALL_MODELS, fixture_dir
from helpers.oracle import assert_parity

VOCAB = 500  # the test models' joiner output size


def bpe_tokens() -> str:
    """The fixture's 500 BPE pieces, then icefall's two disambiguation symbols."""
    base = (fixture_dir("lstm-small") / "tokens.txt").read_text(encoding="utf-8")
    return base + "#0 500\n#1 501\n"


def char_tokens() -> str:
    """Like a Chinese lang_char: special symbols, 497 CJK characters, then #0..#2."""
    lines = ["<blk> 0", "<sos/eos> 1", "<unk> 2"]
    lines += [f"{chr(0x4E00 + i)} {i + 3}" for i in range(VOCAB - 3)]
    lines += ["#0 500", "#1 501", "#2 502"]
    return "\n".join(lines) + "\n"


TOKENS = {"lang_bpe_500": (bpe_tokens, 2), "lang_char": (char_tokens, 3)}


def with_tokens(name: str, tokens: str, dst: Path) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    for f in fixture_dir(name).glob("*.ncnn.*"):
        shutil.copyfile(f, dst / f.name)
    (dst / "tokens.txt").write_text(tokens, encoding="utf-8")
    return dst


@pytest.mark.parametrize("lang", TOKENS)
def test_info_counts_disambiguation_symbols(lang, tmp_path):
    make, extra = TOKENS[lang]
    d = with_tokens("lstm-small", make(), tmp_path / lang)
    info = ncasr.inspect_model(d)
    assert (info.vocab_size, info.disambiguation_symbols) == (VOCAB, extra)
    assert f"{VOCAB} tokens + {extra} disambiguation symbols" in str(info)
    out = subprocess.run(
        [sys.executable, "-m", "ncasr", "info", str(d), "--json"], capture_output=True, text=True, check=True
    ).stdout
    model = json.loads(out)["model"]
    assert (model["vocab_size"], model["disambiguation_symbols"]) == (VOCAB, extra)


def test_fixture_tokens_have_no_disambiguation_symbols():
    info = ncasr.inspect_model(fixture_dir("lstm-small"))
    assert (info.vocab_size, info.disambiguation_symbols) == (VOCAB, 0)
    assert "vocabulary:   500 tokens\n" in str(info)


@pytest.mark.parametrize("lang", TOKENS)
@pytest.mark.parametrize("name", SMALL_MODELS)
def test_decodes_like_sherpa(name, lang, test_wavs, tmp_path):
    d = with_tokens(name, TOKENS[lang][0](), tmp_path / name)
    assert_parity(d, test_wavs, "greedy_search", f"{name} with {lang} tokens")


def test_char_text_matches_sherpa_and_never_names_a_disambiguation_symbol(test_wavs, tmp_path):
    import sherpa_ncnn
    import soundfile as sf

    d = with_tokens("zipformer-small", char_tokens(), tmp_path / "m")
    rec = ncasr.Recognizer.from_dir(d)
    files = {
        f"{n}_{e}": str(d / f"{n}_jit_trace-pnnx.ncnn.{e}")
        for n in ("encoder", "decoder", "joiner")
        for e in ("param", "bin")
    }
    texts = []
    for path in test_wavs[:6]:
        samples, rate = sf.read(path, dtype="float32")
        ours = rec.transcribe(samples, rate)
        assert all(i < VOCAB for i in ours.token_ids)
        assert not any(t.startswith("#") for t in ours.tokens)
        ref = sherpa_ncnn.Recognizer(tokens=str(d / "tokens.txt"), num_threads=1, **files)
        ref.accept_waveform(rate, samples)
        ref.accept_waveform(rate, [0.0] * (rate // 2))
        ref.input_finished()
        texts.append((ours.text, ref.text))
    assert any(ours for ours, _ in texts), "no text decoded: the comparison would be empty"
    for ours, ref in texts:
        assert ours == ref


BAD = {
    "fewer tokens than logits": (
        "".join(f"t{i} {i}\n" for i in range(VOCAB - 1)),
        r"has 499 tokens but the joiner outputs 500 logits",
    ),
    "a non-# entry past the logits": (
        bpe_tokens().replace("#1 501", "▁EXTRA 501"),
        r"token '▁EXTRA' \(id 501\) is past the joiner outputs 500 "
        r"logits and is not a disambiguation symbol",
    ),
    "a bare # past the logits": (bpe_tokens().replace("#1 501", "# 501"), r"token '#' \(id 501\) is past"),
    "a duplicated id": (bpe_tokens().replace("#1 501", "#1 500"), r"token id 500 appears twice"),
    "a gap": (bpe_tokens().replace("#1 501", "#1 502"), r"token id 501 is missing"),
}


@pytest.mark.parametrize("case", BAD)
def test_mismatches_stay_model_errors(case, tmp_path):
    tokens, message = BAD[case]
    d = with_tokens("lstm-small", tokens, tmp_path / "m")
    with pytest.raises(ncasr.ModelError, match=message) as e:
        ncasr.Recognizer.from_dir(d)
    assert e.value.path == str(d / "tokens.txt")


def test_hotword_cannot_be_a_disambiguation_symbol(tmp_path):
    d = with_tokens("lstm-small", bpe_tokens(), tmp_path / "m")
    hotwords = tmp_path / "hotwords.txt"
    hotwords.write_text("▁A #0\n", encoding="utf-8")
    with pytest.raises(ncasr.ConfigError, match=r"line 1: token '#0' is a disambiguation symbol"):
        ncasr.Recognizer.from_dir(d, method="modified_beam_search", hotwords_file=str(hotwords))
