"""Model folders laid out as icefall and sherpa-ncnn publish them load as sherpa-ncnn 2.1.15
loads them: extra files beside the nets (scale tables, scripts, test_wavs/, chunk-size
subfolders), int8 encoder and joiner with a float decoder, older file names, metadata lines
with an empty array, Windows line endings. A folder without SherpaMetaData is a clear
ModelError (sherpa-ncnn 2.1.15 prints a hint and then crashes on it)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import soundfile as sf

import ncasr
from conftest import fixture_dir
from helpers.oracle import assert_parity

NETS = ("encoder", "decoder", "joiner")
STEM = "_jit_trace-pnnx.ncnn"


def copy_model(name: str, dst: Path, stem: str = STEM) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    for net in NETS:
        for ext in ("param", "bin"):
            shutil.copyfile(fixture_dir(name) / f"{net}{STEM}.{ext}", dst / f"{net}{stem}.{ext}")
    shutil.copyfile(fixture_dir(name) / "tokens.txt", dst / "tokens.txt")
    return dst


def release_folder(tmp_path: Path) -> Path:
    """Float nets, int8 encoder and joiner (no int8 decoder), and what else releases hold."""
    d = copy_model("lstm-small", tmp_path / "release")
    for net in ("encoder", "joiner"):
        for ext in ("param", "bin"):
            shutil.copyfile(d / f"{net}{STEM}.{ext}", d / f"{net}{STEM}.int8.{ext}")
    for extra in (
        "encoder-scale-table.txt",
        "joiner-scale-table.txt",
        "export-for-ncnn.sh",
        "generate-int8-scale-table.sh",
        "README.md",
    ):
        (d / extra).write_text("not a model file\n")
    (d / "test_wavs").mkdir()
    sf.write(d / "test_wavs" / "0.wav", [0.0] * 1600, 16000)
    copy_model("lstm-small", d / "64")  # another chunk size, in a subfolder
    return d


@pytest.mark.parametrize(
    "variant,expect",
    [
        ("", {"encoder": "", "decoder": "", "joiner": ""}),
        ("float", {"encoder": "", "decoder": "", "joiner": ""}),
        ("int8", {"encoder": ".int8", "decoder": "", "joiner": ".int8"}),
    ],
)
def test_release_layout_picks_the_right_files(tmp_path, variant, expect):
    d = release_folder(tmp_path)
    info = ncasr.inspect_model(d, variant)
    for net in NETS:
        param = Path(getattr(info, net).param)
        assert param == d / f"{net}{STEM}{expect[net]}.param", (net, param)
        assert Path(getattr(info, net).bin) == param.with_suffix(".bin")
    ncasr.Recognizer.from_dir(d, variant=variant or "float")  # loads beside the extra files


def test_older_file_names(tmp_path, test_wavs):
    # e.g. sherpa-ncnn-2022-09-05: encoder_jit_trace-iter-468000-avg-16-pnnx.ncnn.param
    d = copy_model("lstm-small", tmp_path / "old", stem="_jit_trace-iter-468000-avg-16-pnnx.ncnn")
    info = ncasr.inspect_model(d)
    assert Path(info.encoder.param).name == "encoder_jit_trace-iter-468000-avg-16-pnnx.ncnn.param"
    samples, rate = sf.read(test_wavs[0], dtype="float32")
    renamed = ncasr.Recognizer.from_dir(d).transcribe(samples, rate).token_ids
    assert renamed == ncasr.Recognizer.from_dir(fixture_dir("lstm-small")).transcribe(samples, rate).token_ids


def test_meta_data_with_an_empty_array_decodes_like_sherpa(tmp_path, test_wavs):
    # sherpa-ncnn-conv-emformer-transducer-2022-12-06's int8 encoder once carried "-23330=0"
    d = copy_model("conv-emformer-small", tmp_path / "m")
    param = d / f"encoder{STEM}.param"
    lines = param.read_text().split("\n")
    assert lines[2].startswith("SherpaMetaData") and " 0=1 " in lines[2]
    lines[2] = lines[2].replace(" 0=1 ", " -23330=0 0=1 ", 1)
    param.write_text("\n".join(lines))
    assert ncasr.inspect_model(d).raw_meta_data[0] == 1
    assert_parity(d, test_wavs, "greedy_search", "conv-emformer-small with -23330=0")


def test_windows_line_endings(tmp_path, test_wavs):
    d = copy_model("zipformer-small", tmp_path / "crlf")
    for f in [d / "tokens.txt"] + [d / f"{net}{STEM}.param" for net in NETS]:
        f.write_bytes(f.read_bytes().replace(b"\n", b"\r\n"))
    samples, rate = sf.read(test_wavs[2], dtype="float32")
    ours = ncasr.Recognizer.from_dir(d).transcribe(samples, rate)
    plain = ncasr.Recognizer.from_dir(fixture_dir("zipformer-small")).transcribe(samples, rate)
    assert ours.token_ids == plain.token_ids and ours.text == plain.text and ours.token_ids


def test_missing_meta_data_is_a_model_error(tmp_path):
    d = copy_model("lstm-small", tmp_path / "nometa")
    param = d / f"encoder{STEM}.param"
    lines = param.read_text().split("\n")
    layers, blobs = lines[1].split()
    lines[1] = f"{int(layers) - 1} {blobs}"
    del lines[2]
    param.write_text("\n".join(lines))
    with pytest.raises(ncasr.ModelError, match="no SherpaMetaData layer; add it with `ncasr export`") as e:
        ncasr.Recognizer.from_dir(d)
    assert e.value.path == str(param)
