"""ONNX export for sherpa-onnx (icefall lstm_transducer_stateless2 export-onnx contract).

  python -m recipes.reference_lstm.export_onnx --checkpoint EXP/averaged.pt --out EXP/onnx
  python -m recipes.reference_lstm.export_onnx --ncnn python/ncasr/models/reference-lstm-en --out DIR

Writes encoder.onnx, decoder.onnx, joiner.onnx, tokens.txt (and bpe.model when there is one)
and export_onnx_report.json. sherpa-onnx (checked with 2.0.1) loads the folder with

  sherpa_onnx.OnlineRecognizer.from_transducer(tokens=DIR/tokens.txt, encoder=DIR/encoder.onnx,
      decoder=DIR/decoder.onnx, joiner=DIR/joiner.onnx, decoding_method="greedy_search")

The contract (what sherpa-onnx's OnlineLstmTransducerModel reads; N = batch, dynamic):

  encoder.onnx  inputs  x (N, T, 80) float32 raw fbank, h (L, N, D), c (L, N, H)
                outputs encoder_out (N, T', J), next_h (L, N, D), next_c (L, N, H)
                metadata model_type=lstm, num_encoder_layers=L, T, decode_chunk_len,
                         d_model=D, rnn_hidden_size=H (+ version, model_author, comment)
  decoder.onnx  input   y (N, context_size) int64 -> output decoder_out (N, J)
                metadata context_size, vocab_size
  joiner.onnx   inputs  encoder_out (N, J), decoder_out (N, J) -> output logit (N, vocab_size)
                metadata joiner_dim

As in icefall's export-onnx.py, the joiner's encoder_proj is moved to the end of the encoder
and its decoder_proj to the end of the decoder (J = joiner_dim), so the joiner is only
output_linear(tanh(encoder_out + decoder_out)); sherpa-onnx caches decoder_out per hypothesis.
The input normalisation is folded into the first convolution (the graph takes raw fbank).

Chunking: output frame j depends only on input frames [4j, 4j+8], so a chunk of
T = decode_chunk_len + 5 frames advanced by decode_chunk_len gives decode_chunk_len/4 frames
and chunked inference equals full-utterance inference. Default decode_chunk_len 4 (T 9): the
9-frame segment / 4-frame offset ncasr and sherpa-ncnn use (one encoder frame per call).
--decode-chunk-len 32 (T 37) gives 8 frames per call, as icefall's default export.

ONNX has no LSTM with a projection (proj_size), and torch.onnx refuses to export one, so the
exported graph computes the LSTM step by step with MatMuls (T' is fixed, so the time loop is
unrolled); the result equals nn.LSTM (checked below). MatMul weights are what dynamic int8
quantization (quantize_onnx.py) quantizes.

Verification (onnxruntime, 1 thread): the encoder is run chunk by chunk with carried states on
real dev features (or random input) and compared with PyTorch's full-utterance forward; the
decoder and joiner are compared on random inputs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from .model import Transducer, fold_input_norm

OPSET = 13


# ------------------------------------------------------------------ wrappers


def lstm_unrolled(lstm: nn.LSTM, x, h, c):
    """nn.LSTM (1 layer, batch_first, proj_size > 0) written with MatMuls; x (N, T', D),
    h (N, D), c (N, H). T' comes from the traced shape (a Python int): the loop is unrolled."""
    w_ih, w_hh, w_hr = lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.weight_hr_l0
    b = lstm.bias_ih_l0 + lstm.bias_hh_l0  # folded to one constant at export
    H = lstm.hidden_size
    gx = torch.matmul(x, w_ih.t()) + b  # (N, T', 4H), all time steps at once
    ys = []
    for t in range(x.size(1)):
        g = gx[:, t] + torch.matmul(h, w_hh.t())
        i = torch.sigmoid(g[:, :H])
        f = torch.sigmoid(g[:, H : 2 * H])
        gg = torch.tanh(g[:, 2 * H : 3 * H])
        o = torch.sigmoid(g[:, 3 * H :])
        c = f * c + i * gg
        h = torch.matmul(o * torch.tanh(c), w_hr.t())
        ys.append(h)
    return torch.stack(ys, dim=1), h, c


class OnnxEncoder(nn.Module):
    def __init__(self, model: Transducer):
        super().__init__()
        self.embed = model.encoder.encoder_embed
        self.layers = model.encoder.layers
        self.encoder_proj = model.joiner.encoder_proj

    def forward(self, x, h, c):
        """x (N, T, 80), h (L, N, D), c (L, N, H) -> encoder_out (N, T', J), next_h, next_c."""
        e = self.embed(x)
        hs, cs = [], []
        for i, layer in enumerate(self.layers):
            y, hi, ci = lstm_unrolled(layer.lstm, e, h[i], c[i])
            e = e + y
            e = e + layer.feed_forward(e)
            e = layer.norm_final(e)
            hs.append(hi)
            cs.append(ci)
        return self.encoder_proj(e), torch.stack(hs, dim=0), torch.stack(cs, dim=0)


class OnnxDecoder(nn.Module):
    def __init__(self, model: Transducer):
        super().__init__()
        self.decoder = model.decoder
        self.decoder_proj = model.joiner.decoder_proj

    def forward(self, y):
        """y (N, context_size) int64 -> decoder_out (N, J). A negative id gives a zero embedding:
        sherpa-onnx starts every hypothesis with the context [-1, ..., -1, blank] (icefall's
        convention), and ONNX Gather would read id -1 as the last row (vocab_size - 1)."""
        dec = self.decoder
        e = dec.embedding(y.clamp(min=0)) * (y >= 0).unsqueeze(-1).to(torch.float32)
        d = torch.relu(dec.conv(e.permute(0, 2, 1)))[:, :, -1]  # (N, Dd): the last context position
        return self.decoder_proj(d)


class OnnxJoiner(nn.Module):
    def __init__(self, model: Transducer):
        super().__init__()
        self.output_linear = model.joiner.output_linear

    def forward(self, encoder_out, decoder_out):
        """encoder_out (N, J), decoder_out (N, J) -> logit (N, vocab_size)."""
        return self.output_linear(torch.tanh(encoder_out + decoder_out))


# ------------------------------------------------------------------ helpers


def load_model(checkpoint=None, ncnn=None) -> Transducer:
    if (checkpoint is None) == (ncnn is None):
        raise ValueError("give exactly one of checkpoint / ncnn")
    if ncnn is not None:
        from .import_ncnn import import_model

        model, _ = import_model(ncnn)
    else:
        from .export import load_model as load_ckpt

        model = load_ckpt(checkpoint)
    fold_input_norm(model)
    return model.eval()


def chunk_sizes(decode_chunk_len: int):
    if decode_chunk_len < 4 or decode_chunk_len % 4:
        raise ValueError(f"decode_chunk_len must be a positive multiple of 4, got {decode_chunk_len}")
    return decode_chunk_len + 5, decode_chunk_len  # T, shift


def add_metadata(path, meta: dict):
    import onnx

    m = onnx.load(str(path))
    del m.metadata_props[:]
    for k, v in meta.items():
        p = m.metadata_props.add()
        p.key, p.value = str(k), str(v)
    onnx.save(m, str(path))


def read_metadata(path) -> dict:
    import onnx

    m = onnx.load(str(path), load_external_data=False)
    return {p.key: p.value for p in m.metadata_props}


def _export(module, args, path, input_names, output_names, dynamic_axes, opset):
    kw = dict(
        input_names=input_names,
        output_names=output_names,
        dynamic_axes=dynamic_axes,
        opset_version=opset,
        do_constant_folding=True,
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)  # "legacy TorchScript-based export"
        try:
            torch.onnx.export(module, args, str(path), dynamo=False, **kw)
        except TypeError:  # torch without the dynamo switch: the TorchScript exporter is the default
            torch.onnx.export(module, args, str(path), **kw)


def export_onnx(model: Transducer, out, decode_chunk_len: int = 4, opset: int = OPSET) -> dict:
    """Writes encoder.onnx, decoder.onnx, joiner.onnx (with sherpa-onnx's metadata) into out."""
    cfg = model.cfg
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    T, shift = chunk_sizes(decode_chunk_len)
    L, D, H, J = cfg.num_layers, cfg.encoder_dim, cfg.rnn_hidden_size, cfg.joiner_dim
    enc, dec, joi = OnnxEncoder(model).eval(), OnnxDecoder(model).eval(), OnnxJoiner(model).eval()
    x = torch.zeros(1, T, cfg.feature_dim)
    h, c = torch.zeros(L, 1, D), torch.zeros(L, 1, H)
    paths = {k: out / f"{k}.onnx" for k in ("encoder", "decoder", "joiner")}
    with torch.no_grad():
        _export(
            enc,
            (x, h, c),
            paths["encoder"],
            ["x", "h", "c"],
            ["encoder_out", "next_h", "next_c"],
            {
                "x": {0: "N"},
                "h": {1: "N"},
                "c": {1: "N"},
                "encoder_out": {0: "N"},
                "next_h": {1: "N"},
                "next_c": {1: "N"},
            },
            opset,
        )
        _export(
            dec,
            (torch.zeros(1, cfg.context_size, dtype=torch.int64),),
            paths["decoder"],
            ["y"],
            ["decoder_out"],
            {"y": {0: "N"}, "decoder_out": {0: "N"}},
            opset,
        )
        _export(
            joi,
            (torch.zeros(1, J), torch.zeros(1, J)),
            paths["joiner"],
            ["encoder_out", "decoder_out"],
            ["logit"],
            {"encoder_out": {0: "N"}, "decoder_out": {0: "N"}, "logit": {0: "N"}},
            opset,
        )
    meta = {
        "encoder": {
            "model_type": "lstm",
            "version": "1",
            "model_author": "ncasr recipes/reference_lstm",
            "comment": "streaming LSTM transducer, icefall lstm_transducer_stateless2 export-onnx contract",
            "num_encoder_layers": L,
            "T": T,
            "decode_chunk_len": shift,
            "d_model": D,
            "rnn_hidden_size": H,
        },
        "decoder": {"context_size": cfg.context_size, "vocab_size": cfg.vocab_size},
        "joiner": {"joiner_dim": J},
    }
    for k, p in paths.items():
        add_metadata(p, meta[k])
    return {"paths": {k: str(p) for k, p in paths.items()}, "metadata": meta, "T": T, "decode_chunk_len": shift}


# ------------------------------------------------------------------ verification


def ort_session(path, threads: int = 1):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def verify(model: Transducer, folder, feats_list, decode_chunk_len: int = 4, suffix: str = "") -> dict:
    """Max relative errors of the ONNX files in folder against PyTorch (full utterance)."""
    cfg = model.cfg
    folder = Path(folder)
    T, shift = chunk_sizes(decode_chunk_len)
    k = shift // 4
    enc = ort_session(folder / f"encoder{suffix}.onnx")
    dec = ort_session(folder / f"decoder{suffix}.onnx")
    joi = ort_session(folder / f"joiner{suffix}.onnx")
    rep = {"encoder_max_rel_err": 0.0, "encoder_chunks": 0}
    with torch.no_grad():
        for f in feats_list:
            n = len(f)
            full, _ = model.forward_encoder(torch.from_numpy(f)[None], torch.tensor([n]))
            full = model.joiner.encoder_proj(full)[0].numpy()
            h = np.zeros((cfg.num_layers, 1, cfg.encoder_dim), np.float32)
            c = np.zeros((cfg.num_layers, 1, cfg.rnn_hidden_size), np.float32)
            s = j = 0
            while s + T <= n:
                o, h, c = enc.run(None, {"x": f[None, s : s + T], "h": h, "c": c})
                ref = full[j : j + k]
                assert o.shape == (1, k, full.shape[1]), o.shape
                err = float(np.abs(o[0] - ref).max()) / float(np.abs(ref).max())
                rep["encoder_max_rel_err"] = max(rep["encoder_max_rel_err"], err)
                s += shift
                j += k
                rep["encoder_chunks"] += 1
        g = torch.Generator().manual_seed(0)
        dmax = jmax = 0.0
        for _ in range(20):
            y = torch.randint(0, cfg.vocab_size, (3, cfg.context_size), generator=g)
            dt = model.joiner.decoder_proj(model.decoder(y, need_pad=False)[:, -1])
            (dn,) = dec.run(None, {"y": y.numpy()})
            dmax = max(dmax, float(np.abs(dn - dt.numpy()).max()) / float(dt.abs().max()))
            e = torch.randn(3, cfg.encoder_dim, generator=g)
            jt = model.joiner(e, model.decoder(y, need_pad=False)[:, -1]).numpy()
            (jn,) = joi.run(None, {"encoder_out": model.joiner.encoder_proj(e).numpy(), "decoder_out": dt.numpy()})
            jmax = max(jmax, float(np.abs(jn - jt).max()) / float(np.abs(jt).max()))
        # sherpa-onnx's start context [-1, blank] must give what training used: the decoder's
        # left padding is a zero vector and the blank row of the embedding is zero (padding_idx)
        start = np.array([[-1] * (cfg.context_size - 1) + [cfg.blank_id]], np.int64)
        (ds,) = dec.run(None, {"y": start})
        e0 = model.decoder.embedding(torch.tensor([[cfg.blank_id]])).permute(0, 2, 1)
        e0 = torch.nn.functional.pad(e0, (cfg.context_size - 1, 0))  # training's need_pad=True
        dt = model.joiner.decoder_proj(torch.relu(model.decoder.conv(e0))[:, :, -1]).numpy()
        rep["decoder_start_context_max_abs_err"] = float(np.abs(ds - dt).max())
    rep["decoder_max_rel_err"] = dmax
    rep["joiner_max_rel_err"] = jmax
    return rep


def verification_features(n_utts: int = 3, feature_dim: int = 80):
    feats = []
    try:
        from .common import feats_dir
        from .compute_features import load_split

        arr, items = load_split("dev", str(feats_dir()))
        for o, n, _ in items[:n_utts]:
            feats.append(np.asarray(arr[o : o + n], dtype=np.float32))
    except Exception:
        pass
    if not feats:
        rng = np.random.default_rng(0)
        feats = [rng.standard_normal((9 + 4 * 60, feature_dim)).astype(np.float32) * 3 - 7]
    return feats


# ------------------------------------------------------------------ sherpa-onnx decoding


def sherpa_recognizer(folder, suffix: str = "", num_threads: int = 1):
    """sherpa_onnx.OnlineRecognizer (greedy search) over folder/{encoder,decoder,joiner}{suffix}.onnx."""
    import sherpa_onnx

    folder = Path(folder)
    return sherpa_onnx.OnlineRecognizer.from_transducer(
        tokens=str(folder / "tokens.txt"),
        encoder=str(folder / f"encoder{suffix}.onnx"),
        decoder=str(folder / f"decoder{suffix}.onnx"),
        joiner=str(folder / f"joiner{suffix}.onnx"),
        num_threads=num_threads,
        sample_rate=16000,
        feature_dim=80,
        decoding_method="greedy_search",
    )


def sherpa_transcribe(rec, samples, sample_rate: int = 16000, tail_padding: float = 0.5) -> str:
    """Whole-utterance decoding as ncasr's Recognizer.transcribe does it: the samples, then
    tail_padding seconds of silence, input_finished, decode while ready. Stripped text."""
    st = rec.create_stream()
    st.accept_waveform(sample_rate, np.asarray(samples, dtype=np.float32))
    pad = int(round(tail_padding * sample_rate))
    if pad:
        st.accept_waveform(sample_rate, np.zeros(pad, dtype=np.float32))
    st.input_finished()
    while rec.is_ready(st):
        rec.decode_stream(st)
    r = rec.get_result(st)
    return (r if isinstance(r, str) else r.text).strip()


def read_test_set(tsv):
    """[(wav path, reference text)] of a test.tsv (columns path, duration, text; paths relative)."""
    tsv = Path(tsv)
    rows = [l.split("\t") for l in tsv.read_text().splitlines()[1:] if l.strip()]
    return [(str(tsv.parent / r[0]), r[2]) for r in rows]


def compare_with_ncasr(folder, tsv, suffix: str = "", ncasr_dir=None, fp16_storage: bool = True) -> dict:
    """Decodes every clip of tsv with sherpa-onnx (folder, suffix) and with ncasr's float model;
    {identical, total, diffs: [(wav, sherpa, ncasr)], sherpa_seconds, ncasr_seconds}."""
    import ncasr
    from ncasr.audio import load_audio

    rec = sherpa_recognizer(folder, suffix)
    nc = ncasr.Recognizer.from_dir(
        ncasr_dir or ncasr.default_model_dir(), variant="float", use_fp16_storage=fp16_storage
    )
    out = {"identical": 0, "total": 0, "diffs": [], "sherpa_seconds": 0.0, "ncasr_seconds": 0.0}
    for wav, _ref in read_test_set(tsv):
        samples, rate = load_audio(wav)
        t0 = time.perf_counter()
        a = sherpa_transcribe(rec, samples, rate, nc.config.tail_padding)
        t1 = time.perf_counter()
        b = nc.transcribe(samples, sample_rate=rate).text.strip()
        out["sherpa_seconds"] += t1 - t0
        out["ncasr_seconds"] += time.perf_counter() - t1
        out["total"] += 1
        if a == b:
            out["identical"] += 1
        else:
            out["diffs"].append((os.path.basename(wav), a, b))
    return out


# ------------------------------------------------------------------ main


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="PyTorch checkpoint (train.py / average.py / import_ncnn.py)")
    src.add_argument("--ncnn", help="ncnn model folder (e.g. the bundled model): imported first")
    ap.add_argument("--out", required=True)
    ap.add_argument("--lang", default=None, help="folder with tokens.txt (default: --ncnn folder, else lang dir)")
    ap.add_argument("--decode-chunk-len", type=int, default=4, help="frames per chunk shift (multiple of 4)")
    ap.add_argument("--opset", type=int, default=OPSET)
    ap.add_argument("--verify-utts", type=int, default=3)
    ap.add_argument("--max-rel-err", type=float, default=1e-4)
    ap.add_argument(
        "--compare",
        default=None,
        metavar="TSV",
        help="also decode TSV's clips (e.g. tests/data/reference-lstm-en/test.tsv) with sherpa-onnx "
        "and with ncasr (float, the --ncnn folder, else the bundled model) and report identical texts",
    )
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    t0 = time.time()
    model = load_model(args.checkpoint, args.ncnn)
    t1 = time.time()
    rep = export_onnx(model, args.out, args.decode_chunk_len, args.opset)
    t2 = time.time()
    out = Path(args.out)
    if args.lang:
        lang = Path(args.lang)
    elif args.ncnn:
        lang = Path(args.ncnn)
    else:
        from .common import lang_dir

        lang = lang_dir()
    shutil.copy(lang / "tokens.txt", out / "tokens.txt")
    if (lang / "bpe.model").is_file():
        shutil.copy(lang / "bpe.model", out / "bpe.model")
    rep["check"] = verify(
        model, out, verification_features(args.verify_utts, model.cfg.feature_dim), args.decode_chunk_len
    )
    rep["source"] = str(Path(args.checkpoint or args.ncnn).resolve())
    rep["config"] = model.cfg.to_dict()
    rep["opset"] = args.opset
    rep["sizes_bytes"] = {p.name: p.stat().st_size for p in sorted(out.glob("*.onnx"))}
    rep["seconds"] = {"load": round(t1 - t0, 2), "export": round(t2 - t1, 2), "verify": round(time.time() - t2, 2)}
    (out / "export_onnx_report.json").write_text(json.dumps(rep, indent=1))
    print(json.dumps(rep, indent=1))
    keys = ("encoder_max_rel_err", "decoder_max_rel_err", "joiner_max_rel_err", "decoder_start_context_max_abs_err")
    worst = max(rep["check"][k] for k in keys)
    if args.compare:
        for fp16 in (True, False):
            r = compare_with_ncasr(out, args.compare, ncasr_dir=args.ncnn, fp16_storage=fp16)
            print(f"sherpa-onnx vs ncasr float (use_fp16_storage={fp16}): {r['identical']}/{r['total']} identical")
            for d in r["diffs"]:
                print("  ", d)
    if worst > args.max_rel_err:
        raise SystemExit(f"verification FAILED: max rel err {worst:.2e} > {args.max_rel_err}")


if __name__ == "__main__":
    main()
