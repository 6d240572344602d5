"""ncasr.export.zipformer2.onnx_export: our ONNX export of the fixture weights
(tests/data/zipformer2) decodes in sherpa-onnx 2.0.1 exactly as the fixture's own ONNX copy
(icefall's export-onnx-streaming.py) does, and onnxruntime's dynamic int8 of it loads and
decodes speech."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import onnx
import pytest
import soundfile as sf
import torch  # the test extra installs torch, onnx, onnxruntime and sherpa-onnx: missing, they fail

from helpers.oracle import sherpa_onnx_decode
from ncasr.export.zipformer2 import Zipformer2Config
from ncasr.export.zipformer2.onnx_export import export_onnx, onnx_meta_data, quantize_onnx_int8

DATA = Path(__file__).parent / "data" / "zipformer2"
TAIL = 0.66  # seconds of zeros after each wav, as in tests/test_zipformer2_runtime.py


@pytest.fixture(scope="module")
def onnx_dir(tmp_path_factory) -> Path:
    torch.set_num_threads(1)
    cfg = dataclasses.replace(Zipformer2Config.from_json(DATA / "config.json"), chunk_size=16, left_context_frames=64)
    out = export_onnx(DATA / "state_dict.npz", tmp_path_factory.mktemp("z2-onnx") / "onnx", cfg, DATA / "tokens.txt")
    quantize_onnx_int8(out)
    return out


def _recognizer(folder: Path, suffix: str = ".onnx"):
    import sherpa_onnx

    return sherpa_onnx.OnlineRecognizer.from_transducer(
        tokens=str(DATA / "tokens.txt"),
        encoder=str(folder / f"encoder{suffix}"),
        decoder=str(folder / f"decoder{suffix}"),
        joiner=str(folder / f"joiner{suffix}"),
        num_threads=1,
        decoding_method="greedy_search",
    )


def _decode(rec, path: Path):
    samples, rate = sf.read(str(path), dtype="float32")
    return sherpa_onnx_decode(rec, samples, rate, TAIL)


def test_the_contract_matches_the_fixture_copy(onnx_dir):
    for net in ("encoder", "decoder", "joiner"):
        ours = onnx.load(str(onnx_dir / f"{net}.onnx"), load_external_data=False)
        ref = onnx.load(str(DATA / "onnx" / f"{net}.onnx"), load_external_data=False)
        assert [i.name for i in ours.graph.input] == [i.name for i in ref.graph.input]
        assert [o.name for o in ours.graph.output] == [o.name for o in ref.graph.output]
        ours_meta = {p.key: p.value for p in ours.metadata_props}
        ref_meta = {p.key: p.value for p in ref.metadata_props}
        assert ours_meta == dict(ref_meta, **{k: ours_meta[k] for k in ("model_author",) if k in ref_meta})
    cfg = dataclasses.replace(Zipformer2Config.from_json(DATA / "config.json"), chunk_size=16, left_context_frames=64)
    assert onnx_meta_data(cfg)["encoder"]["left_context_len"] == "64,32,16,8,16,32"


def test_sherpa_onnx_decodes_our_export_as_the_fixture_copy(onnx_dir, test_wavs):
    ours, ref = _recognizer(onnx_dir), _recognizer(DATA / "onnx")
    paths = [DATA / "input.wav"] + list(test_wavs)[:6]
    results = [(_decode(ours, p), _decode(ref, p)) for p in paths]
    assert sum(len(r[1][0]) for r in results) > 20  # speech gives tokens
    assert [r[0] for r in results] == [r[1] for r in results]


def test_the_int8_copy_is_smaller_and_decodes(onnx_dir):
    size = {
        s: sum((onnx_dir / f"{n}{s}").stat().st_size for n in ("encoder", "joiner")) for s in (".onnx", ".int8.onnx")
    }
    assert size[".int8.onnx"] < 0.5 * size[".onnx"]
    tokens, _ = _decode(_recognizer(onnx_dir, ".int8.onnx"), DATA / "input.wav")
    ref, _ = _decode(_recognizer(DATA / "onnx"), DATA / "input.wav")
    assert len(tokens) > 0.5 * len(ref) > 0
