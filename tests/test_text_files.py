"""Text files that are not UTF-8 (params, tokens, hotwords, manifests, scale tables) give a
typed error naming the file and the byte offset, never a UnicodeDecodeError."""

from __future__ import annotations

import subprocess
import sys

import pytest

import ncasr
from ncasr.data import ManifestError, read_manifest
from ncasr.quantization.statistics import ScaleTable

ENC = "encoder_jit_trace-pnnx.ncnn.param"


def spoil(path, at: int, byte: bytes = b"\xff") -> int:
    """Put a byte that cannot start a UTF-8 sequence at offset `at`; returns the offset."""
    data = path.read_bytes()
    path.write_bytes(data[:at] + byte + data[at + 1 :])
    return at


@pytest.mark.parametrize("byte", [b"\xff", b"\xc0", b"\x80", b"\xed"])
def test_tokens(model_copy, byte):
    d = model_copy()
    tokens = d / "tokens.txt"
    at = spoil(tokens, 20, byte)
    line = tokens.read_bytes()[:at].count(b"\n") + 1
    for load in (ncasr.inspect_model, ncasr.Recognizer.from_dir):
        with pytest.raises(
            ncasr.ModelError,
            match=rf"not UTF-8 text: byte 0x{byte.hex()} at offset "
            rf"{at} \(line {line}\)",
        ) as e:
            load(d)
        assert e.value.path == str(tokens)


def test_param(model_copy):
    d = model_copy()
    param = d / ENC
    text = param.read_bytes()
    at = spoil(param, text.index(b"Input"))  # inside a layer type
    with pytest.raises(ncasr.ModelError, match=rf"not UTF-8 text: byte 0xff at offset {at}") as e:
        ncasr.inspect_model(d)
    assert e.value.path == str(param)


def test_param_through_the_cli(model_copy):
    d = model_copy("conv-emformer-small")
    spoil(d / ENC, 200)
    r = subprocess.run([sys.executable, "-m", "ncasr", "info", str(d)], capture_output=True, text=True)
    assert r.returncode != 0
    assert "Traceback" not in r.stderr and "UnicodeDecodeError" not in r.stderr
    assert f"{d / ENC}: not UTF-8 text: byte 0xff at offset 200" in r.stderr


def test_hotwords(tmp_path):
    from conftest import fixture_dir

    hotwords = tmp_path / "hotwords.txt"
    data = "▁A\n▁B".encode() + b"\xfe\n"
    hotwords.write_bytes(data)
    at = data.index(b"\xfe")
    with pytest.raises(ncasr.ConfigError, match=rf"{hotwords}: not UTF-8 text: byte 0xfe at offset {at} \(line 2\)"):
        ncasr.Recognizer.from_dir(fixture_dir("lstm-small"), method="modified_beam_search", hotwords_file=str(hotwords))


def test_manifest(tmp_path):
    m = tmp_path / "m.tsv"
    data = b"path\ttext\na.wav\thello \xe9t\xe9\n"
    m.write_bytes(data)
    with pytest.raises(ManifestError, match=rf"m.tsv:2: not UTF-8 text: byte 0xe9 at offset {data.index(0xE9)}$"):
        read_manifest(m, check_files=False)


def test_scale_table(tmp_path):
    t = tmp_path / "scales.table"
    data = b"encoder/conv_param_0 1.0 2.0\nencoder/r\xe9lu 3.0\n"
    t.write_bytes(data)
    with pytest.raises(
        ncasr.ModelError, match=rf"not UTF-8 text: byte 0xe9 at offset {data.index(0xE9)} \(line 2\)"
    ) as e:
        ScaleTable.load(t)
    assert e.value.path == str(t)
