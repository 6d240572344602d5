"""Every byte of every fixture .bin belongs to a layer's weights, custom layers included."""

from __future__ import annotations

import pytest

import ncasr
from conftest import SMALL_MODELS, fixture_dir, fp32_dir
from ncasr import _core

NETS = ["encoder", "decoder", "joiner"]


def paths(folder, net):
    stem = folder / f"{net}_jit_trace-pnnx.ncnn"
    return str(stem) + ".param", str(stem) + ".bin"


@pytest.mark.parametrize("net", NETS)
@pytest.mark.parametrize("name", SMALL_MODELS + ["lstm-small/fp32", "conv-emformer-small/fp32"])
def test_blobs_tile_the_whole_file(name, net):
    folder = fp32_dir(name.split("/")[0]) if "/" in name else fixture_dir(name)
    m = _core.weight_map(*paths(folder, net))
    assert m["read_bytes"] == m["file_bytes"] > 0
    offset = 0
    for layer in m["layers"]:
        for blob in layer["blobs"]:
            assert blob["offset"] == offset, (layer["name"], blob)
            offset += blob["bytes"]
    assert offset == m["file_bytes"]
    tagged = {b["storage"] for l in m["layers"] for b in l["blobs"]} - {"raw"}
    assert tagged == ({"fp32"} if "fp32" in name else {"fp16"})


def test_simple_upsample_weights_are_carried():
    # ncnn's own ModelWriter drops these weights; we must not.
    folder = fixture_dir("zipformer-small")
    param, bin_ = paths(folder, "encoder")
    m = _core.weight_map(param, bin_)
    ups = [l for l in m["layers"] if l["type"] == "SimpleUpsample"]
    assert len(ups) == 4
    sizes = {}
    for line in folder.joinpath("encoder_jit_trace-pnnx.ncnn.param").read_text().splitlines():
        parts = line.split()
        if parts and parts[0] == "SimpleUpsample":
            kv = dict(p.split("=") for p in parts[6:])
            sizes[parts[1]] = int(kv["2"])
    for layer in ups:
        assert [b["elements"] for b in layer["blobs"]] == [sizes[layer["name"]]]


def test_truncated_bin_names_the_layer(model_copy):
    d = model_copy("lstm-small")
    b = d / "joiner_jit_trace-pnnx.ncnn.bin"
    b.write_bytes(b.read_bytes()[:-100])
    with pytest.raises(ncasr.ModelError, match=r"layer '.*' \(InnerProduct\) reads past the end"):
        _core.weight_map(*paths(d, "joiner"))
