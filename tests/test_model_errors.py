"""Bad model input gives a clear ModelError naming the file and the problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import ncasr
from conftest import fixture_dir

ENC = "encoder_jit_trace-pnnx.ncnn"
DEC = "decoder_jit_trace-pnnx.ncnn"


def edit_param(path: Path, fn) -> None:
    lines = path.read_text().splitlines()
    path.write_text("\n".join(fn(lines)) + "\n")


def replace_meta(path: Path, old: str, new: str) -> None:
    def fn(lines):
        assert old in lines[2], lines[2]
        lines[2] = lines[2].replace(old, new)
        return lines

    edit_param(path, fn)


def test_missing_folder(tmp_path):
    with pytest.raises(ncasr.ModelFileNotFoundError, match="model folder not found"):
        ncasr.inspect_model(tmp_path / "nope")


def test_missing_param_file(model_copy):
    d = model_copy()
    (d / f"{ENC}.param").unlink()
    with pytest.raises(ncasr.ModelFileNotFoundError, match=r"no encoder param file") as e:
        ncasr.inspect_model(d)
    assert isinstance(e.value, FileNotFoundError) and isinstance(e.value, ValueError)
    assert "encoder" in e.value.path


def test_truncated_bin(model_copy):
    d = model_copy()
    b = d / f"{ENC}.bin"
    data = b.read_bytes()
    b.write_bytes(data[: len(data) - 1000])
    with pytest.raises(ncasr.ModelError, match="truncated") as e:
        ncasr.inspect_model(d)
    assert e.value.path == str(b)


def test_bin_with_extra_bytes_does_not_belong(model_copy):
    d = model_copy()
    b = d / f"{DEC}.bin"
    b.write_bytes(b.read_bytes() + b"\0" * 64)
    with pytest.raises(
        ncasr.ModelError,
        match=r"does not belong to .*decoder.*reads 128520 bytes "
        r"but the file has 128584",
    ):
        ncasr.inspect_model(d)


def test_bin_of_another_model(model_copy):
    d = model_copy("lstm-small")
    other = fixture_dir("conv-emformer-small") / f"{ENC}.bin"
    (d / f"{ENC}.bin").write_bytes(other.read_bytes())
    with pytest.raises(ncasr.ModelError, match="does not belong|truncated"):
        ncasr.inspect_model(d)


def test_unknown_layer_type(model_copy):
    d = model_copy()
    edit_param(d / f"{ENC}.param", lambda ls: [re.sub(r"^Sigmoid ", "FancySigmoid ", l) for l in ls])
    with pytest.raises(ncasr.ModelError, match=r"line \d+: unknown layer type 'FancySigmoid'"):
        ncasr.inspect_model(d)


def test_layer_compiled_out_of_ncnn(model_copy):
    d = model_copy()
    edit_param(d / f"{DEC}.param", lambda ls: [re.sub(r"^ReLU ", "DeconvolutionDepthWise3D ", l) for l in ls])
    with pytest.raises(ncasr.ModelError, match="'DeconvolutionDepthWise3D'.*not compiled into"):
        ncasr.inspect_model(d)


def test_missing_meta_data(model_copy):
    d = model_copy()

    def drop_meta(lines):
        assert lines[2].startswith("SherpaMetaData")
        n_layers, n_blobs = lines[1].split()
        return [lines[0], f"{int(n_layers) - 1} {n_blobs}"] + lines[3:]

    edit_param(d / f"{ENC}.param", drop_meta)
    with pytest.raises(ncasr.ModelError, match="no SherpaMetaData layer"):
        ncasr.inspect_model(d)


def test_layer_count_on_line_2_wrong(model_copy):
    d = model_copy()
    edit_param(d / f"{ENC}.param", lambda ls: [ls[0], "999 " + ls[1].split()[1]] + ls[2:])
    with pytest.raises(ncasr.ModelError, match="line 2 declares 999 layers but the file has 74"):
        ncasr.inspect_model(d)


def test_zipformer_array_of_wrong_length(model_copy):
    d = model_copy("zipformer-small")
    replace_meta(d / f"{ENC}.param", "-23317=5,128,128,128,128,128", "-23317=4,128,128,128,128")
    with pytest.raises(ncasr.ModelError, match="encoder_dims has 4 values, but num_encoder_layers has 5"):
        ncasr.inspect_model(d)


def test_array_count_disagrees_with_values(model_copy):
    d = model_copy("zipformer-small")
    replace_meta(d / f"{ENC}.param", "-23317=5,128,128,128,128,128", "-23317=5,128,128")
    with pytest.raises(ncasr.ModelError, match="array parameter 17 declares 5 values but lists 2"):
        ncasr.inspect_model(d)


def test_zipformer_without_model_version(model_copy):
    d = model_copy("zipformer-small")
    replace_meta(d / f"{ENC}.param", " 15=1", "")
    with pytest.raises(ncasr.ModelError, match=r"missing model_version \(key 15\) for zipformer"):
        ncasr.inspect_model(d)


def test_unknown_model_type(model_copy):
    d = model_copy()
    replace_meta(d / f"{ENC}.param", "0=3", "0=7")
    with pytest.raises(ncasr.ModelError, match="unknown model type 7"):
        ncasr.inspect_model(d)


def test_lstm_meta_data_missing_a_key(model_copy):
    d = model_copy()
    replace_meta(d / f"{ENC}.param", " 3=256", "")
    with pytest.raises(ncasr.ModelError, match=r"missing rnn_hidden_size \(key 3\) for lstm"):
        ncasr.inspect_model(d)


def test_not_a_param_file(model_copy):
    d = model_copy()
    (d / f"{ENC}.param").write_text("hello\n")
    with pytest.raises(ncasr.ModelError, match="not an ncnn param file"):
        ncasr.inspect_model(d)


def test_blob_read_before_produced(model_copy):
    d = model_copy()

    def swap(lines):
        # Move the last layer to the top of the graph: it reads blobs not yet produced.
        return lines[:3] + [lines[-1]] + lines[3:-1]

    edit_param(d / f"{DEC}.param", swap)
    with pytest.raises(ncasr.ModelError, match="reads blob '.*' that no earlier layer produces"):
        ncasr.inspect_model(d)


def test_ambiguous_folder(model_copy):
    d = model_copy()
    (d / "encoder-copy.ncnn.param").write_text((d / f"{ENC}.param").read_text())
    with pytest.raises(ncasr.ModelError, match="several encoder param files"):
        ncasr.inspect_model(d)
