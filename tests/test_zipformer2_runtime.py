"""ncasr's runtime on a Zipformer2 folder made by `ncasr export zipformer2` from the golden
fixture's small model (tests/data/zipformer2, random weights): the encoder equals PyTorch and
icefall per chunk, greedy search gives icefall's tokens, and decoding on speech equals
sherpa-onnx 2.0.1 running the fixture's ONNX export of the same weights (tests/data/zipformer2/onnx).

Parity bar as in tests/test_parity_sherpa.py: >= 95 % of the 24 wavs identical, and each wav
that differs first differs at a frame where ncasr's decision was a near-tie (helpers.oracle).
Both runtimes run in fp32 and get the same tail padding.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pnnx  # noqa: F401
import pytest
import torch  # the test extra installs torch, pnnx and ncnn: missing, they fail, not skip

import ncasr
from helpers.oracle import TAIL_PADDING, assert_near_tie_parity, sherpa_onnx_decode
from ncasr import _core

DATA = Path(__file__).parent / "data" / "zipformer2"
ONNX = DATA / "onnx"
ENCODER_PARAM = "encoder_jit_trace-pnnx.ncnn.param"


@pytest.fixture(scope="session")
def z2_dir(tmp_path_factory) -> Path:
    """The small fixture model exported to ncnn (about 20 s), once per test run."""
    from ncasr.cli import main

    torch.set_num_threads(1)  # see test_zipformer2_torch.py
    out = tmp_path_factory.mktemp("zipformer2-runtime") / "ncnn"
    args = ["export", "zipformer2", str(DATA / "state_dict.npz"), str(out), "--config", str(DATA / "config.json"),
            "--chunk-size", "16", "--left-context-frames", "64", "--tokens", str(DATA / "tokens.txt")]  # fmt: skip
    assert main(args) == 0
    return out


def fp32_config(method: str = "greedy_search") -> _core.RecognizerConfig:
    c = _core.RecognizerConfig()
    c.method = method
    c.num_active_paths = 4
    c.record_margins = True
    c.runtime.use_fp16_storage = False  # sherpa-onnx runs the fp32 ONNX nets
    return c


def assert_chunks_match_torch(ours, features: np.ndarray, enc, cfg, segment: int, offset: int) -> None:
    """Each of ``ours`` (the core's encoder output per chunk) within 1e-4 (relative) of the
    PyTorch streaming encoder ``enc`` run on the same chunks with carried states."""
    from ncasr.export.zipformer2.states import key_mask

    states = enc.init_states()
    for c, got in enumerate(ours):
        x = torch.from_numpy(np.ascontiguousarray(features[offset * c : offset * c + segment]))
        with torch.no_grad():
            out = enc(x, torch.from_numpy(key_mask(cfg, offset // 2 * c)), *states)
        states = out[1:]
        ref = out[0].numpy().reshape(got.shape)
        assert np.abs(got - ref).max() / np.abs(ref).max() <= 1e-4, c


def ncasr_decode(rec: _core.Recognizer, samples: np.ndarray, rate: int, tail: float = TAIL_PADDING):
    s = rec.create_stream()
    s.accept_waveform(rate, np.ascontiguousarray(samples, np.float32))
    s.accept_waveform(rate, np.zeros(int(tail * rate), np.float32))
    s.input_finished()
    rec.decode(s)
    r = rec.result(s)
    # sherpa-onnx shows the word-start mark as a space
    return [t.replace("\u2581", " ") for t in r["tokens"]], [round(t, 4) for t in r["timestamps"]], rec.margins(s)


def sherpa_onnx_recognizer(method: str):
    import sherpa_onnx  # the test extra installs it

    return sherpa_onnx.OnlineRecognizer.from_transducer(
        tokens=str(DATA / "tokens.txt"),
        encoder=str(ONNX / "encoder.onnx"),
        decoder=str(ONNX / "decoder.onnx"),
        joiner=str(ONNX / "joiner.onnx"),
        num_threads=1,
        decoding_method=method,
        max_active_paths=4,
    )


def test_from_dir_loads_the_exported_folder(z2_dir):
    rec = ncasr.Recognizer.from_dir(z2_dir)
    assert rec.model_type == "zipformer2"
    core = rec._r
    assert (core.segment, core.offset, core.vocab_size) == (45, 32, 500)
    assert core.encoder_state_count == 1 + 6 * 6 + 1  # key mask, 6 per layer, embed_states
    assert isinstance(rec.transcribe(np.zeros(16000, np.float32), 16000).text, str)


def test_info_reports_zipformer2(z2_dir, capsys):
    from ncasr.cli import main

    assert main(["info", str(z2_dir)]) == 0
    out = capsys.readouterr().out
    assert "zipformer2" in out and "left_context_len: 64,32,16,8,16,32" in out
    info = ncasr.inspect_model(z2_dir)
    assert info.model_type == "zipformer2"


def test_encoder_equals_pytorch_and_icefall_per_chunk(z2_dir):
    from ncasr.export.zipformer2 import Zipformer2Config, load_zipformer2

    features = np.load(DATA / "features.npy")
    rec = _core.Recognizer(str(z2_dir), fp32_config())
    ours = rec.encode(features)
    assert len(ours) == 9

    cfg = Zipformer2Config.from_json(DATA / "config.json")
    enc = load_zipformer2(DATA / "state_dict.npz", cfg).streaming_encoder(project=False)
    assert_chunks_match_torch(ours, features, enc, cfg, segment=45, offset=32)

    # icefall's own outputs are after joiner.encoder_proj
    sd = np.load(DATA / "state_dict.npz")
    golden = np.load(DATA / "encoder_golden.npz")["encoder_out"][:, 0]
    for c, got in enumerate(ours):
        projected = got @ sd["joiner.encoder_proj.weight"].T + sd["joiner.encoder_proj.bias"]
        assert np.abs(projected - golden[c]).max() / np.abs(golden[c]).max() <= 1e-4, c


def test_encoder_with_several_layers_per_stack_and_chunk_8(tmp_path):
    # The fixture has one layer per stack: here stacks of 2, 1, 2, 3, 1, 2 layers (the state
    # order across layers) and chunk 8 / left context 32 (29 frames per call, advancing 16).
    import dataclasses

    from ncasr.export.zipformer2 import Zipformer2Config, load_zipformer2
    from ncasr.export.zipformer2.model import Zipformer2Transducer
    from ncasr.export.zipformer2.ncnn_export import export_ncnn

    torch.set_num_threads(1)
    cfg = dataclasses.replace(
        Zipformer2Config.from_json(DATA / "config.json"),
        num_encoder_layers=(2, 1, 2, 3, 1, 2),
        chunk_size=8,
        left_context_frames=32,
    )
    torch.manual_seed(0)
    weights = tmp_path / "state_dict.pt"
    torch.save(Zipformer2Transducer(cfg).state_dict(), weights)
    export_ncnn(weights, tmp_path / "ncnn", cfg, DATA / "tokens.txt", verify=False)
    rec = _core.Recognizer(str(tmp_path / "ncnn"), fp32_config())
    assert (rec.segment, rec.offset, rec.encoder_state_count) == (29, 16, 1 + 6 * 11 + 1)
    features = np.load(DATA / "features.npy")
    ours = rec.encode(features)
    assert len(ours) == (len(features) - 29) // 16 + 1

    enc = load_zipformer2(weights, cfg).streaming_encoder(project=False)
    assert_chunks_match_torch(ours, features, enc, cfg, segment=29, offset=16)


def test_greedy_search_gives_the_golden_tokens_and_frames(z2_dir):
    import soundfile as sf

    # The golden features are this wav's fbank plus 0.3 s of zeros (tests/data/zipformer2/README.md).
    samples, rate = sf.read(DATA / "input.wav", dtype="float32")
    rec = _core.Recognizer(str(z2_dir), fp32_config())
    s = rec.create_stream()
    s.accept_waveform(rate, samples)
    s.accept_waveform(rate, np.zeros(int(0.3 * rate), np.float32))
    s.input_finished()
    rec.decode(s)
    r = rec.result(s)
    golden = json.loads((DATA / "greedy_tokens.json").read_text())
    assert r["token_ids"] == golden["tokens"]
    assert [round(t / 0.04) for t in r["timestamps"]] == golden["token_frames"]
    assert r["is_final"]


@pytest.mark.parametrize("method", ["greedy_search", "modified_beam_search"])
def test_decoding_equals_sherpa_onnx(z2_dir, test_wavs, method):
    theirs = sherpa_onnx_recognizer(method)
    ours = _core.Recognizer(str(z2_dir), fp32_config(method))
    assert_near_tie_parity(
        test_wavs,
        lambda samples, rate: ncasr_decode(ours, samples, rate),
        lambda samples, rate: sherpa_onnx_decode(theirs, samples, rate),
        method,
        method,
    )


def test_many_streams_decode_as_one(z2_dir, test_wavs):
    import soundfile as sf

    rec = ncasr.Recognizer.from_dir(z2_dir)
    audio = [sf.read(p, dtype="float32") for p in test_wavs[:6]]
    alone = [rec.transcribe(x, r) for x, r in audio]
    streams = []
    for x, r in audio:
        s = rec.create_stream()
        s.accept_waveform(r, x)
        s.accept_waveform(r, np.zeros(int(rec.config.tail_padding * r), np.float32))
        s.input_finished()
        streams.append(s)
    rec.decode(streams, num_workers=3)
    for s, one in zip(streams, alone):
        got = rec.result(s)
        assert (got.token_ids, got.timestamps) == (one.token_ids, one.timestamps)
    assert any(one.token_ids for one in alone)


def test_beam_search_endpointing_and_hotwords_run(z2_dir, test_wavs, tmp_path):
    import soundfile as sf

    samples, rate = sf.read(test_wavs[1], dtype="float32")
    plain = ncasr.Recognizer.from_dir(z2_dir, method="modified_beam_search").transcribe(samples, rate)
    assert plain.token_ids and len(plain.timestamps) == len(plain.token_ids)
    assert plain.timestamps == sorted(plain.timestamps)

    # A boosted token shows up more often (as in test_endpoint_hotwords.py).
    table = [line.split()[0] for line in (z2_dir / "tokens.txt").read_text(encoding="utf-8").splitlines()]
    counts = {t: plain.token_ids.count(t) for t in set(plain.token_ids)}
    rare = sorted(counts, key=lambda t: (-counts[t], t))[min(4, len(counts) - 1)]
    hot = tmp_path / "hotwords.txt"
    hot.write_text(f"{table[rare]} :8\n", encoding="utf-8")
    boosted = ncasr.Recognizer.from_dir(z2_dir, method="modified_beam_search", hotwords_file=str(hot))
    assert boosted.transcribe(samples, rate).token_ids.count(rare) > counts[rare]

    # rule3 fires after 3 s of audio; reset starts a new segment on the same encoder states.
    rec = ncasr.Recognizer.from_dir(z2_dir, rule3_min_utterance_length=3.0)
    s = rec.create_stream()
    s.accept_waveform(rate, samples[: 4 * rate])
    rec.decode(s)
    assert rec.is_endpoint(s)
    first = rec.result(s)
    rec.reset(s)
    assert rec.result(s).segment == 1 and rec.result(s).token_ids == []
    s.accept_waveform(rate, samples[4 * rate :])
    s.accept_waveform(rate, np.zeros(rate // 2, np.float32))
    s.input_finished()
    rec.decode(s)
    later = rec.result(s)
    assert first.token_ids and later.is_final
    assert not later.timestamps or min(later.timestamps) >= 3.5


def _damaged(z2_dir: Path, tmp_path: Path, old: str, new: str) -> Path:
    dst = tmp_path / "model"
    shutil.copytree(z2_dir, dst)
    param = dst / ENCODER_PARAM
    text = param.read_text()
    assert old in text
    param.write_text(text.replace(old, new, 1))
    return dst


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("-23323=6,64,32,16,8,16,32", "-23323=6,64,32,16,4,16,32", "left_context_len 4 times downsampling 8"),
        ("-23323=6,64,32,16,8,16,32", "-23323=5,64,32,16,8,16", "left_context_len has 5 values"),
        (" 24=-1.000000e+03", "", "missing float mask_value"),
        (" 1=32 ", " 1=30 ", "decode_chunk_len"),
        (" 5=80 ", " 5=128 ", "feature_dim"),
        (" 9=19 ", " 9=18 ", "embed_freq"),
        (" 6=128 ", " 6=96 ", "encoder_out_dim"),
        ("-23319=6,1,2,4,8,4,2", "-23319=6,1,2,4,3,4,2", "chunk_size 16 is not a multiple of its downsampling"),
    ],
)
def test_bad_meta_data_names_the_file(z2_dir, tmp_path, old, new, message):
    model = _damaged(z2_dir, tmp_path, old, new)
    for load in (ncasr.Recognizer.from_dir, ncasr.inspect_model):
        with pytest.raises(ncasr.ModelError, match=message) as e:
            load(model)
        assert ENCODER_PARAM in str(e.value)


def test_int8_encoder_keeps_cosine_0999_at_under_30_percent_of_the_size(z2_dir, test_wavs, tmp_path):
    # Static activation scales only matter for the front end's Convolutions (Gemms quantize
    # their inputs per call); KL thresholds clip them too hard on this model, so the default
    # calibration method for zipformer2 is the percentile one.
    options = ncasr.QuantizeOptions(fp16_storage=True)
    out = tmp_path / "int8"
    report = ncasr.quantize(z2_dir, out, calibration=test_wavs, options=options, progress=False)
    assert report.calibration.method == "percentile"

    def weight_bytes(folder: Path) -> int:
        return sum(p.stat().st_size for p in folder.glob("*.bin"))

    assert weight_bytes(out) <= 0.30 * weight_bytes(z2_dir)
    features = np.load(DATA / "features.npy")
    ref = _core.Recognizer(str(z2_dir), fp32_config()).encode(features)
    c = fp32_config()
    c.variant = "int8"
    got = _core.Recognizer(str(out), c).encode(features)
    cosines = [float((a * b).sum() / np.linalg.norm(a) / np.linalg.norm(b)) for a, b in zip(ref, got)]
    assert len(cosines) == 9 and min(cosines) >= 0.999, cosines
    rec = ncasr.Recognizer.from_dir(out, variant="int8")
    assert rec.model_type == "zipformer2"
    assert rec.transcribe(DATA / "input.wav").token_ids


def test_the_exporter_declares_the_mask_and_every_state_shape(z2_dir):
    inputs = {}
    for line in (z2_dir / ENCODER_PARAM).read_text().splitlines():
        fields = line.split()
        if fields and fields[0] == "Input":
            inputs[fields[4]] = dict(f.split("=") for f in fields[5:])
    n_states = 6 * 6 + 1  # six layers, six states each, and embed_states
    assert sorted(inputs) == sorted(f"in{k}" for k in range(n_states + 2))
    assert inputs["in1"] == {"0": "80", "1": "1"}  # the key mask: left context 64 + chunk 16
    assert inputs["in2"] == {"0": "32", "1": "64"}  # cached_key_0: (left 64, heads 2 * 16)
    assert inputs["in6"] == {"0": "15", "1": "64"}  # cached_conv1_0: (dim 64, kernel 31 // 2)
    assert inputs[f"in{n_states + 1}"] == {"0": "19", "1": "3", "2": "128"}  # embed_states
    assert all(inputs[f"in{k}"] for k in range(1, n_states + 2))


def test_meta_data_made_for_another_left_context_is_refused(z2_dir, tmp_path):
    # Consistent in itself, but the graph was exported for left context 64: the declared
    # shapes tell.
    old = "-23323=6,64,32,16,8,16,32"
    model = _damaged(z2_dir, tmp_path, old, "-23323=6,128,64,32,16,32,64")
    text = (model / ENCODER_PARAM).read_text().replace(" 4=64 ", " 4=128 ", 1)
    (model / ENCODER_PARAM).write_text(text)
    for load in (ncasr.Recognizer.from_dir, ncasr.inspect_model):
        with pytest.raises(ncasr.ModelError, match=r"declares state input in1 as \(w=80") as e:
            load(model)
        assert ENCODER_PARAM in str(e.value)


@pytest.mark.parametrize("dims", ["6,68,96,128,128,128,96", "6,64,100,128,128,128,96", "6,64,96,128,128,128,92"])
def test_another_encoder_dim_is_a_model_error_not_a_crash(z2_dir, tmp_path, dims):
    # 68 instead of 64 in stack 0 made ncnn's Gemm divide by zero (SIGFPE) before the graph
    # declared its state shapes; the mismatch is now found before anything runs.
    model = _damaged(z2_dir, tmp_path, "-23317=6,64,96,128,128,128,96", f"-23317={dims}")
    for load in (ncasr.Recognizer.from_dir, ncasr.inspect_model):
        with pytest.raises(ncasr.ModelError, match=r"declares state input in\d+ as .*but the metadata gives") as e:
            load(model)
        assert ENCODER_PARAM in str(e.value)


def test_a_zipformer2_graph_must_declare_its_state_shapes(z2_dir, tmp_path):
    # Without the declaration, the encoder_dims change above would reach ncnn's layers.
    model = _damaged(z2_dir, tmp_path, "0 1 in3 0=48 1=64\n", "0 1 in3\n")
    for load in (ncasr.Recognizer.from_dir, ncasr.inspect_model):
        with pytest.raises(ncasr.ModelError, match="state in3 declares no shape") as e:
            load(model)
        assert ENCODER_PARAM in str(e.value)
