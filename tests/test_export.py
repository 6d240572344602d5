"""ncasr.export.add_meta_data: the hand-editing step after pnnx, checked and atomic."""

from __future__ import annotations

import subprocess
import sys

import pytest

import ncasr
from ncasr.export import add_meta_data

ENC = "encoder_jit_trace-pnnx.ncnn.param"


def strip_meta(path):
    lines = path.read_text().splitlines()
    n_layers, n_blobs = lines[1].split()
    body = [l for l in lines[2:] if not l.startswith("SherpaMetaData")]
    path.write_text("\n".join([lines[0], f"{int(n_layers) - 1} {n_blobs}"] + body) + "\n")


def test_adds_meta_data_to_a_bare_param(model_copy):
    d = model_copy("lstm-small")
    strip_meta(d / ENC)
    with pytest.raises(ncasr.ModelError, match="no SherpaMetaData"):
        ncasr.inspect_model(d)
    add_meta_data(d / ENC, {"model_type": "lstm", "num_encoder_layers": 2, "encoder_dim": 128, "rnn_hidden_size": 256})
    lines = (d / ENC).read_text().splitlines()
    assert lines[2].split()[:4] == ["SherpaMetaData", "sherpa_meta_data1", "0", "0"]
    assert int(lines[1].split()[0]) == len(lines) - 2
    info = ncasr.inspect_model(d)
    assert info.raw_meta_data == {0: 3, 1: 2, 2: 128, 3: 256}


def test_replaces_existing_meta_data_instead_of_duplicating(model_copy):
    d = model_copy("zipformer-small")
    before = ncasr.inspect_model(d)
    raw = dict(before.raw_meta_data)
    raw[1] = 64  # a different decode_chunk_len
    add_meta_data(d / ENC, raw)
    text = (d / ENC).read_text()
    assert text.count("SherpaMetaData") == 1
    after = ncasr.inspect_model(d)
    assert after.raw_meta_data[1] == 64 and after.raw_meta_data[17] == [128] * 5
    assert after.encoder.layer_count == before.encoder.layer_count


def test_invalid_values_leave_the_file_untouched(model_copy):
    d = model_copy("zipformer-small")
    original = (d / ENC).read_text()
    raw = dict(ncasr.inspect_model(d).raw_meta_data)
    del raw[15]  # zipformer needs a model version
    with pytest.raises(ncasr.ModelError, match=r"metadata not written: .*missing model_version"):
        add_meta_data(d / ENC, raw)
    assert (d / ENC).read_text() == original
    assert not list(d.glob(".tmp-*"))
    for bad in ({"model_type": "zipformer", "encoder_dims": "abc"}, {"model_type": "lstm", "encoder_dim": None}):
        with pytest.raises(ncasr.ConfigError, match="is not a number"):
            add_meta_data(d / ENC, bad)
    assert (d / ENC).read_text() == original


def test_malformed_param_is_a_clear_error(tmp_path):
    bad = tmp_path / "encoder.ncnn.param"
    bad.write_text("7767517\n3 3\nInput in0 0 1 in0\n")
    with pytest.raises(ncasr.ModelError, match="line 2 declares 3 layers but the file has 1"):
        add_meta_data(bad, {0: 3, 1: 1, 2: 1, 3: 1})
    with pytest.raises(ncasr.ConfigError, match="unknown metadata name 'encoder_dims'"):
        add_meta_data(bad, {"model_type": "lstm", "encoder_dims": [1]})


def test_cli_export_writes_a_copy(model_copy, tmp_path):
    d = model_copy("conv-emformer-small")
    strip_meta(d / ENC)
    out = tmp_path / "with-meta.param"
    args = [
        "--meta",
        "num_encoder_layers=2",
        "--meta",
        "memory_size=32",
        "--meta",
        "cnn_module_kernel=31",
        "--meta",
        "left_context_length=8",
        "--meta",
        "chunk_length=32",
        "--meta",
        "right_context_length=8",
        "--meta",
        "d_model=128",
    ]
    r = subprocess.run(
        [sys.executable, "-m", "ncasr", "export", str(d / ENC), "--model-type", "conv_emformer", *args, "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    assert "SherpaMetaData" not in (d / ENC).read_text()  # input untouched
    assert ncasr.inspect_model  # the written copy validates as a conv_emformer encoder:
    assert ncasr._core.read_meta_data(str(out))["raw"] == {0: 1, 1: 2, 2: 32, 3: 31, 4: 8, 5: 32, 6: 8, 7: 128}
