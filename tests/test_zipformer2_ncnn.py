"""`ncasr export zipformer2` on the golden fixture: pnnx converts our PyTorch model, the ncnn
nets match PyTorch chunk by chunk (1e-4), greedy search on the ncnn nets gives icefall's tokens,
and the folder carries SherpaMetaData and tokens.txt."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pnnx  # noqa: F401
import pytest
import torch  # the test extra installs torch, pnnx and ncnn: missing, they fail, not skip

from ncasr.cli import main
from ncasr.errors import NcasrError
from ncasr.export import add_meta_data
from ncasr.export.zipformer2 import Zipformer2Config, load_zipformer2
from ncasr.export.zipformer2.ncnn_export import NET_NAMES, _ncnn_net, _run, meta_data, verify_ncnn

DATA = Path(__file__).parent / "data" / "zipformer2"


@pytest.fixture(scope="module")
def cfg() -> Zipformer2Config:
    return Zipformer2Config.from_json(DATA / "config.json")


@pytest.fixture(scope="module")
def model(cfg):
    torch.set_num_threads(1)  # see test_zipformer2_torch.py
    return load_zipformer2(DATA / "state_dict.npz", cfg)


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    torch.set_num_threads(1)  # see test_zipformer2_torch.py
    out = tmp_path_factory.mktemp("zipformer2") / "ncnn"
    args = ["export", "zipformer2", str(DATA / "state_dict.npz"), str(out), "--config", str(DATA / "config.json"),
            "--chunk-size", "16", "--left-context-frames", "64", "--tokens", str(DATA / "tokens.txt")]  # fmt: skip
    assert main(args) == 0
    return out


def test_the_folder_has_sherpa_ncnn_files_meta_data_and_tokens(exported, cfg):
    for net in NET_NAMES.values():
        assert (exported / f"{net}.ncnn.param").is_file() and (exported / f"{net}.ncnn.bin").is_file()
    assert (exported / "tokens.txt").read_bytes() == (DATA / "tokens.txt").read_bytes()
    lines = (exported / "encoder_jit_trace-pnnx.ncnn.param").read_text().splitlines()
    assert lines[2].split()[:5] == ["SherpaMetaData", "sherpa_meta_data1", "0", "0", "0=4"]
    fields = dict(f.split("=", 1) for f in lines[2].split()[4:])
    assert fields["1"] == "32" and fields["2"] == "16" and fields["3"] == "13" and fields["4"] == "64"
    assert fields["-23317"] == "6,64,96,128,128,128,96"
    assert fields["-23323"] == "6,64,32,16,8,16,32"
    assert float(fields["24"]) == -1000.0
    assert int(lines[1].split()[0]) == len(lines) - 2


def test_ncnn_matches_pytorch_chunk_by_chunk(exported, model):
    features = np.load(DATA / "features.npy")
    errors = verify_ncnn(exported, model, features, num_chunks=9)
    assert len(errors) == 1 + 37 + 2
    bad = {k: v for k, v in errors.items() if not v <= 1e-4}
    assert not bad, bad


def test_greedy_search_on_the_ncnn_nets_gives_the_golden_tokens(exported, cfg, model):
    from ncasr.export.zipformer2 import key_mask

    features = np.load(DATA / "features.npy")
    enc = _ncnn_net(exported / "encoder_jit_trace-pnnx.ncnn.param")
    dec = _ncnn_net(exported / "decoder_jit_trace-pnnx.ncnn.param")
    join = _ncnn_net(exported / "joiner_jit_trace-pnnx.ncnn.param")
    states = [s.numpy() for s in model.streaming_encoder().init_states()]
    frames = []
    for c in range(9):
        x = np.ascontiguousarray(features[c * 32 : c * 32 + 45])
        out, *new = _run(enc, [x, key_mask(cfg, 16 * c)] + states, 1 + len(states))
        states = [n.reshape(s.shape) for n, s in zip(new, states)]
        frames.append(out.reshape(8, -1))
    encoder_out = np.concatenate(frames)
    context = [cfg.vocab_size, 0]  # vocab_size stands for icefall's -1, "no token yet"

    def decode(ctx):
        return _run(dec, [np.array(ctx, dtype=np.int32).view(np.float32)], 1)[0].reshape(1, -1)

    decoder_out = decode(context)
    tokens, token_frames = [], []
    for t in range(len(encoder_out)):
        logit = _run(join, [encoder_out[t : t + 1], decoder_out], 1)[0].reshape(-1)
        best = int(logit.argmax())
        if best != 0:
            tokens.append(best)
            token_frames.append(t)
            context = context[1:] + [best]
            decoder_out = decode(context)
    expected = json.loads((DATA / "greedy_tokens.json").read_text())
    assert tokens == expected["tokens"]
    assert token_frames == expected["token_frames"]


def test_meta_data_for_zipformer2_must_be_complete(tmp_path, exported, cfg):
    meta = meta_data(cfg)
    del meta["mask_value"]
    target = tmp_path / "enc.param"
    with pytest.raises(NcasrError, match="mask_value"):  # the core's check
        add_meta_data(exported / "encoder_jit_trace-pnnx.ncnn.param", meta, target)
    assert not target.exists()


def test_cli_export_without_zipformer2_still_needs_a_model_type(tmp_path, capsys):
    param = tmp_path / "x.param"
    param.write_text("7767517\n1 1\nInput in0 0 1 in0\n")
    assert main(["export", str(param)]) == 2
    assert "--model-type is required" in capsys.readouterr().err


def test_cli_rejects_a_chunk_the_stacks_cannot_divide(tmp_path, capsys):
    args = ["export", "zipformer2", str(DATA / "state_dict.npz"), str(tmp_path / "out"), "--config",
            str(DATA / "config.json"), "--chunk-size", "12"]  # fmt: skip
    assert main(args) == 2
    assert "multiples of every downsampling factor" in capsys.readouterr().err


def test_ncasr_reads_the_exported_folder(exported):
    import ncasr

    for net in NET_NAMES.values():
        lines = (exported / f"{net}.ncnn.param").read_text().splitlines()[2:]
        names = [line.split()[1] for line in lines]
        assert len(names) == len(set(names)), net  # pnnx repeats Split names; the export renames
    assert ncasr.inspect_model(exported).model_type == "zipformer2"
