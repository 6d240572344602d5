"""TorchScript export (fp32 and dynamic int8) and the bench's torch peer
(run: python -m pytest recipes/reference_lstm/test_torch_peer.py).

Needs torch, kaldi-native-fbank and soundfile (skipped without them). About 15 s.
"""

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("kaldi_native_fbank")
pytest.importorskip("soundfile")

import ncasr  # noqa: E402
from recipes.reference_lstm import export_torch as et  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings("ignore:LSTM with projections is not supported"),
    pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning"),
]

# test-000001 starts with a word that a wrong start context used to miss (see test_onnx_export.py)
CLIPS = ("test-000000.wav", "test-000001.wav")


@pytest.fixture(scope="module")
def torch_dir(tmp_path_factory):
    """One folder with both variants: encoder.pt ... (DIR:torch) and encoder.int8.pt ... (DIR:torch-int8)."""
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("torch")
    model = et.load_model(ncnn=str(ncasr.default_model_dir()))
    et.export_torch(model, out, ncasr.default_model_dir() / "tokens.txt", int8=True, feats_list=et.clip_features(1))
    return out


def test_contract_files_meta_and_shapes(torch_dir):
    meta = json.loads((torch_dir / "meta.json").read_text())
    assert {k: meta[k] for k in ("T", "decode_chunk_len", "context_size", "blank_id", "unk_id", "vocab_size")} == {
        "T": 9,
        "decode_chunk_len": 4,
        "context_size": 2,
        "blank_id": 0,
        "unk_id": 2,
        "vocab_size": 256,
    }
    assert meta["state_shapes"] == {"h": [3, 1, 192], "c": [3, 1, 512]}
    f = meta["feature"]
    assert (f["num_bins"], f["dither"], f["snip_edges"], f["high_freq"]) == (80, 0.0, False, -400.0)
    check = meta["variants"]["torch"]["check"]
    assert check["encoder_chunks"] > 0
    assert max(v for k, v in check.items() if k.endswith("max_rel_err")) <= 1e-5, check
    q = meta["variants"]["torch-int8"]["quantized"]
    assert "lstms.0.ih: Linear" in q["encoder"] and "lstms.2.hr: Linear" in q["encoder"]
    assert q["joiner"] == ["output_linear: Linear"]
    assert (torch_dir / "encoder.int8.pt").stat().st_size < 0.35 * (torch_dir / "encoder.pt").stat().st_size
    for suffix in ("", ".int8"):
        enc = torch.jit.load(str(torch_dir / f"encoder{suffix}.pt"))
        dec = torch.jit.load(str(torch_dir / f"decoder{suffix}.pt"))
        joi = torch.jit.load(str(torch_dir / f"joiner{suffix}.pt"))
        with torch.inference_mode():
            o, h, c = enc(torch.zeros(1, 9, 80), torch.zeros(3, 1, 192), torch.zeros(3, 1, 512))
            d = dec(torch.tensor([[-1, 0]]))
            logit = joi(o[:, 0], d)
        assert (o.shape, h.shape, c.shape, d.shape, logit.shape) == (
            (1, 1, 256),
            (3, 1, 192),
            (3, 1, 512),
            (1, 256),
            (1, 256),
        )


def test_bench_torch_peer_matches_ncasr_float(torch_dir, tmp_path):
    """`ncasr bench DIR:float T:torch T:torch-int8 --peer torch`: torch fp32 gives ncasr float's
    words; the int8 row runs."""
    from ncasr.bench import read_manifest, run_bench, write_manifest

    entries = [e for e in read_manifest(et.TEST_TSV) if e.path.endswith(CLIPS)]
    assert len(entries) == 2
    manifest = tmp_path / "two.tsv"
    write_manifest(manifest, [(e.path, e.duration or 0.0, e.text) for e in entries])
    records = run_bench(
        [f"{ncasr.default_model_dir()}:float", f"{torch_dir}:torch", f"{torch_dir}:torch-int8"],
        manifest,
        peers=["torch"],
        latency_files=1,
    )
    rows = {(r.backend, r.variant): r for r in records}
    assert set(rows) == {("ncasr", "float"), ("torch", "torch"), ("torch", "torch-int8")}
    fp32, int8 = rows[("torch", "torch")], rows[("torch", "torch-int8")]
    assert fp32.error is None and fp32.precision == "fp32", fp32.error
    assert int8.error is None and int8.precision == "int8", int8.error
    want = [h.strip() for h in rows[("ncasr", "float")].hypotheses]
    assert want and all(want)
    assert [h.strip() for h in fp32.hypotheses] == want
    assert len(int8.hypotheses) == 2 and sum(len(h.split()) for h in int8.hypotheses) >= 4
    assert int8.size_bytes["total"] < fp32.size_bytes["total"] and fp32.rtf_median > 0 and int8.rtf_median > 0
