"""ONNX export of the bundled model for sherpa-onnx (run: python -m pytest recipes/reference_lstm/test_onnx_export.py).

Needs torch, onnx, onnxruntime and sherpa-onnx (skipped without them). About 5 s.
"""

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
pytest.importorskip("sherpa_onnx")

import ncasr  # noqa: E402
from ncasr.audio import load_audio  # noqa: E402
from recipes.reference_lstm import export_onnx as eo  # noqa: E402
from recipes.reference_lstm.quantize_onnx import DEFAULT_TSV, quantize_dynamic_folder  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")

# test-000001/3/4/13/18 start with a word that sherpa-onnx's start context [-1, blank] got
# wrong before the decoder mapped id -1 to a zero embedding; all 20 clips were measured identical
CLIPS = ("test-000000.wav", "test-000001.wav", "test-000003.wav", "test-000004.wav", "test-000013.wav")
CLIPS += ("test-000018.wav",)


@pytest.fixture(scope="module")
def onnx_dir(tmp_path_factory):
    import torch

    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("onnx")
    model = eo.load_model(ncnn=str(ncasr.default_model_dir()))
    eo.export_onnx(model, out)
    (out / "tokens.txt").write_bytes((ncasr.default_model_dir() / "tokens.txt").read_bytes())
    rep = eo.verify(model, out, eo.verification_features(1))
    assert rep["encoder_max_rel_err"] < 1e-4, rep
    assert rep["decoder_max_rel_err"] < 1e-4, rep
    assert rep["joiner_max_rel_err"] < 1e-4, rep
    assert rep["decoder_start_context_max_abs_err"] < 1e-6, rep
    return out


def _clips():
    rows = dict((w.rsplit("/", 1)[-1], w) for w, _ in eo.read_test_set(DEFAULT_TSV))
    return [rows[c] for c in CLIPS]


def test_contract_metadata_and_io_names(onnx_dir):
    import onnx

    meta = eo.read_metadata(onnx_dir / "encoder.onnx")
    assert meta["model_type"] == "lstm"
    assert {k: int(meta[k]) for k in ("num_encoder_layers", "T", "decode_chunk_len", "d_model", "rnn_hidden_size")} == {
        "num_encoder_layers": 3,
        "T": 9,
        "decode_chunk_len": 4,
        "d_model": 192,
        "rnn_hidden_size": 512,
    }
    assert eo.read_metadata(onnx_dir / "decoder.onnx") == {"context_size": "2", "vocab_size": "256"}
    io = {}
    for net in ("encoder", "decoder", "joiner"):
        g = onnx.load(str(onnx_dir / f"{net}.onnx")).graph
        io[net] = ([i.name for i in g.input], [o.name for o in g.output])
    assert io == {
        "encoder": (["x", "h", "c"], ["encoder_out", "next_h", "next_c"]),
        "decoder": (["y"], ["decoder_out"]),
        "joiner": (["encoder_out", "decoder_out"], ["logit"]),
    }


def test_sherpa_onnx_text_equals_ncasr_float(onnx_dir):
    rec = eo.sherpa_recognizer(onnx_dir)
    nc = ncasr.Recognizer.from_dir(ncasr.default_model_dir(), variant="float")
    for wav in _clips():
        samples, rate = load_audio(wav)
        got = eo.sherpa_transcribe(rec, samples, rate, nc.config.tail_padding)
        want = nc.transcribe(samples, sample_rate=rate).text.strip()
        assert got == want, (wav, got, want)


def test_dynamic_int8_loads_and_decodes(onnx_dir):
    sizes = quantize_dynamic_folder(onnx_dir)
    assert sizes["encoder.int8.onnx"] < 0.35 * (onnx_dir / "encoder.onnx").stat().st_size
    assert eo.read_metadata(onnx_dir / "encoder.int8.onnx") == eo.read_metadata(onnx_dir / "encoder.onnx")
    rec = eo.sherpa_recognizer(onnx_dir, ".int8")
    words = 0
    for wav in _clips()[:3]:
        samples, rate = load_audio(wav)
        words += len(eo.sherpa_transcribe(rec, samples, rate).split())
    assert words >= 10
    silence = eo.sherpa_transcribe(rec, np.zeros(16000, np.float32))
    assert isinstance(silence, str)


def test_ncasr_bench_runs_sherpa_onnx_on_the_onnx_folder(onnx_dir, tmp_path):
    """`ncasr bench DIR:float ONNX:onnx --peer sherpa-onnx`: the ONNX folder is run by
    sherpa-onnx only, in its own rows, and gives ncasr float's words."""
    from ncasr.bench import read_manifest, run_bench, write_manifest

    entries = [e for e in read_manifest(DEFAULT_TSV) if e.path.endswith(CLIPS[:2])]
    manifest = tmp_path / "two.tsv"
    write_manifest(manifest, [(e.path, e.duration or 0.0, e.text) for e in entries])
    records = run_bench(
        [f"{ncasr.default_model_dir()}:float", f"{onnx_dir}:onnx"],
        manifest,
        peers=["sherpa-onnx"],
        latency_files=1,
    )
    by_backend = {r.backend: r for r in records}
    assert set(by_backend) == {"ncasr", "sherpa-onnx"}
    onnx_row = by_backend["sherpa-onnx"]
    assert onnx_row.error is None and onnx_row.variant == "onnx" and onnx_row.precision == "fp32"
    assert [h.strip() for h in onnx_row.hypotheses] == [h.strip() for h in by_backend["ncasr"].hypotheses]
    assert onnx_row.size_bytes["total"] > 0 and onnx_row.rtf_median > 0
